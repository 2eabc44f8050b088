"""raaf (start/end event-pair JSON-lines) on the real RAAF sample and hand-written quirk files."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import orjson
import pytest
from realdata import shared_file

import forensics
from forensics.loaders.base import Source, SpanSink
from forensics.loaders.event_pairs import EventPairsLoader

REAL = "jsonl_app_logs/raaf_traces.jsonl"
DATA = Path(__file__).resolve().parents[1] / "data" / "raaf"


def _real() -> Path:
    return shared_file(REAL)


def _rows(result: forensics.LoadResult) -> dict[str, dict]:
    return {r["span_id"]: r for r in result.spans.to_pylist()}


def test_real_file_sniffed_and_paired() -> None:
    result = forensics.load(_real())
    account = result.report.files[0]
    assert (account.format, account.chosen_by) == ("raaf", "sniffed")
    # Read by hand: 69 lines, 8 traces. trace_e547… has only a start (line 1: the run never
    # ended); trace_566ce… has agent/llm/tool/llm (4 spans, 8 lines); the other six traces have
    # agent, llm, tool, then a second agent under the tool and its llm (5 spans, 10 lines each).
    assert account.records_read == 69
    assert result.spans.num_rows == 1 + 4 + 6 * 5 == 35
    assert account.merged == 34  # every end whose start came before it
    assert account.quarantined == 0
    assert len(result.run_ids) == 8
    rows = _rows(result)
    assert Counter(r["kind"] for r in rows.values()) == {"agent": 14, "llm": 14, "tool": 7}
    assert {r["agent"] for r in rows.values()} == {"MathAssistant"}
    assert {r["tool"] for r in rows.values() if r["kind"] == "tool"} == {"calculator"}
    # agent.handoffs is always "[]" (the configured handoffs): no handoff was taken.
    assert not [r for r in rows.values() if r["kind"] == "handoff" or r["handoff_to"]]
    # Errors: in every trace but the open one, the second llm call fails with a Bad request and
    # the agent around it fails with it (lines 8/9, 18/19, 28/29, ...): 7 traces x 2.
    errors = [r for r in rows.values() if r["status"] == "error"]
    assert len(errors) == 14
    assert Counter(r["kind"] for r in errors) == {"llm": 7, "agent": 7}
    assert {r["error_type"] for r in errors} == {"OpenAIAgents::Models::APIError"}
    assert all(r["error_message"].startswith("Bad request to OpenAI") for r in errors)


def test_real_file_counts_match_an_independent_reading() -> None:
    starts, ends, traces = set(), set(), set()
    for line in _real().read_bytes().splitlines():
        rec = orjson.loads(line)
        key = (rec["span"]["trace_id"], rec["span"]["span_id"])
        (starts if rec["event"] == "start" else ends).add(key)
        traces.add(rec["span"]["trace_id"])
    result = forensics.load(_real())
    assert result.spans.num_rows == len(starts | ends)
    assert len(result.run_ids) == len(traces)
    open_spans = starts - ends
    assert {(r["run_id"], r["span_id"]) for r in result.spans.to_pylist() if r["end_time"] is None} == open_spans


def test_real_file_specific_spans() -> None:
    rows = _rows(forensics.load(_real()))
    # Line 1, never ended: an open span, status unset (the start's "ok" is only a default).
    open_agent = rows["span_f9c5785eb5cbef28553cd821"]
    assert open_agent["end_time"] is None and open_agent["status"] == "unset"
    assert open_agent["run_id"] == "trace_e547c298c47278dea4896552c0dcf0ae"
    assert json.loads(open_agent["attributes"])["@start_status"] == "ok"
    # Lines 3/4: the llm call with usage given as strings.
    llm = rows["span_8844192e9691fddf7e348247"]
    assert (llm["kind"], llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("llm", "gpt-4", 90, 21)
    assert llm["source_line"] == 3  # the row keeps its start's line; the end (line 4) is merged
    assert llm["start_time"].isoformat() == "2025-06-23T19:05:33+00:00"
    assert llm["end_time"].isoformat() == "2025-06-23T19:05:34+00:00"
    # Lines 5/6: the tool's arguments and result.
    tool = rows["span_dcbc39ae1bc11740bb8d0018"]
    assert json.loads(tool["input"]) == {"expression": "25 * 37 + 142"}  # an object in the file: JSON text
    assert tool["output"] == "The result of 25 * 37 + 142 is 1067"
    # Its recorded parent is the llm call of lines 3/4, which ended (line 4) before the tool started
    # (line 5): RAAF's span stack is never popped (module doc). The agent span, open since line 2,
    # encloses it.
    assert tool["parent_id"] == "span_c02a457e5d39115c1486a6c8"
    assert json.loads(tool["attributes"])["@recorded_parent_id"] == "span_8844192e9691fddf7e348247"
    # Lines 11-20: the first turn's agent span ended (line 16) before the second turn's agent span
    # started (line 17, recorded under the tool of line 14): the second turn is a root of its own.
    second = rows["span_8bf8ce71a784e03ff74559ae"]
    assert second["parent_id"] is None and second["status"] == "error"
    assert rows["span_576c3c8463890cb3e27ef17c"]["parent_id"] == "span_8bf8ce71a784e03ff74559ae"


def test_quirks() -> None:
    result = forensics.load(DATA / "quirks.jsonl")
    account = result.report.files[0]
    assert account.format == "raaf"
    assert (account.records_read, account.rows, account.merged, account.quarantined) == (6, 4, 2, 0)
    rows = _rows(result)
    # Interleaved: span_c ends before span_b though it started after.
    handoff = rows["span_c"]
    assert (handoff["kind"], handoff["handoff_to"], handoff["agent"]) == ("handoff", "Billing", "Triage")
    assert json.loads(handoff["attributes"])["handoff.from"] == "Triage"
    tool = rows["span_b"]
    assert (tool["tool"], tool["status"], tool["error_type"], tool["error_message"]) == (
        "lookup", "error", "KeyError", "no record 7")
    assert tool["input"] == "{'id': 7}"  # only the end record had it
    # span_a: the root never ended.
    assert rows["span_a"]["end_time"] is None and rows["span_a"]["status"] == "unset"
    # span_d: an end with no start is still a complete span.
    billing = rows["span_d"]
    assert billing["start_time"].isoformat() == "2025-07-01T10:00:04+00:00"
    assert billing["end_time"].isoformat() == "2025-07-01T10:00:05+00:00"
    assert billing["agent"] == "Billing" and billing["kind"] == "agent"
    # Its configured handoffs are not a handoff taken.
    assert billing["handoff_to"] is None
    assert json.loads(billing["attributes"])["agent.handoffs"] == "['Triage', 'Refunds']"


def test_malformed_records_are_quarantined_with_reasons() -> None:
    result = forensics.load(DATA / "malformed.jsonl", format="raaf")
    account = result.report.files[0]
    reasons = {(q["source_line"], q["reason"]) for q in result.quarantine.to_pylist()}
    assert reasons == {
        (2, "duplicate-start"), (3, "unknown-event"), (4, "missing-span"), (5, "missing-span-id"),
        (6, "invalid-time"), (7, "not-an-object"), (8, "invalid-attribute"), (9, "invalid-event"), (10, "truncated"),
    }
    # The end of span_a was cut off: its start is kept as an open span.
    assert result.spans.num_rows == 1
    assert result.spans.to_pylist()[0]["end_time"] is None
    assert account.records_read == 10 == account.rows + account.quarantined + account.merged


def test_pairing_streams_a_big_shuffled_file(tmp_path: Path) -> None:
    # 20,000 spans whose ends arrive in random order, every one far from its start.
    rng = random.Random(7)
    n = 20_000
    ends = list(range(n))
    rng.shuffle(ends)
    path = tmp_path / "big.jsonl"
    with path.open("wb") as fh:
        for i in range(n):
            fh.write(orjson.dumps({"event": "start", "timestamp": "2025-07-01T10:00:00Z",
                                   "span": {"span_id": f"s{i}", "trace_id": f"t{i % 50}", "kind": "tool",
                                            "start_time": "2025-07-01T10:00:00Z", "status": "ok"}}) + b"\n")
        for i in ends[: n - 10]:
            fh.write(orjson.dumps({"event": "end", "timestamp": "2025-07-01T10:00:01Z",
                                   "span": {"span_id": f"s{i}", "trace_id": f"t{i % 50}", "kind": "tool",
                                            "start_time": "2025-07-01T10:00:00Z",
                                            "end_time": "2025-07-01T10:00:01Z", "status": "ok"}}) + b"\n")
    sink = SpanSink("raaf", str(path))
    EventPairsLoader().read(Source(str(path), sink), sink)
    assert (sink.rows, sink.merged_count, sink.quarantined) == (n, n - 10, 0)
    table = sink.table()
    assert table.column("end_time").null_count == 10


@pytest.mark.parametrize("cut", [1000, 20_000, 45_678, 70_000])
def test_real_file_cut_short_keeps_every_record_accounted(tmp_path: Path, cut: int) -> None:
    data = _real().read_bytes()[:cut]
    path = tmp_path / "cut.jsonl"
    path.write_bytes(data)
    result = forensics.load(path, format="raaf")
    account = result.report.files[0]
    complete_lines = data.count(b"\n")
    tail = 0 if data.endswith(b"\n") else 1
    assert account.records_read == complete_lines + tail
    assert {q["reason"] for q in result.quarantine.to_pylist()} <= {"truncated"}
    assert account.quarantined == tail
    # Spans whose end was cut off are kept open, not lost.
    ends = {orjson.loads(line)["span"]["span_id"] for line in data.split(b"\n")[:complete_lines]
            if orjson.loads(line)["event"] == "end"}
    open_rows = {r["span_id"] for r in result.spans.to_pylist() if r["end_time"] is None}
    assert not open_rows & ends


def _line(event: str, sid: str, parent: str | None, kind: str, t: str, **span: object) -> bytes:
    body = {"span_id": sid, "trace_id": "trace_t", "parent_id": parent, "name": f"{kind}.x", "kind": kind,
            "start_time": t, "attributes": {"agent.name": "Math"} if kind == "agent" else {}, "events": [],
            "status": "ok", **span}
    return orjson.dumps({"event": event, "timestamp": t, "span": body}) + b"\n"


def _two_turns(tmp_path: Path, *, first_turn_ends_first: bool) -> Path:
    """RAAF's shape: turn one (agent a1: llm l1, tool t1), then turn two (agent a2, recorded under
    t1 because the stack is never popped) whose llm call raises; a2 fails with it."""
    err = {"status": "error", "attributes": {"status.description": "Bad request to OpenAI"},
           "events": [{"name": "exception", "timestamp": "2025-06-23T19:11:09Z",
                       "attributes": {"exception.type": "APIError", "exception.message": "Bad request"}}]}
    a1_end = _line("end", "a1", None, "agent", "2025-06-23T19:11:07Z", end_time="2025-06-23T19:11:08Z")
    lines = [
        _line("start", "a1", None, "agent", "2025-06-23T19:11:07Z"),
        _line("start", "l1", "a1", "llm", "2025-06-23T19:11:07Z"),
        _line("end", "l1", "a1", "llm", "2025-06-23T19:11:07Z", end_time="2025-06-23T19:11:08Z"),
        _line("start", "t1", "l1", "tool", "2025-06-23T19:11:08Z"),
        _line("end", "t1", "l1", "tool", "2025-06-23T19:11:08Z", end_time="2025-06-23T19:11:08Z"),
        *([a1_end] if first_turn_ends_first else []),
        _line("start", "a2", "t1", "agent", "2025-06-23T19:11:08Z"),
        _line("start", "l2", "a2", "llm", "2025-06-23T19:11:08Z"),
        _line("end", "l2", "a2", "llm", "2025-06-23T19:11:08Z", end_time="2025-06-23T19:11:09Z", **err),
        _line("end", "a2", "t1", "agent", "2025-06-23T19:11:08Z", end_time="2025-06-23T19:11:09Z", **err),
        *([] if first_turn_ends_first else [a1_end]),
    ]
    path = tmp_path / "turns.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def test_a_turn_started_after_the_first_ended_raised_to_the_caller(tmp_path: Path) -> None:
    # The first turn's agent span ended ok before the second began: the second turn is no child of
    # it, and its error is what the run ended on (reported error), not one swallowed under an ok root.
    result = forensics.load(_two_turns(tmp_path, first_turn_ends_first=True))
    rows = _rows(result)
    assert rows["a2"]["parent_id"] is None and rows["t1"]["parent_id"] == "a1"
    assert json.loads(rows["a2"]["attributes"])["@recorded_parent_id"] == "t1"
    classes = {f["failure_class"] for f in forensics.classify(result).findings.to_pylist()}
    assert "silent_failure" not in classes
    assert "missing_fallback" in classes  # the Bad request was still never handled


def test_a_nested_agent_failing_inside_an_open_root_is_still_swallowed(tmp_path: Path) -> None:
    # Near-miss: the root agent span was still open when the nested agent started, and ended ok after
    # it failed: the nested agent is inside the root (the innermost span open at its start; its
    # recorded parent, the tool, had ended), and the root reporting success over its error is read.
    result = forensics.load(_two_turns(tmp_path, first_turn_ends_first=False))
    rows = _rows(result)
    assert rows["a2"]["parent_id"] == "a1" and rows["t1"]["parent_id"] == "a1"
    assert rows["l2"]["parent_id"] == "a2"  # its recorded parent was open: it stands
    assert "@recorded_parent_id" not in json.loads(rows["l2"]["attributes"])
    classes = {f["failure_class"] for f in forensics.classify(result).findings.to_pylist()}
    assert "silent_failure" in classes
