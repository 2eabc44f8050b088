"""An HTTP request resent into a success outside any agent was owned by the client that resent it.

OpenTelemetry HTTP semantic conventions: "each time an HTTP request gets resent by the client" a
new client span is made under the same parent, the resends carrying ``http.request.resend_count``,
and a 5xx on a client span is an Error (semantic-conventions docs/http/http-spans.md). An httpx or
requests client with retries (urllib3 ``Retry``, httpx ``transport retries``) called by the service
before its agent starts leaves such spans with no agent up their ancestry. The export below is
OTLP/JSON (``resourceSpans/scopeSpans/spans``): a service span, the session request and its resend,
then the agent's ``invoke_agent`` span and its model call (OpenTelemetry GenAI conventions).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

TRACE = "5b8efff798038103d269b633813fc60c"
T0 = 1_764_842_400_000_000_000  # 2025-12-04T10:00:00Z in ns


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def _span(sid: str, parent: str | None, name: str, kind: int, start: float, end: float, attrs: dict[str, Any],
          error: bool = False) -> dict[str, Any]:  # fmt: skip
    return {
        "traceId": TRACE,
        "spanId": sid.rjust(16, "0"),
        **({"parentSpanId": parent.rjust(16, "0")} if parent else {}),
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(T0 + int(start * 1e9)),
        "endTimeUnixNano": str(T0 + int(end * 1e9)),
        "attributes": [_attr(k, v) for k, v in attrs.items()],
        "status": {"code": 2, "message": f"HTTP {attrs.get('http.response.status_code')}"} if error else {},
    }


def _request(sid: str, start: float, status: int, resend: int) -> dict[str, Any]:
    attrs = {"http.request.method": "POST", "url.full": "https://auth.internal.example/v1/session",
             "http.response.status_code": status, **({"http.request.resend_count": resend} if resend else {})}  # fmt: skip
    return _span(sid, "a", "POST", 3, start, start + 0.2, attrs, error=status >= 500)


def _export(second_status: int, tmp_path: Path) -> Path:
    answer = "Your order 5812 ships tomorrow."
    spans = [
        _span("a", None, "POST /chat", 2, 0, 6, {"http.request.method": "POST", "http.route": "/chat"}),
        _request("b", 0.1, 503, 0),
        _request("c", 0.8, second_status, 1),
        _span("d", "a", "invoke_agent support", 1, 1.2, 5.5,
              {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support", "gen_ai.output.messages": answer}),
        _span("e", "d", "chat gpt-4o", 3, 1.3, 5.0,
              {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.output.messages": answer}),
    ]  # fmt: skip
    doc = {"resourceSpans": [{"resource": {"attributes": [_attr("service.name", "support-api")]},
                              "scopeSpans": [{"scope": {"name": "app"}, "spans": spans}]}]}  # fmt: skip
    path = tmp_path / "trace.otlp.json"
    path.write_text(json.dumps(doc))
    return path


def _found(second_status: int, tmp_path: Path) -> set[str]:
    found = pl.DataFrame(
        pl.from_arrow(forensics.classify(forensics.load(_export(second_status, tmp_path)).spans).findings)
    )
    return set(found.get_column("detector").to_list()) if found.height else set()


def test_a_resent_request_that_succeeded_outside_the_agent_is_no_orphan_failure(tmp_path: Path) -> None:
    assert "orphan_failure" not in _found(200, tmp_path)


def test_near_miss_a_resend_that_failed_too_is_an_orphan_failure(tmp_path: Path) -> None:
    assert "orphan_failure" in _found(503, tmp_path)
