"""An application log's ``<subject>.started`` with no ``<subject>.finished``: the run never ended.

An in-house agent logging structured events one JSON object a line (structlog, python-json-logger:
``{"ts", "level", "event", "run_id", ...}``, read by ``forensics/loaders/jsonl.py``, where a log
line is a point in time) writes ``run.started`` when a run begins and ``run.finished`` when it ends,
and the same for its steps. A run that wrote its start, started a step that waits on a callback and
then only wrote debug heartbeats never ended: ``stall``, at the step it hung in
(conventions.lifecycle). Near misses: the same run that wrote its step's and its own end; and a run
that wrote its own end though not its steps' (a writer that does not close steps).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

_RUN = "run_7d1c"


def _line(ts: str, event: str, span: str | None = None, parent: str | None = None, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"ts": f"2025-06-02T{ts}Z", "level": "info", "logger": "payroll.agent", "run_id": _RUN,
                           "event": event, "agent": "payroll_sync"}
    if span:
        row["span_id"] = span
    if parent:
        row["parent_span_id"] = parent
    return row | kw


def _log(tmp_path: Path, *, step_end: bool, run_end: bool) -> dict[str, dict[str, Any]]:
    lines = [
        _line("04:00:00.100", "run.started", "a1", task="sync timesheets"),
        _line("04:00:00.300", "llm.completion", "a2", "a1", status="ok", duration_ms=2100, model="gpt-4o-mini"),
        _line("04:00:02.600", "tool.call", "a3", "a1", tool="hris.export_timesheets", status="ok", duration_ms=900,
              args={"week": "2025-W22"}, export_id="EXP-9"),
        _line("04:00:03.700", "step.started", "a4", "a1", step="await_export", export_id="EXP-9"),
        _line("04:00:03.700", "heartbeat", level="debug", pending=["await_export"]),
        _line("04:20:03.700", "heartbeat", level="debug", pending=["await_export"], waiting_s=1200),
        _line("04:40:03.700", "heartbeat", level="debug", pending=["await_export"], waiting_s=2400),
    ]
    if step_end:
        lines[4:] = [_line("04:07:10.000", "step.finished", "a5", "a4", step="await_export", status="ok")]
    if run_end:
        lines += [
            _line("04:07:11.000", "tool.call", "a6", "a1", tool="payroll.import", status="ok", duration_ms=700),
            _line("04:07:12.000", "run.finished", "a7", "a1", status="completed", outcome="timesheets synced"),
        ]
    path = tmp_path / "agent.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    findings, _ = forensics.classify(forensics.load(path, format="jsonl").spans).to_polars()
    return {r["detector"]: r for r in findings.to_dicts()}


def test_a_run_that_started_a_step_and_never_wrote_an_end_stalled(tmp_path: Path) -> None:
    found = _log(tmp_path, step_end=False, run_end=False)
    assert "stall" in found
    assert found["stall"]["decisive_span_id"] == "a4"


def test_near_miss_the_step_and_the_run_wrote_their_ends(tmp_path: Path) -> None:
    assert _log(tmp_path, step_end=True, run_end=True) == {}


def test_near_miss_a_run_that_ended_though_its_step_wrote_no_end(tmp_path: Path) -> None:
    # The writer does not close steps: the run's own end says it ended.
    assert _log(tmp_path, step_end=False, run_end=True) == {}
