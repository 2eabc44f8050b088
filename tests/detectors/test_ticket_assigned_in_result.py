"""A ticket that came back with an owner named was picked up; one with nobody named, or a page
(an incident, taken only when acknowledged), was not.

The ticketing systems name who holds a ticket in its own record (Jira ``assignee``, Zendesk
``assignee_id``, ServiceNow ``assigned_to``). An intake agent that files a ticket the helpdesk
auto-assigns to a team has handed the work to an owner; a ticket queued with ``assignee: null``
waits for somebody. PagerDuty assigns a triggered incident to on-call at once, yet the page is
taken only when acknowledged (its ``status``), so an assignment on a page is no acknowledgement.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _filed(result: dict[str, object], tool: str = "create_ticket") -> set[str]:
    c = run(
        span("root", 0, 10, kind="agent", name="intake_agent", output="Filed NET-40417 for your VPN drops."),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o-mini"),
        span("s1", 2, 3, parent_id="root", kind="tool", tool="search_tickets", input='{"text": "VPN drops"}', output="[]"),
        span("t1", 4, 5, parent_id="root", kind="tool", tool=tool, input='{"title": "VPN drops", "queue": "network"}',
             output=json.dumps(result)),  # fmt: skip
        span("l2", 6, 7, parent_id="root", kind="llm", model="gpt-4o-mini", output="Filed NET-40417."),
    )
    return detectors(c)


def test_a_ticket_filed_with_nobody_assigned_is_unacknowledged() -> None:
    found = _filed({"ticket": "NET-40417", "queue": "network", "assignee": None, "position": 14})
    assert "unacknowledged_escalation" in found


def test_near_miss_a_ticket_that_came_back_assigned_has_an_owner() -> None:
    found = _filed({"ticket": "NET-40417", "assigned_to": "net-oncall", "ack": "auto-assigned"})
    assert "unacknowledged_escalation" not in found


def test_near_miss_a_zendesk_ticket_with_an_assignee_id_has_an_owner() -> None:
    assert "unacknowledged_escalation" not in _filed({"ticket": {"id": 35436, "assignee_id": 235323, "status": "open"}})


def test_a_page_assigned_to_on_call_but_still_triggered_is_unacknowledged() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="ops_copilot", output="Paged on-call."),
        span("p1", 2, 3, parent_id="root", kind="tool", tool="page_oncall", input='{"service": "payments"}',
             output=json.dumps({"incident": {"id": "Q3X91", "status": "triggered",
                                             "assignments": [{"assignee": {"id": "PU1", "summary": "Ana"}}]}})),  # fmt: skip
    )
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "p1"
