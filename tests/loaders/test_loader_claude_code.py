"""claude-code on the real transcript sample and hand-written quirk files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from realdata import shared_file

import forensics

REAL = "jsonl_app_logs/claude-code-log_representative_messages.jsonl"
DATA = Path(__file__).resolve().parents[1] / "data" / "claude_code"


def _real() -> Path:
    return shared_file(REAL)


def _rows(result: forensics.LoadResult) -> dict[str, dict]:
    return {r["span_id"]: r for r in result.spans.to_pylist()}


def test_real_file() -> None:
    result = forensics.load(_real())
    account = result.report.files[0]
    assert (account.format, account.chosen_by) == ("claude-code", "sniffed")
    # Read by hand: 12 lines of one session `test_session`: user lines 1, 3, 7, 11; assistant
    # lines 2, 4, 6, 8, 10 (4 calls Edit as tool_001, 8 calls Bash as tool_002); lines 5 and 9
    # are the two tool results (is_error false); line 12 a summary whose leaf is msg_011.
    assert result.run_ids == ["test_session"]
    assert account.quarantined == 0
    assert account.merged == 2  # lines 5 and 9 folded into their tool spans
    rows = _rows(result)
    assert len(rows) == 4 + 5 + 2 + 1
    assert Counter(r["kind"] for r in rows.values()) == {"human": 4, "llm": 5, "tool": 2, "event": 1}
    assert {r["session_id"] for r in rows.values()} == {"test_session"}
    assert {r["agent"] for r in rows.values()} == {"claude-code"}
    assert not [r for r in rows.values() if r["status"] == "error" or r["kind"] == "handoff"]
    edit, bash = rows["tool_001"], rows["tool_002"]
    assert (edit["tool"], edit["parent_id"], edit["status"]) == ("Edit", "msg_004", "ok")
    assert edit["output"] == "File created successfully at: /tmp/decorator_example.py"
    assert json.loads(edit["input"])["file_path"] == "/tmp/decorator_example.py"
    assert edit["start_time"].isoformat() == "2025-06-14T10:01:30+00:00"  # the assistant line
    assert edit["end_time"].isoformat() == "2025-06-14T10:01:31+00:00"  # the tool_result line
    assert (bash["tool"], bash["output"]) == ("Bash", "Hello, Alice!\nHello, Alice!\nHello, Alice!")
    assert json.loads(bash["attributes"])["toolUseResult"] == "Hello, Alice!\nHello, Alice!\nHello, Alice!"
    # Usage per assistant line, read from the file (no cache tokens in it).
    assert {k: (rows[k]["input_tokens"], rows[k]["output_tokens"]) for k in
            ("msg_002", "msg_004", "msg_006", "msg_008", "msg_010")} == {
        "msg_002": (25, 120), "msg_004": (45, 85), "msg_006": (78, 95), "msg_008": (25, 35), "msg_010": (45, 110)}
    assert {rows[k]["model"] for k in ("msg_002", "msg_010")} == {"claude-3-sonnet-20240229"}
    summary = rows["summary:12"]
    assert summary["output"].startswith("User learned about Python decorators")
    assert summary["start_time"] == rows["msg_011"]["start_time"]


def test_quirks() -> None:
    result = forensics.load(DATA / "quirks.jsonl")
    account = result.report.files[0]
    assert account.format == "claude-code"
    assert (account.rows, account.merged, account.quarantined) == (14, 1, 0)
    rows = _rows(result)
    assert Counter(r["kind"] for r in rows.values()) == {"human": 3, "llm": 5, "tool": 3, "handoff": 1, "event": 2}
    # Two lines of one streamed response (m1) repeat its usage: counted once, cache included.
    assert (rows["u2"]["input_tokens"], rows["u2"]["output_tokens"]) == (10 + 100 + 1000, 20)
    assert rows["u3"]["input_tokens"] is None and rows["u3"]["output_tokens"] is None
    assert json.loads(rows["u3"]["attributes"])["@usage_counted_on"] == "u2"
    # A failed tool: is_error with a list-of-blocks content, the structured toolUseResult kept.
    bash = rows["toolu_bash"]
    assert (bash["status"], bash["output"], bash["error_message"]) == ("error", "1 failed", "1 failed")
    assert json.loads(bash["attributes"])["toolUseResult"]["stderr"] == "1 failed"
    # The Task call is a handoff to the sub-agent; the sidechain belongs to it and hangs under it.
    task = rows["toolu_task"]
    assert (task["kind"], task["tool"], task["handoff_to"], task["output"]) == (
        "handoff", "Task", "code-reviewer", "found a race")
    assert task["end_time"].isoformat() == "2025-08-01T09:00:20+00:00"
    assert (rows["u6"]["agent"], rows["u6"]["parent_id"]) == ("code-reviewer", "toolu_task")
    assert (rows["u7"]["agent"], rows["u7"]["model"]) == ("code-reviewer", "claude-haiku")
    assert json.loads(rows["u7"]["attributes"])["@content"][0]["type"] == "thinking"
    # The sub-agent's Read never got a result: an open span.
    read = rows["toolu_read"]
    assert (read["agent"], read["end_time"], read["status"]) == ("code-reviewer", None, "unset")
    # A line with a tool result and text is a human turn too.
    assert (rows["u8"]["kind"], rows["u8"]["output"]) == ("human", "thanks, now fix it")
    # System line at level error; an API error message from the assistant.
    assert (rows["u9"]["kind"], rows["u9"]["status"], rows["u9"]["error_message"]) == (
        "event", "error", "PreToolUse hook failed")
    assert (rows["u10"]["status"], rows["u10"]["error_message"]) == ("error", "API Error: 529 Overloaded")
    # A result whose call is not in the file (a resumed session) is a tool span of its own.
    orphan = rows["toolu_from_before"]
    assert (orphan["kind"], orphan["output"], orphan["parent_id"]) == ("tool", "ok", "u10")
    # The summary at the top of the file belongs to its leaf's session and time.
    summary = rows["summary:1"]
    assert (summary["run_id"], summary["output"]) == ("s1", "Fixing the flaky test")
    assert summary["start_time"].isoformat() == "2025-08-01T09:00:21+00:00"
    assert {r["run_id"] for r in rows.values()} == {"s1"}
    assert {r["agent"] for r in rows.values()} == {"claude-code", "code-reviewer"}


def test_a_line_answering_a_folded_tool_result_hangs_under_its_call() -> None:
    # Claude Code chains every line to the one before it: u5's parentUuid is u4, the line holding
    # only toolu_bash's result, which is folded into the toolu_bash span. u5 hangs under that call
    # (the real parentUuid kept), so no span points at a parent that is not in the table.
    rows = _rows(forensics.load(DATA / "quirks.jsonl"))
    assert "u4" not in rows
    assert rows["u5"]["parent_id"] == "toolu_bash"
    assert json.loads(rows["u5"]["attributes"])["@parentUuid"] == "u4"
    assert {r["parent_id"] for r in rows.values()} - set(rows) == {None}
    # Near-miss: u9's parent u8 holds a tool result and text, so it is a span of its own: unchanged.
    assert rows["u9"]["parent_id"] == "u8"
    assert "@parentUuid" not in json.loads(rows["u9"]["attributes"])


def test_malformed_lines_are_quarantined_with_reasons() -> None:
    result = forensics.load(DATA / "malformed.jsonl", format="claude-code")
    account = result.report.files[0]
    reasons = {(q["source_line"], q["reason"]) for q in result.quarantine.to_pylist()}
    assert reasons == {
        (1, "missing-span-id"), (2, "not-an-object"), (3, "invalid-time"), (4, "invalid-message"),
        (5, "invalid-message"), (6, "unknown-message-type"), (7, "invalid-value"), (8, "invalid-json"),
    }
    assert [r["span_id"] for r in result.spans.to_pylist()] == ["good"]
    assert account.records_read == 9 == account.rows + account.quarantined + account.merged


@pytest.mark.parametrize("cut", [500, 3000, 7000])
def test_real_file_cut_short_keeps_every_record_accounted(tmp_path: Path, cut: int) -> None:
    data = _real().read_bytes()[:cut]
    path = tmp_path / "cut.jsonl"
    path.write_bytes(data)
    result = forensics.load(path, format="claude-code")
    account = result.report.files[0]
    assert account.records_read == account.rows + account.quarantined + account.merged
    assert [q["reason"] for q in result.quarantine.to_pylist()] == ["truncated"]
    assert result.quarantine.to_pylist()[0]["source_line"] == data.count(b"\n") + 1


def test_newer_files_opening_with_bookkeeping_lines(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    lines = [
        {"type": "file-history-snapshot", "messageId": "m0", "isSnapshotUpdate": False,
         "snapshot": {"messageId": "m0", "trackedFileBackups": {}, "timestamp": "2025-09-01T08:00:01Z"}},
        {"type": "queue-operation", "operation": "enqueue", "timestamp": "2025-09-01T08:00:00Z",
         "content": "fix it", "sessionId": "s9"},
        {"type": "user", "timestamp": "2025-09-01T08:00:02Z", "parentUuid": None, "isSidechain": False,
         "sessionId": "s9", "uuid": "u1", "message": {"role": "user", "content": "fix it"}},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = forensics.load(path)
    assert result.report.files[0].format == "claude-code"
    rows = _rows(result)
    assert {r["run_id"] for r in rows.values()} == {"s9"}
    assert rows["queue-operation:2"]["kind"] == "event"
    # The snapshot comes before any session id: it belongs to the file's first session.
    snapshot = rows["file-history-snapshot:1"]
    assert snapshot["start_time"].isoformat() == "2025-09-01T08:00:01+00:00"  # its time sits in the snapshot
    assert rows["u1"]["kind"] == "human"


def _answer_session(tmp_path: Path, stop_reason: str) -> Path:
    """A Claude Code transcript (one JSON line per message: type, uuid, parentUuid, sessionId and the
    Messages API message with its usage and stop_reason) whose last assistant line is the answer."""
    text = "Clause 14.2 (limitation of liability) caps damages at the fees paid in the prior twelve months, and the carve"
    lines = [
        {"type": "user", "timestamp": "2025-09-01T08:00:00Z", "parentUuid": None, "isSidechain": False, "sessionId": "s1",
         "uuid": "u1", "message": {"role": "user", "content": "Summarise every clause of the MSA."}},
        {"type": "assistant", "timestamp": "2025-09-01T08:02:00Z", "parentUuid": "u1", "isSidechain": False, "sessionId": "s1",
         "uuid": "a1", "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-opus-4-1-20250805",
                                   "content": [{"type": "text", "text": text}], "stop_reason": stop_reason,
                                   "stop_sequence": None, "usage": {"input_tokens": 900, "output_tokens": 8192}}},
    ]
    path = tmp_path / f"{stop_reason}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_stop_reason_max_tokens_is_the_cut_output(tmp_path: Path) -> None:
    # The Messages API's stop_reason (anthropic-sdk-python types/message.py) "max_tokens" is the
    # answer cut at its cap, as finish_reason "length" is elsewhere; kept under its own key it is
    # read as such. Was only message.stop_reason, which nothing read: the cut answer went clean.
    path = _answer_session(tmp_path, "max_tokens")
    attributes = json.loads(_rows(forensics.load(path))["a1"]["attributes"])
    assert attributes["stop_reason"] == "max_tokens" and "message.stop_reason" not in attributes
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    assert sorted(zip(findings["detector"], findings["decisive_span_id"], strict=True)) == [("context_overflow", "a1")]


def test_near_miss_stop_reason_end_turn_is_a_whole_answer(tmp_path: Path) -> None:
    path = _answer_session(tmp_path, "end_turn")
    assert json.loads(_rows(forensics.load(path))["a1"]["attributes"])["stop_reason"] == "end_turn"
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    assert findings.height == 0
