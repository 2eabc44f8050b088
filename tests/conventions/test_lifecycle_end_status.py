"""An application log's ``run.end`` line says how the run ended: its failure is the root's.

An in-house agent logging structured events one JSON object a line (structlog, python-json-logger:
``{"ts", "level", "event", "run_id", "span_id", "parent_span_id", "status", ...}``, read by
``forensics/loaders/jsonl.py``, where a log line is a point in time) writes ``run.start`` as the
run's root and, when the run is over, ``run.end`` under it with the run's status and final output.
The root start holds no status of its own: a run whose end said ``status: error`` read as a run that
reported success with one failed event in it (``swallowed_error``). The root now takes the failure
of the last end of its subject (conventions.lifecycle). Near misses: the same run whose end says
``ok``; and a step's failed end under a run whose own end says ``ok``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics


def _line(ts: str, event: str, span: str, parent: str | None, **kw: Any) -> dict[str, Any]:
    return {"ts": f"2026-03-05T10:00:{ts}Z", "level": "INFO", "service": "deploy-bot", "run_id": "dep_41",
            "span_id": span, "parent_span_id": parent, "event": event, "agent": "deployer"} | kw


def _run(tmp_path: Path, *, tool_failed: bool, run_status: str, step_failed: bool = False) -> dict[str, Any]:
    check = {"status": "error", "error": "health check failed: 5xx 7.2%"} if tool_failed else {"status": "ok", "result": {"healthy": True}}
    lines = [
        _line("00.000", "run.start", "a1", None, task="roll out api 3.4"),
        _line("01.000", "tool.call", "a2", "a1", kind="tool", tool="health.check", args={"svc": "api"}, duration_ms=300, **check),
    ]
    if step_failed:
        lines.append(_line("01.500", "step.start", "a3", "a1", step="warm_cache"))
        lines.append(_line("01.800", "step.end", "a4", "a3", step="warm_cache", status="error", level="WARN"))
    lines.append(_line("02.000", "run.end", "a9", "a1", status=run_status,
                       final_output="Rollout NOT completed: health check failed." if run_status == "error" else "Rolled out."))
    path = tmp_path / "deploy.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    findings, runs = forensics.classify(forensics.load(path, format="jsonl").spans).to_polars()
    return {"outcome": runs.get_column("reported_outcome")[0], "detectors": set(findings.get_column("detector"))}


def test_a_run_whose_end_says_error_reported_its_failure(tmp_path: Path) -> None:
    got = _run(tmp_path, tool_failed=True, run_status="error")
    assert got["outcome"] == "error"
    assert "swallowed_error" not in got["detectors"]  # the run said it failed: nothing was swallowed


def test_near_miss_a_run_whose_end_says_ok_reported_success(tmp_path: Path) -> None:
    got = _run(tmp_path, tool_failed=False, run_status="ok")
    assert (got["outcome"], got["detectors"]) == ("success", set())


def test_near_miss_a_failed_step_end_is_not_the_run_s_end(tmp_path: Path) -> None:
    # A step's end is its own subject's: the run's end said ok, so the root did not fail.
    got = _run(tmp_path, tool_failed=False, run_status="ok", step_failed=True)
    assert got["outcome"] == "success"
