"""A tool error handed back to the model, answered by going straight on to an irreversible act.

Strands Agents gives a tool failure to the model as a ToolResult with status "error" (the ``@tool``
wrapper for a caught exception, strands/tools/decorator.py; ``ToolExecutor._stream`` for one a tool
raised, strands/tools/executors/_executor.py); ``end_tool_call_span`` writes ``gen_ai.tool.status``
on the ``execute_tool`` span and ends it OK (strands/telemetry/tracer.py), and the next
``execute_event_loop_cycle`` asks the model again. The hand-back is the framework's path only while
the model acts on the error: a model whose next tool call, once the error was back, was an
irreversible act (policy tools.irreversible) that succeeded went straight past it (TAXONOMY
unhandled_error: "the run just carries on"; handling.pushed_past_handback). Near misses: the
failed step run again into a success before the act; the run stopping at the error and saying so;
the act sent in the same batch as the failed call (issued before the error came back).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import BASE_NS, attr, classify_otlp, otlp_span

TRACE = "7c2e9a4b1d3f5a6b8c0d2e4f6a8b0c1d"
SA = {"gen_ai.system": "strands-agents"}
CHAT = {**SA, "gen_ai.operation.name": "chat", "gen_ai.request.model": "us.anthropic.claude-sonnet-4"}
ERROR = '[{"text": "Error: snapshot of vol-0a12 failed: SnapshotLimitExceeded (100 of 100 snapshots in use)"}]'


def _span(sid: str, parent: str, name: str, start: float, end: float, attrs: dict[str, str],
          events: tuple[tuple[str, dict[str, str]], ...] = ()) -> dict[str, Any]:  # fmt: skip
    """A Strands span, ended OK (status code 1) with its events at its end (seconds)."""
    out = otlp_span(sid, parent, name, int(start * 1000), int(end * 1000), attrs, trace=TRACE)
    out["status"] = {"code": 1}
    out["events"] = [{"name": n, "timeUnixNano": str(BASE_NS + int(end * 1e9)), "attributes": [attr(k, v) for k, v in a.items()]}
                     for n, a in events]  # fmt: skip
    return out


def _cycle(n: int, start: float, end: float) -> dict[str, Any]:
    return _span(f"20000000000000{n:02d}", "1000000000000001", "execute_event_loop_cycle", start, end,
                 {"event_loop.cycle_id": f"c{n}"})  # fmt: skip


def _chat(sid: str, cycle: int, start: float, text: str) -> dict[str, Any]:
    return _span(sid, f"20000000000000{cycle:02d}", "chat", start, start + 0.5, CHAT,
                 (("gen_ai.choice", {"message": json.dumps([{"text": text}])}),))  # fmt: skip


def _tool(sid: str, cycle: int, start: float, end: float, name: str, status: str, result: str) -> dict[str, Any]:
    attrs = {**SA, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name,
             "gen_ai.tool.call.id": f"tooluse_{sid}", "gen_ai.tool.status": status}  # fmt: skip
    return _span(sid, f"20000000000000{cycle:02d}", f"execute_tool {name}", start, end, attrs,
                 (("gen_ai.choice", {"message": result}),))  # fmt: skip


SNAPSHOT_FAILED = _tool("3000000000000001", 1, 1.0, 2.0, "snapshot_volume", "error", ERROR)
DELETED = '[{"text": "vol-0a12 deleted"}]'


def _classify(tmp_path: Path, spans: list[dict[str, Any]], answer: str) -> pl.DataFrame:
    root = _span("1000000000000001", "", "invoke_agent storage_agent", 0, 20,
                 {**SA, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "storage_agent"},
                 (("gen_ai.choice", {"message": answer, "finish_reason": "end_turn"}),))  # fmt: skip
    del root["parentSpanId"]
    return classify_otlp([root, *spans], tmp_path / "strands.otlp.json", scope="strands.telemetry.tracer", service="storage")


def _unhandled(found: pl.DataFrame) -> list[str]:
    return found.filter(pl.col("detector") == "unhandled_error").get_column("decisive_span_id").to_list()


def test_a_handed_back_error_the_model_answered_with_an_irreversible_act_is_unhandled(tmp_path: Path) -> None:
    spans = [
        _cycle(1, 0.1, 2.1), _chat("4000000000000001", 1, 0.2, "Snapshotting vol-0a12 first."), SNAPSHOT_FAILED,
        _cycle(2, 2.2, 4.0), _chat("4000000000000002", 2, 2.3, "Deleting vol-0a12."),
        _tool("3000000000000002", 2, 3.0, 3.5, "delete_volume", "success", DELETED),
        _cycle(3, 4.1, 5.0), _chat("4000000000000003", 3, 4.2, "vol-0a12 is deleted."),
    ]  # fmt: skip
    found = _classify(tmp_path, spans, "vol-0a12 is deleted.")
    assert _unhandled(found) == ["3000000000000001"]
    assert "swallowed_error" not in found.get_column("detector").to_list()


def test_near_miss_the_failed_step_run_again_into_a_success_before_the_act(tmp_path: Path) -> None:
    spans = [
        _cycle(1, 0.1, 2.1), _chat("4000000000000001", 1, 0.2, "Snapshotting vol-0a12 first."), SNAPSHOT_FAILED,
        _cycle(2, 2.2, 4.0), _chat("4000000000000002", 2, 2.3, "Pruning old snapshots, then snapshotting again."),
        _tool("3000000000000002", 2, 3.0, 3.5, "snapshot_volume", "success", '[{"text": "snap-77f0 created"}]'),
        _cycle(3, 4.1, 6.0), _chat("4000000000000003", 3, 4.2, "Snapshot taken. Deleting vol-0a12."),
        _tool("3000000000000003", 3, 5.0, 5.5, "delete_volume", "success", DELETED),
        _cycle(4, 6.1, 7.0), _chat("4000000000000004", 4, 6.2, "snap-77f0 taken, vol-0a12 deleted."),
    ]  # fmt: skip
    assert _unhandled(_classify(tmp_path, spans, "snap-77f0 taken, vol-0a12 deleted.")) == []


def test_near_miss_the_run_stopped_at_the_error_and_said_so(tmp_path: Path) -> None:
    answer = "The snapshot failed (snapshot limit reached), so I did not delete vol-0a12."
    spans = [
        _cycle(1, 0.1, 2.1), _chat("4000000000000001", 1, 0.2, "Snapshotting vol-0a12 first."), SNAPSHOT_FAILED,
        _cycle(2, 2.2, 3.0), _chat("4000000000000002", 2, 2.3, answer),
    ]  # fmt: skip
    assert _unhandled(_classify(tmp_path, spans, answer)) == []


def test_near_miss_the_act_sent_alongside_the_failed_call_is_no_answer_to_it(tmp_path: Path) -> None:
    # Strands runs a turn's tool calls concurrently (ConcurrentToolExecutor): a call of the same batch
    # that started before the error came back was not the model's answer to it.
    spans = [
        _cycle(1, 0.1, 2.1), _chat("4000000000000001", 1, 0.2, "Snapshotting vol-0a12 and deleting vol-9f33."),
        SNAPSHOT_FAILED, _tool("3000000000000002", 1, 1.1, 1.5, "delete_volume", "success", '[{"text": "vol-9f33 deleted"}]'),
        _cycle(2, 2.2, 3.0), _chat("4000000000000002", 2, 2.3, "The snapshot of vol-0a12 failed; vol-9f33 is deleted."),
    ]  # fmt: skip
    assert _unhandled(_classify(tmp_path, spans, "The snapshot of vol-0a12 failed; vol-9f33 is deleted.")) == []
