"""A request for approval whose own result is the request's record, decided by a named person, was acknowledged.

A blocking approval tool (an approval service's request: POST the request, poll it until decided)
returns the request's record once someone decided it: ``{"status": "approved", "approver":
"m.okafor@...", "decided_at": ..., "comment": ...}`` (conventions ``approval_deciders``: the state
says approved and a decider key names a person: ``approved_by``). The person answered the
escalation (no ``unacknowledged_escalation``) and approved the release that follows. Near misses:
the same request returning the record still ``pending``; the record approved by the step's own
rule when nobody answered (``"decided_by": "policy:auto_on_timeout"``: ``approved_by_default``).
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _release(record: dict[str, object]):
    return run(
        span("a1", 0, 20, kind="agent", agent="housekeeping", name="invoke_agent housekeeping",
             output="Released 2 unused numbers."),
        span("l1", 1, 1.5, parent_id="a1", kind="llm", model="gpt-4.1", output=""),
        span("ap", 2, 12, parent_id="a1", kind="tool", tool="request_human_approval",
             input=json.dumps({"action": "release_phone_numbers", "items": ["+4930111", "+4930222"],
                               "approver_group": "telecom-admins"}),
             output=json.dumps(record)),
        span("l2", 12.5, 13, parent_id="a1", kind="llm", model="gpt-4.1", output=""),
        span("d1", 13.5, 14, parent_id="a1", kind="tool", tool="release_phone_number",
             input=json.dumps({"phone_number_sid": "PN1"}), output=json.dumps({"released": True})),
        span("d2", 14.5, 15, parent_id="a1", kind="tool", tool="release_phone_number",
             input=json.dumps({"phone_number_sid": "PN2"}), output=json.dumps({"released": True})),
        span("l3", 16, 16.5, parent_id="a1", kind="llm", model="gpt-4.1", output="Released 2 unused numbers."),
    )  # fmt: skip


def test_record_decided_by_a_named_approver_acknowledged_the_request() -> None:
    record = {"status": "approved", "approver": "m.okafor@example.eu", "decided_at": "2026-11-21T10:44:12Z",
              "comment": "ok, campaign ended"}  # fmt: skip
    assert "unacknowledged_escalation" not in detectors(_release(record))


def test_near_miss_record_pending_or_approved_by_the_rule() -> None:
    pending = {"status": "pending", "request_id": "apr_1", "approver": None}
    assert one(_release(pending), "unacknowledged_escalation")["decisive_span_id"] == "ap"
    by_rule = {"status": "approved", "decided_by": "policy:auto_on_timeout", "comment": "no response within 900s"}
    assert one(_release(by_rule), "unacknowledged_escalation")["decisive_span_id"] == "ap"
