"""unacknowledged_escalation: a ticket the run opened, read back later with its assignee set
(Zendesk Tickets API assignee_id), was taken; read back unassigned, it was not."""

from __future__ import annotations

import json

from span_builder import detectors, run, span

AGENT = {"kind": "agent", "name": "Triage", "agent": "Triage"}


def _ticket_polled(last_read: dict[str, object]):
    ticket = {"id": 481022, "status": "new", "group_id": 360011822}
    return run(
        span("a", 0, 130, **AGENT),
        span("m1", 1, 2, parent_id="a", kind="llm", name="gpt-4.1", output="Escalating."),
        span("c", 3, 4, parent_id="a", kind="tool", name="create_ticket", tool="create_ticket",
             input=json.dumps({"priority": "urgent", "subject": "SSO login loop"}), output=json.dumps({"ticket": ticket})),
        span("g1", 34, 35, parent_id="a", kind="tool", name="get_ticket", tool="get_ticket",
             input=json.dumps({"id": 481022}), output=json.dumps({"ticket": {"id": 481022, "status": "new", "assignee_id": None}})),
        span("g2", 124, 125, parent_id="a", kind="tool", name="get_ticket", tool="get_ticket",
             input=json.dumps({"id": 481022}), output=json.dumps({"ticket": last_read})),
        span("m2", 126, 127, parent_id="a", kind="llm", name="gpt-4.1", output="Our identity team has your ticket."),
    )


def test_a_ticket_read_back_with_its_assignee_set_was_taken() -> None:
    c = _ticket_polled({"id": 481022, "status": "open", "assignee_id": 902211457})
    assert "unacknowledged_escalation" not in detectors(c)


def test_a_ticket_read_back_still_unassigned_was_not() -> None:
    c = _ticket_polled({"id": 481022, "status": "new", "assignee_id": None})
    assert "unacknowledged_escalation" in detectors(c)
