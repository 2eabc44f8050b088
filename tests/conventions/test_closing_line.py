"""A JSON-lines app log's closing line that failed is the run reporting failure.

An in-house JSON-lines app log (structlog style: ``ts``, ``event``, ``status``, ``span_id``,
``parent_span_id``; forensics/loaders/jsonl.py) opens a run with a ``run.start`` line and closes
it with a ``run.end`` line of its own span id under it, whose ``status`` and ``final_output`` are
the run's verdict. The start line, the root, was written before the run did anything and says
nothing of how it went: a run whose closing line says error reported failure (an agent that
aborted a rollout after a failed health check and said so), and the rules that need a run
reporting success (swallowed_error, error_as_data, premature_success) have nothing to judge. A
closing line with status ok leaves the run reporting success, and they still fire.
"""

from __future__ import annotations

import json
from pathlib import Path

from forensics.classify import classify
from forensics.load import load


def _line(ts: str, span_id: str, event: str, **kw: object) -> str:
    return json.dumps({"ts": f"2026-03-05T22:{ts}Z", "level": kw.pop("level", "INFO"), "service": "release-copilot",
                       "run_id": "run-1", "span_id": span_id, "parent_span_id": None if span_id == "root" else "root",
                       "event": event, "agent": "release-copilot", **kw})


def _run(tmp_path: Path, end_status: str, answer: str) -> tuple[set[str], str]:
    lines = [
        _line("10:31.640", "root", "run.start", task="Roll out checkout-api v3.42.0 via canary"),
        _line("12:10.440", "t1", "tool.call", kind="tool", tool="rollouts.set_image", args={"image": "v3.42.0"},
              duration_ms=640, status="ok", result={"phase": "Progressing", "canary_weight": 10}),
        _line("17:10.640", "t2", "tool.call", kind="tool", tool="metrics.check_canary", args={"window": "5m"},
              duration_ms=2150, status="ok", result={"status": "failed", "checks": [{"name": "5xx", "passed": False}]}),
        _line("17:12.640", "l1", "llm.call", kind="llm", model="claude-sonnet-4", duration_ms=2000, input_tokens=6120,
              output_tokens=171),
        _line("17:14.840", "end", "run.end", level="WARN" if end_status == "error" else "INFO", status=end_status,
              final_output=answer),
    ]
    f = tmp_path / "run.jsonl"
    f.write_text("\n".join(lines) + "\n")
    c = classify(load([f]))
    found = {r["detector"] for r in c.findings.to_pylist()}
    return found, c.runs.to_pylist()[0]["reported_outcome"]


def test_near_miss_the_closing_line_says_the_run_failed(tmp_path: Path) -> None:
    found, outcome = _run(tmp_path, "error", "Rollout NOT completed: the canary failed its health check; I aborted it.")
    assert outcome == "error"
    assert not {"swallowed_error", "error_as_data", "premature_success"} & found


def test_a_closing_line_with_status_ok_reports_success(tmp_path: Path) -> None:
    found, outcome = _run(tmp_path, "ok", "Rollout complete: checkout-api v3.42.0 is live.")
    assert outcome == "success"
    assert "error_as_data" in found
