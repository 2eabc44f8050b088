"""Work filed to a queue whose own record says nobody holds it is an escalation to that queue.

Ticketing systems return the record they opened with where it sits and who holds it: Zendesk's
ticket ``group_id`` and ``assignee_id`` (null until an agent takes it; developer.zendesk.com, Tickets
API), ServiceNow's incident ``assignment_group`` and ``assigned_to`` (empty until assigned). A tool
with any name (``create_review_task``) whose result is such a record in a named queue with no owner
handed the work to the queue: unacknowledged_escalation judges it (taken once a later read of the
same record shows an owner). Near misses: a later read shows it assigned; the record came back
assigned already; a read of an existing record (its id in the arguments) opens nothing.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

FILED = {"task_id": "TSK-40912", "queue": "clinical-review", "status": "open", "assignee": None}


def _session(result: dict[str, Any], later: dict[str, Any] | None = None, args: dict[str, Any] | None = None):
    spans = [
        span("run", 0, 200, kind="chain", name="review-desk"),
        span("t1", 2, 3, parent_id="run", kind="tool", tool="create_review_task",
             input=json.dumps(args or {"subject": "Early refill", "priority": "high"}), output=json.dumps(result)),
    ]  # fmt: skip
    if later is not None:
        spans.append(span("t2", 120, 121, parent_id="run", kind="tool", tool="get_task",
                          input=json.dumps({"task_id": "TSK-40912"}), output=json.dumps(later)))  # fmt: skip
    spans.append(span("fin", 190, 191, parent_id="run", kind="llm", name="final", output="Sent for review; someone will look at it shortly."))
    return run(*spans)


def test_a_record_filed_to_a_queue_with_no_owner_and_never_taken_is_unacknowledged() -> None:
    assert one(_session(FILED), "unacknowledged_escalation")["decisive_span_id"] == "t1"
    snow = {"number": "INC0040912", "state": "New", "assignment_group": "Pharmacy Ops", "assigned_to": ""}
    assert one(_session(snow), "unacknowledged_escalation")["decisive_span_id"] == "t1"


def test_near_miss_taken_later_assigned_already_or_only_read() -> None:
    taken = {"task_id": "TSK-40912", "status": "in_review", "assignee": "Dr. A. Osei"}
    assert "unacknowledged_escalation" not in detectors(_session(FILED, taken))
    assert "unacknowledged_escalation" not in detectors(_session({**FILED, "assignee": "Dr. A. Osei"}))
    assert "unacknowledged_escalation" not in detectors(_session(FILED, args={"task_id": "TSK-40912"}))
