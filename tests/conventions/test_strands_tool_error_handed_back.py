"""A Strands Agents tool failure is handed back to the model: the framework's, not swallowed.

Strands gives every tool failure to the model as a ToolResult with status "error": the ``@tool``
wrapper returns one for a caught exception (strands/tools/decorator.py) and ``ToolExecutor._stream``
builds ``{"status": "error", "content": [{"text": "Error: ..."}]}`` for one a tool raised
(strands/tools/executors/_executor.py); ``end_tool_call_span`` writes the status on the
``execute_tool`` span as ``gen_ai.tool.status`` (strands/telemetry/tracer.py) and ends the span OK.
The trace below is an OTLP export of that shape. Near miss: the same tool span from another
framework, status ERROR and no tool status, under the same answer is a swallowed error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

TRACE = "5af7651916cd43dd8448eb211c80319c"


def _span(sid: str, parent: str | None, name: str, start: float, end: float, attrs: dict[str, str],
          events: tuple[tuple[str, dict[str, str]], ...] = (), code: int = 1) -> dict[str, Any]:  # fmt: skip
    ns = 1_700_000_000_000_000_000
    out: dict[str, Any] = {
        "traceId": TRACE, "spanId": sid, "name": name, "kind": 1,
        "startTimeUnixNano": str(ns + int(start * 1e9)), "endTimeUnixNano": str(ns + int(end * 1e9)),
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
        "events": [{"name": n, "timeUnixNano": str(ns + int(end * 1e9)),
                    "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in a.items()]} for n, a in events],
        "status": {"code": code},
    }  # fmt: skip
    if parent:
        out["parentSpanId"] = parent
    return out


def _trace(tmp_path: Path, strands_status: bool) -> Path:
    sa = {"gen_ai.system": "strands-agents"}
    chat = {**sa, "gen_ai.operation.name": "chat", "gen_ai.request.model": "us.anthropic.claude-sonnet-4"}
    tool = {**sa, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "t1"}
    if strands_status:
        tool["gen_ai.tool.status"] = "error"
    spans = [
        _span("1000000000000001", None, "invoke_agent weather_agent", 0, 10,
              {**sa, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather_agent"}),
        _span("1000000000000002", "1000000000000001", "execute_event_loop_cycle", 0.1, 9.9, {"event_loop.cycle_id": "c1"}),
        _span("1000000000000003", "1000000000000002", "chat", 0.2, 1.0, chat),
        _span("1000000000000004", "1000000000000002", "execute_tool get_weather", 1.1, 2.0, tool,
              (("gen_ai.choice", {"message": '[{"text": "Error: ConnectionError - weather API unreachable"}]'}),),
              code=1 if strands_status else 2),
        _span("1000000000000005", "1000000000000002", "chat", 2.1, 3.0, chat),
    ]  # fmt: skip
    path = tmp_path / "strands.otlp.json"
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "weather"}}]}
    path.write_text(json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [
        {"scope": {"name": "strands.telemetry.tracer"}, "spans": spans}]}]}))  # fmt: skip
    return path


def _detectors(path: Path) -> set[str]:
    return {f["detector"] for f in forensics.classify(forensics.load(path).spans).findings.to_pylist()}


def test_a_strands_tool_error_is_handed_back_not_swallowed(tmp_path: Path) -> None:
    assert "swallowed_error" not in _detectors(_trace(tmp_path, strands_status=True))


def test_near_miss_a_tool_span_that_failed_with_no_tool_status_is_swallowed(tmp_path: Path) -> None:
    assert "swallowed_error" in _detectors(_trace(tmp_path, strands_status=False))
