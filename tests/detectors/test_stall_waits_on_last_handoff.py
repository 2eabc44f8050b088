"""stall: a run that never ended and whose last activity is a handoff waits on that handoff.

An in-house agent that logs structured events one JSON object a line (structlog, python-json-logger:
read by ``forensics/loaders/jsonl.py``, each line a point in time) writes ``run.started`` and each
agent's ``agent.started`` but no end for them when the process never finishes; the lifecycle
convention (``forensics/conventions/lifecycle.py``) then reads every such start as never ended. The
agent that handed off last did not hang: it passed its work on (its ``handoff`` line names
``from_agent``/``to_agent``) and nobody took it up, so the stall's decisive span is that handoff, the
span limbo names too (TAXONOMY: the earliest span from which the failure was inevitable). When the
target did start and work after the handoff, the run hung in the target's step, not on the handoff.
"""

from __future__ import annotations

import json
from pathlib import Path

from forensics import classify, load


def _line(ts: str, event: str, span_id: str, parent: str | None, agent: str, **extra: object) -> str:
    row: dict[str, object] = {"ts": f"2026-03-02T{ts}Z", "level": "info", "run_id": "run_it_1", "event": event,
                              "span_id": span_id, "agent": agent, **extra}
    if parent:
        row["parent_span_id"] = parent
    return json.dumps(row)


def _log(tmp_path: Path, tail: list[str]) -> dict[str, str]:
    lines = [
        _line("10:00:00.000", "run.started", "a1", None, "triage"),
        _line("10:00:01.000", "llm.completion", "a2", "a1", "triage", status="ok", duration_ms=900, model="gpt-4o-mini"),
        _line("10:00:02.000", "handoff", "a3", "a1", "triage", from_agent="triage", to_agent="network"),
        _line("10:05:00.000", "agent.started", "a4", "a3", "network"),
        _line("10:05:01.000", "llm.completion", "a5", "a4", "network", status="ok", duration_ms=900, model="gpt-4o-mini"),
        _line("10:05:02.000", "handoff", "a6", "a4", "network", from_agent="network", to_agent="desktop"),
        *tail,
    ]
    path = tmp_path / "helpdesk.jsonl"
    path.write_text("\n".join(lines) + "\n")
    findings = classify(load(path)).findings.to_pylist()
    return {f["detector"]: f["decisive_span_id"] for f in findings}


def test_the_last_handoff_nobody_took_up_is_where_the_run_stalled(tmp_path: Path) -> None:
    found = _log(tmp_path, [])
    assert found["stall"] == "a6"
    assert found["limbo"] == "a6"


def test_near_miss_the_target_started_and_worked_after_the_handoff(tmp_path: Path) -> None:
    found = _log(tmp_path, [
        _line("10:20:00.000", "agent.started", "a7", "a6", "desktop"),
        _line("10:20:01.000", "llm.completion", "a8", "a7", "desktop", status="ok", duration_ms=900, model="gpt-4o-mini"),
    ])
    assert found["stall"] == "a7"
    assert "limbo" not in found
