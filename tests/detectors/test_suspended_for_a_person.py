"""A run its application parked to wait for a person after escalating is open, not hung.

An in-house agent logging lifecycle events one JSON object a line (conventions.lifecycle,
forensics/loaders/jsonl.py: each line a point event) writes ``run.started``, escalates the case to
a review queue, and writes ``run.suspended`` ("paused until nurse review decision"): it writes
``run.finished`` only when the answer resumes it. Prefect parks a flow run the same way
(PrefectHQ/prefect ``src/prefect/flow_runs.py`` ``suspend_flow_run``: state Suspended until input
arrives). With nobody answering, the run stays open: the unanswered escalation is the story
(unacknowledged_escalation, limbo), and stall, the run that hung, is not. Firing twins: the same run
with no suspension written (it just never ended), a run that resumed (a model call after the
suspension) and then never ended, and a suspension with no escalation before it.
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span

_TICKET = json.dumps({"ticket_id": "WQ-7731", "queue": "clinical-review", "status": "open", "assignee": None})


def _parked(*, suspended: bool = True, resumed: bool = False, escalated: bool = True):
    rows = [
        span("start", 0, 0, kind="event", name="run.started", agent="intake"),
        span("g", 1, 1.4, parent_id="start", kind="tool", tool="ehr.get_encounter", name="ehr.get_encounter",
             agent="intake", input=json.dumps({"encounter_id": "ENC-1"}), output=json.dumps({"red_flags": ["weakness"]})),
        span("m", 2, 4, parent_id="start", kind="llm", name="chat", model="gpt-4o", agent="intake"),
    ]
    if escalated:
        rows.append(span("e", 5, 5.6, parent_id="start", kind="tool", tool="workqueue.escalate", name="workqueue.escalate",
                         agent="intake", input=json.dumps({"queue": "clinical-review", "priority": "urgent"}),
                         output=_TICKET))
    if suspended:
        rows.append(span("p", 6, 6, parent_id="start", kind="event", name="run.suspended", agent="intake",
                         output="paused until review decision"))
    if resumed:
        rows.append(span("m2", 900, 902, parent_id="start", kind="llm", name="chat", model="gpt-4o", agent="intake"))
    rows.append(span("sla", 7200, 7200, parent_id="e" if escalated else "start", kind="event", name="workqueue.sla_check",
                     agent="intake", output="ticket past SLA, still unassigned"))
    return run(*rows)


def test_a_run_suspended_after_escalating_is_no_stall() -> None:
    found = detectors(_parked())
    assert "stall" not in found, found
    assert "unacknowledged_escalation" in found, found


def test_a_run_that_never_ended_resumed_and_hung_or_paused_without_escalating_is_a_stall() -> None:
    for kw in ({"suspended": False}, {"resumed": True}, {"escalated": False}):
        found = detectors(_parked(**kw))
        assert "stall" in found, (kw, found)
