"""LiteLLM's OTel callback (litellm/integrations/opentelemetry.py) opens every completion as a span
named ``LITELLM_REQUEST_SPAN_NAME = "litellm_request"``, one per deployment the Router tried; on a
failure it sets status ERROR and records the exception (_handle_failure). The Router's fallbacks
(litellm/router_utils/fallback_event_handlers.py run_async_fallback) call the next model group, a
second litellm_request with another model. A span without llm.request.type is still a model call,
so a failed deployment followed by another model answering is a fallback, not a swallowed error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forensics.classify import classify
from forensics.load import load

TRACE = "5f0c1e2d3a4b5c6d7e8f901a2b3c4d5e"


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def _span(span_id: str, parent: str | None, name: str, start: int, attrs: dict[str, Any],
          error: bool = False) -> dict[str, Any]:
    t0 = 1_790_000_000_000_000_000 + start * 1_000_000_000
    row: dict[str, Any] = {
        "traceId": TRACE, "spanId": span_id, "name": name, "kind": 1,
        "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t0 + 900_000_000),
        "attributes": [_attr(k, v) for k, v in attrs.items()],
        "status": {"code": 2, "message": "litellm.RateLimitError: AzureException RateLimitError"} if error else {"code": 1},
    }
    if parent:
        row["parentSpanId"] = parent
    return row


def _trace(tmp_path: Path, fallback: bool) -> Path:
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"}
    spans = [
        _span("a000000000000001", None, "invoke_agent planner", 0, agent),
        _span("a000000000000002", "a000000000000001", "litellm_request", 1,
              {"gen_ai.request.model": "azure/gpt-4o-eu", "gen_ai.system": "azure"}, error=True),
    ]
    if fallback:
        spans.append(_span("a000000000000003", "a000000000000001", "litellm_request", 3,
                           {"gen_ai.request.model": "gpt-4o", "gen_ai.system": "openai",
                            "metadata.model_group": "planner-default"}))
    spans.append(_span("a000000000000004", "a000000000000001", "execute_tool save_itinerary", 5,
                       {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "save_itinerary"}))
    doc = {"resourceSpans": [{"resource": {"attributes": []},
                              "scopeSpans": [{"scope": {"name": "litellm"}, "spans": spans}]}]}
    path = tmp_path / "litellm.jsonl"
    path.write_text(json.dumps(doc) + "\n")
    return path


def _found(path: Path) -> tuple[set[str], list[str]]:
    loaded = load(path)
    rows = loaded.spans.select(["name", "kind"]).to_pylist()
    kinds = [r["kind"] for r in rows if r["name"] == "litellm_request"]
    findings, _ = classify(loaded).to_polars()
    return set(findings.get_column("detector").to_list()), kinds


def test_router_fallback_to_another_model_recovers_the_failed_deployment(tmp_path: Path) -> None:
    found, kinds = _found(_trace(tmp_path, fallback=True))
    assert kinds == ["llm", "llm"]
    assert found == set()


def test_failed_deployment_with_no_fallback_is_still_reported(tmp_path: Path) -> None:
    # Near-miss: nothing answered after the 429 and the run went on to report success.
    found, _ = _found(_trace(tmp_path, fallback=False))
    assert found & {"swallowed_error", "unhandled_error"}
