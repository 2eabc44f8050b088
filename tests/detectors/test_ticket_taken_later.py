"""A ticket an escalation filed, reported taken by a later call naming it, was acknowledged.

The support agent files a ticket (create_ticket -> {"key": "SUP-881", "status": "new"}) and later
reads it back (get_ticket {"id": "SUP-881"}): Jira's ``assignee`` set or status "In Progress",
Zendesk's ``assignee_id`` or status ``solved`` / ``closed`` say someone holds it. Near misses: the
later read shows it still new and unassigned; the later read is of another ticket.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span


def _session(read_id: str, read: dict[str, Any]):
    return run(
        span("run", 0, 20, kind="chain", name="support-agent"),
        span("u", 0.5, 0.5, parent_id="run", kind="human", output="I was charged twice for my subscription."),
        span("t1", 2, 3, parent_id="run", kind="tool", tool="create_ticket",
             input=json.dumps({"subject": "Double charge", "priority": "high"}),
             output=json.dumps({"key": "SUP-881", "status": "new"})),
        span("t2", 4, 5, parent_id="run", kind="tool", tool="get_ticket", input=json.dumps({"id": read_id}),
             output=json.dumps({"key": read_id, **read})),
        span("fin", 6, 6.5, parent_id="run", kind="llm", name="final",
             output="Ticket SUP-881 is with our billing team; they'll email you today."),
    )  # fmt: skip


def test_a_later_read_of_the_ticket_showing_an_owner_or_progress_acknowledges_it() -> None:
    assert "unacknowledged_escalation" not in detectors(_session("SUP-881", {"status": "In Progress"}))
    assert "unacknowledged_escalation" not in detectors(_session("SUP-881", {"status": "new", "assignee": "maria"}))
    assert "unacknowledged_escalation" not in detectors(_session("SUP-881", {"status": "solved"}))


def test_near_miss_still_new_or_another_ticket() -> None:
    assert one(_session("SUP-881", {"status": "new", "assignee": None}), "unacknowledged_escalation")["decisive_span_id"] == "t1"
    assert one(_session("SUP-702", {"status": "In Progress"}), "unacknowledged_escalation")["decisive_span_id"] == "t1"


def test_a_later_read_closed_with_its_owner_empty_is_no_acknowledgement() -> None:
    """ServiceNow closes an incident by rule (an SLA breach auto-close) with ``assigned_to`` still
    empty: nobody held it, whatever its state says. Near miss: closed with an owner."""
    untaken = {"status": "closed", "assigned_to": "", "close_notes": "Auto-closed by rule"}
    assert one(_session("SUP-881", untaken), "unacknowledged_escalation")["decisive_span_id"] == "t1"
    assert "unacknowledged_escalation" not in detectors(_session("SUP-881", {"status": "closed", "assigned_to": "ana"}))
