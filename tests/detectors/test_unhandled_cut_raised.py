"""A step its framework failed because the model call under it was cut at the output cap: that call failed.

Strands' event loop raises ``MaxTokensReachedException`` when the model's stop_reason is ``max_tokens``
(strands-agents/sdk-python src/strands/event_loop/event_loop.py); its tracer (src/strands/telemetry/
tracer.py) ends the ``chat`` span normally, with the finish reason on its ``gen_ai.choice`` event, and
ends the ``execute_event_loop_cycle`` and ``invoke_agent`` spans with the error. Nothing in the loop
catches it: unless the caller asks again, the request dies. Spans in ReadableSpan.to_json() shape.
Near misses: a cut call whose cycle went on normally (no raise), and a cycle failed by a tool under it
after a cut call (the tool's failure is told, not the model call's cut).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

import forensics

TRACE = "0x3c41d07be2a94f6c8d15e0b7a29f4c18"
EXC = "strands.types.exceptions.MaxTokensReachedException"
MSG = "Agent has reached an unrecoverable state due to max_tokens limit."


def _span(sid: str, parent: str | None, name: str, start: int, end: int, attrs: dict[str, object],
          events: list[dict[str, object]] | None = None, error: str | None = None) -> dict[str, object]:
    return {
        "name": name, "context": {"trace_id": TRACE, "span_id": f"0x{sid}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL", "parent_id": f"0x{parent}" if parent else None,
        "start_time": f"2026-09-14T11:02:{start:02d}.000000Z", "end_time": f"2026-09-14T11:02:{end:02d}.000000Z",
        "status": {"status_code": "ERROR", "description": error} if error else {"status_code": "OK"},
        "attributes": {"gen_ai.system": "strands-agents", **attrs}, "events": events or [], "links": [],
        "resource": {"attributes": {"service.name": "contract-summariser"}, "schema_url": ""},
    }  # fmt: skip


def _raised(at: int) -> list[dict[str, object]]:
    return [{"name": "exception", "timestamp": f"2026-09-14T11:02:{at:02d}.000000Z",
             "attributes": {"exception.type": EXC, "exception.message": MSG, "exception.escaped": "False"}}]  # fmt: skip


def _chat(sid: str, parent: str, start: int, end: int, finish: str, out_tokens: int) -> dict[str, object]:
    choice = {"name": "gen_ai.choice", "timestamp": f"2026-09-14T11:02:{end:02d}.000000Z",
              "attributes": {"finish_reason": finish, "message": json.dumps([{"text": "## Clause 4 ..."}])}}
    return _span(sid, parent, "chat", start, end, {
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "gen_ai.usage.input_tokens": 5200, "gen_ai.usage.output_tokens": out_tokens,
    }, [choice])  # fmt: skip


def _classify(tmp_path: Path, spans: list[dict[str, object]]) -> pl.DataFrame:
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in spans))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings


def _run(cycle_error: str | None, chat_finish: str, tool_failed: bool = False) -> list[dict[str, object]]:
    agent_error = cycle_error
    spans = [_chat("5f1c0a9e7b2d4c31", "8a2e4b6c0d1f3a57", 1, 20, chat_finish, 4096 if chat_finish == "max_tokens" else 900)]
    if tool_failed:
        spans.append(_span("d40e6a8c2b1f5973", "8a2e4b6c0d1f3a57", "execute_tool lookup_clause", 20, 21, {"gen_ai.operation.name": "execute_tool",
                     "gen_ai.tool.name": "lookup_clause"}, error="TimeoutError: clause index did not answer"))  # fmt: skip
    spans += [
        _span("8a2e4b6c0d1f3a57", "b3d5f7091a2c4e68", "execute_event_loop_cycle", 1, 21, {}, _raised(21) if cycle_error else None, cycle_error),
        _span("b3d5f7091a2c4e68", None, "invoke_agent summariser", 0, 22, {"gen_ai.operation.name": "invoke_agent",
              "gen_ai.agent.name": "summariser"}, _raised(22) if agent_error else None, agent_error),  # fmt: skip
    ]
    return spans


def test_a_cycle_raised_over_its_cut_model_call_is_that_call_failing_unhandled(tmp_path: Path) -> None:
    found = _classify(tmp_path, _run(MSG, "max_tokens")).filter(pl.col("detector") == "unhandled_error")
    assert found.height == 1
    assert found["decisive_span_id"].item() == "5f1c0a9e7b2d4c31"
    assert EXC in found["explanation"].item()


def test_near_miss_a_cut_the_loop_went_on_from_or_a_cycle_a_tool_failed(tmp_path: Path) -> None:
    assert "unhandled_error" not in _classify(tmp_path, _run(None, "max_tokens"))["detector"].to_list()
    by_tool = _classify(tmp_path, _run("TimeoutError: clause index did not answer", "max_tokens", tool_failed=True))
    unhandled = by_tool.filter(pl.col("detector") == "unhandled_error")
    assert unhandled["decisive_span_id"].to_list() == ["d40e6a8c2b1f5973"]
