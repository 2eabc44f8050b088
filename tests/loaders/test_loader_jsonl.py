"""jsonl: generic application logs mapped by defaults or a declarative field map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from realdata import DATA

import forensics
from forensics.errors import InputError

SUPPORT = DATA / "jsonl" / "support_bot.jsonl"


def test_common_key_names_map_without_configuration() -> None:
    result = forensics.load(SUPPORT)
    assert result.report.files[0].format == "jsonl"
    df = result.to_polars().sort("span_id")
    assert df["run_id"].unique().to_list() == ["run-8812"]
    assert df["kind"].to_list() == ["agent", "llm", "tool", "event"]
    assert df["agent"].to_list() == ["support-triage"] * 4  # inherited from the agent line
    assert df["session_id"].to_list() == ["ticket-5521"] * 4
    llm = df.row(1, named=True)
    assert (llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("gpt-4o", 812, 64)
    assert (llm["end_time"] - llm["start_time"]).total_seconds() == pytest.approx(0.95)
    tool = df.row(2, named=True)
    assert (tool["tool"], tool["status"], tool["error_type"]) == ("crm.lookup", "error", "HTTPError")
    assert tool["error_message"] == "429 Too Many Requests"
    assert json.loads(tool["input"]) == {"customer": "C-77"}
    assert df["status"][3] == "ok"
    assert df["output"][3] == "Your refund is on its way."
    # Nested objects stay in attributes even when one of their keys was mapped: nothing lost.
    assert json.loads(llm["attributes"])["usage"] == {"prompt_tokens": 812, "completion_tokens": 64}


def test_field_map_for_a_home_grown_shape(tmp_path: Path) -> None:
    path = tmp_path / "worker.jsonl"
    path.write_text(
        '{"when": 1718000000.5, "job": "J1", "actor": "planner", "what": "plan", "meta": {"tool": "search"}}\n'
        '{"when": 1718000001.5, "job": "J1", "actor": "planner", "what": "search", "meta": {"tool": "search"}, "sev": "FATAL"}\n'
    )
    field_map = {"run_id": "job", "start_time": "when", "agent": "actor", "name": "what", "tool": "meta.tool", "level": "sev"}
    df = forensics.load(path, format="jsonl", options={"field_map": field_map}).to_polars()
    assert df["run_id"].to_list() == ["J1", "J1"]
    assert df["span_id"].to_list() == ["L1", "L2"]  # no span ids: named by line
    assert df["tool"].to_list() == ["search", "search"]
    assert df["status"].to_list() == ["unset", "error"]
    assert df["start_time"][0].timestamp() == pytest.approx(1718000000.5)


def test_one_run_per_file(tmp_path: Path) -> None:
    path = tmp_path / "nightly-job-17.jsonl"
    path.write_text('{"ts": "2025-01-01T00:00:00Z", "msg": "hello"}\n')
    df = forensics.load(path, format="jsonl", options={"field_map": {"run_id": "@file"}}).to_polars()
    assert df["run_id"].to_list() == ["nightly-job-17"]


def test_lines_without_a_run_id_are_quarantined_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    path.write_text('{"ts": "2025-01-01T00:00:00Z", "msg": "hello"}\n{"ts": "2025-01-01T00:00:01Z", "msg": "x", "run_id": "r"}\n')
    result = forensics.load(path, format="jsonl")
    assert result.spans.num_rows == 1
    q = result.quarantine.to_pylist()[0]
    assert (q["source_line"], q["reason"]) == (1, "missing-run-id")
    assert "field_map" in q["detail"]


def test_unknown_field_map_column_is_an_error() -> None:
    with pytest.raises(InputError, match="unknown column `runid`"):
        forensics.load(SUPPORT, format="jsonl", options={"field_map": {"runid": "x"}})


def _handoff_log(tmp_path: Path, handoff: dict[str, object]) -> Path:
    lines = [
        {"ts": "2025-03-02T09:00:00Z", "run_id": "r1", "event": "run.started", "agent": "triage"},
        {"ts": "2025-03-02T09:00:01Z", "run_id": "r1", "event": "tool.call", "agent": "triage", "tool": "crm.lookup",
         "duration_ms": 300, "status": "ok", "result": {"tier": "gold"}},
        {"ts": "2025-03-02T09:00:02Z", "run_id": "r1", "event": "handoff", "agent": "triage", **handoff},
        {"ts": "2025-03-02T09:00:03Z", "run_id": "r1", "event": "tool.call", "agent": "billing", "tool": "invoice.status",
         "duration_ms": 500, "status": "ok", "result": {"invoice": "in_1", "state": "paid"}},
        {"ts": "2025-03-02T09:00:04Z", "run_id": "r1", "event": "run.finished", "agent": "billing", "status": "completed",
         "answer": "Invoice in_1 is paid."},
    ]
    path = tmp_path / "app.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_handoff_line_is_a_moment_like_an_event(tmp_path: Path) -> None:
    """A one-line handoff (``to_agent``, no end, no duration) records control passing at its timestamp;
    it does no work that could still be running. It loaded as an open span while an event line of the
    same shape closed at its timestamp, so a run that finished (``run.finished`` completed) kept its
    handoffs open and read as one that never ended."""
    from forensics.classify import classify

    result = forensics.load(_handoff_log(tmp_path, {"to_agent": "billing"}), format="jsonl")
    df = result.to_polars()
    handoff = df.filter(df["kind"] == "handoff").row(0, named=True)
    assert (handoff["handoff_to"], handoff["end_time"]) == ("billing", handoff["start_time"])
    assert df["end_time"].null_count() == 0
    runs = classify(result.spans).runs.to_pylist()
    assert [r["reported_outcome"] for r in runs] != ["open"]
    assert classify(result.spans).findings.num_rows == 0


def test_a_tool_line_without_an_end_stays_open_and_a_handoff_keeps_its_duration(tmp_path: Path) -> None:
    # Near-miss: only a moment closes at its timestamp; a handoff that gives a duration keeps it.
    df = forensics.load(_handoff_log(tmp_path, {"to_agent": "billing", "duration_ms": 1200}), format="jsonl").to_polars()
    handoff = df.filter(df["kind"] == "handoff").row(0, named=True)
    assert (handoff["end_time"] - handoff["start_time"]).total_seconds() == pytest.approx(1.2)
    path = tmp_path / "open.jsonl"
    path.write_text(json.dumps({"ts": "2025-03-02T09:00:01Z", "run_id": "r2", "event": "tool.call",
                                "tool": "refund.issue", "agent": "billing"}) + "\n")
    tool = forensics.load(path, format="jsonl").to_polars().row(0, named=True)
    assert (tool["kind"], tool["end_time"]) == ("tool", None)
