"""A tool failure the agent told the user about in fault words, in OTLP/JSON (OpenTelemetry GenAI).

An ``execute_tool`` span that ended in error (status ERROR, ``error.type``), under the agent's
``invoke_agent`` span, then the model's answer naming the fault ("the weather service is down ...
please try again later"). swallowed_error read the failure as told; unhandled_error, asking only for
a failure verdict in words ("I couldn't ..."), did not, and raised it. Both now read
``failure_handling`` (``reported``, the model call that first gave the answer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

TRACE = "0af7651916cd43dd8448eb211c80319c"
T0 = 1_764_842_400_000_000_000  # 2025-12-04T10:00:00Z in ns
TOLD = "The weather service is down at the moment, so I have no forecast for you; please try again later."


def _attr(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def _span(sid: str, parent: str | None, name: str, start: float, end: float, attrs: dict[str, str],
          error: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "traceId": TRACE,
        "spanId": sid.rjust(16, "0"),
        **({"parentSpanId": parent.rjust(16, "0")} if parent else {}),
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(T0 + int(start * 1e9)),
        "endTimeUnixNano": str(T0 + int(end * 1e9)),
        "attributes": [_attr(k, v) for k, v in {**attrs, **({"error.type": error} if error else {})}.items()],
        "status": {"code": 2, "message": error} if error else {},
    }


def _found(answer: str, tmp_path: Path, *, crashed: bool = False) -> set[str]:
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather"}
    spans = [
        _span("a", None, "invoke_agent weather", 0, 6, {**agent, **({} if crashed else {"gen_ai.output.messages": answer})},
              error="RuntimeError" if crashed else None),
        _span("b", "a", "chat gpt-4o", 0.1, 1, {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                                                 "gen_ai.output.messages": '[{"tool_calls": [{"name": "get_weather"}]}]'}),
        _span("c", "a", "execute_tool get_weather", 1.1, 1.6, {"gen_ai.operation.name": "execute_tool",
              "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.arguments": '{"city": "SF"}'}, error="httpx.HTTPStatusError"),
    ]  # fmt: skip
    if not crashed:
        spans.append(_span("d", "a", "chat gpt-4o", 2, 3, {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                                                           "gen_ai.output.messages": answer}))  # fmt: skip
    doc = {"resourceSpans": [{"resource": {"attributes": [_attr("service.name", "weather-bot")]},
                              "scopeSpans": [{"scope": {"name": "app"}, "spans": spans}]}]}  # fmt: skip
    path = tmp_path / "trace.otlp.json"
    path.write_text(json.dumps(doc))
    found = pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))
    return set(found.get_column("detector").to_list()) if found.height else set()


def test_a_tool_failure_told_in_fault_words_is_clean(tmp_path: Path) -> None:
    assert _found(TOLD, tmp_path) == set()


def test_near_miss_the_failure_answered_over_is_swallowed(tmp_path: Path) -> None:
    found = _found("It's 18°C and sunny in San Francisco.", tmp_path)
    assert "swallowed_error" in found and "unhandled_error" not in found


def test_near_miss_a_run_that_crashed_after_it_is_unhandled(tmp_path: Path) -> None:
    assert "unhandled_error" in _found("", tmp_path, crashed=True)
