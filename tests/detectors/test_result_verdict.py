"""A result's own verdict field (forensics/detectors/result_verdict.py): HTTP 200, body says failed.

A payment API answers a request it refused with HTTP 200 and the verdict in the body: Adyen's
/payments ``{"resultCode": "Refused", "refusalReason": ...}`` (Adyen API Explorer, Checkout
/payments response), a bank API's ``{"status": "failed", "reason": ...}`` or ``{"state": "FAILED"}``.
The tool span ends OK; an agent that then says the payment is scheduled read the error as data. A
listing whose records carry their own status is data: OpenAI's batch list answers
``{"object": "list", "data": [{"id": "batch_...", "status": "failed"}, ...]}`` (openai-python
``types/batch.py``: ``Batch.status`` validating, failed, in_progress, ..., completed).
"""

from __future__ import annotations

import json

from span_builder import detectors, findings, run, span

PAY = {"iban": "DE89 3704 0044 0532 0130 01", "amount_eur": 120, "payee": "ACME GmbH"}
SCHEDULED = "Done: your payment of EUR 120 to ACME GmbH is scheduled for tomorrow."


def _payment(result: dict[str, object], answer: str = SCHEDULED, tool: str = "schedule_payment") -> set[str]:
    return detectors(run(
        span("root", 0, 10, kind="agent", name="payments", agent="payments", input="Pay ACME EUR 120", output=answer),
        span("l1", 1, 2, kind="llm", parent_id="root", agent="payments", model="gpt-4o", output=f"call {tool}"),
        span("t1", 3, 4, kind="tool", parent_id="root", agent="payments", name=tool, tool=tool, input=json.dumps(PAY),
             output=json.dumps(result), attributes=json.dumps({"http.response.status_code": 200})),
        span("l2", 5, 6, kind="llm", parent_id="root", agent="payments", model="gpt-4o", output=answer),
    ))  # fmt: skip


def test_a_write_whose_body_says_failed_or_refused_is_error_as_data() -> None:
    assert "error_as_data" in _payment({"state": "FAILED", "reason": "IBAN checksum invalid"})
    assert "error_as_data" in _payment({"pspReference": "8815", "resultCode": "Refused", "refusalReason": "Invalid IBAN"})
    assert "error_as_data" in _payment({"payment_id": "p_1", "status": "declined", "reason": "IBAN checksum invalid"})


def test_the_finding_names_the_write_and_its_body() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="payments", agent="payments", output=SCHEDULED),
        span("t1", 3, 4, kind="tool", parent_id="root", agent="payments", tool="schedule_payment",
             output=json.dumps({"state": "FAILED", "reason": "IBAN checksum invalid"})),  # fmt: skip
    )
    (row,) = findings(c, "error_as_data")
    assert row["decisive_span_id"] == "t1" and "schedule_payment" in row["explanation"]


def test_near_miss_the_agent_relayed_the_refusal() -> None:
    told = "I couldn't schedule the payment: the bank refused it because the IBAN checksum is invalid."
    assert _payment({"state": "FAILED", "reason": "IBAN checksum invalid"}, told) == set()


def test_near_miss_a_cancel_whose_status_is_cancelled_did_its_job() -> None:
    done = "Your order 88 is cancelled."
    assert _payment({"order_id": 88, "status": "cancelled"}, done, tool="cancel_order") == set()


def test_near_miss_a_listing_of_batches_some_failed_is_data() -> None:
    listing = {"object": "list", "data": [{"id": "batch_1", "status": "failed"}, {"id": "batch_2", "status": "completed"}]}
    answer = "You have two batches: batch_2 is complete and batch_1 needs to be resubmitted."
    found = detectors(run(
        span("root", 0, 10, kind="agent", name="ops", agent="ops", input="How are my batches?", output=answer),
        span("t1", 3, 4, kind="tool", parent_id="root", agent="ops", tool="list_batches", output=json.dumps(listing)),
        span("l2", 5, 6, kind="llm", parent_id="root", agent="ops", model="gpt-4o", output=answer),
    ))  # fmt: skip
    assert found == set()


def test_a_listing_that_failed_itself_is_still_error_shaped() -> None:
    # The listing call's own status, before its (empty) records: the call failed.
    failed = {"status": "failed", "error": "upstream timeout", "data": []}
    found = detectors(run(
        span("root", 0, 10, kind="agent", name="ops", agent="ops", output="You have no batches."),
        span("t1", 3, 4, kind="tool", parent_id="root", agent="ops", tool="list_batches", output=json.dumps(failed)),
    ))  # fmt: skip
    assert "error_as_data" in found


def test_a_write_result_exported_as_a_python_dict_is_read() -> None:
    # The OpenAI Agents SDK exports a function tool's dict result as str(output)
    # (src/agents/tracing/span_data.py FunctionSpanData.export).
    for body in ("{'state': 'FAILED', 'reason': 'IBAN checksum invalid'}", "{'success': False, 'message': 'IBAN checksum invalid'}"):
        found = detectors(run(
            span("root", 0, 10, kind="agent", name="payments", agent="payments", output=SCHEDULED),
            span("t1", 3, 4, kind="tool", parent_id="root", agent="payments", tool="schedule_payment", output=body),
        ))  # fmt: skip
        assert "error_as_data" in found, body


def test_near_miss_a_python_dict_of_a_write_that_went_through() -> None:
    found = detectors(run(
        span("root", 0, 10, kind="agent", name="payments", agent="payments", output=SCHEDULED),
        span("t1", 3, 4, kind="tool", parent_id="root", agent="payments", tool="schedule_payment",
             output="{'state': 'SCHEDULED', 'success': True, 'payment_id': 'p_1'}"),
    ))  # fmt: skip
    assert "error_as_data" not in found


def _rate(body: str) -> set[str]:
    return detectors(run(
        span("root", 0, 10, kind="agent", name="fx", agent="fx", output="The EUR/USD rate is 1.08."),
        span("t1", 3, 4, kind="tool", parent_id="root", agent="fx", tool="get_rate", output=body),
    ))  # fmt: skip


def test_an_error_object_exported_as_a_python_dict_is_error_shaped() -> None:
    # A read's {"error": ...} returned as a dict by an OpenAI Agents SDK function tool: str(output).
    assert "error_as_data" in _rate("{'error': 'rate service unavailable'}")


def test_near_miss_an_error_key_holding_nothing_is_a_success() -> None:
    # "error": null beside the data: the API saying there is no error (JSON, or None in a repr).
    assert _rate('{"error": null, "rate": 1.08}') == set()
    assert _rate("{'error': None, 'rate': 1.08}") == set()
    assert _rate('{"errors": [], "rate": 1.08}') == set()


def _set_state(tool: str, args: str, result: dict[str, object], answer: str) -> set[str]:
    return detectors(run(
        span("root", 0, 10, kind="agent", name="triage", agent="triage", input="Triage the new tickets.", output=answer),
        span("l1", 1, 2, kind="llm", parent_id="root", agent="triage", model="gpt-4o", output=f"call {tool}"),
        span("t1", 3, 4, kind="tool", parent_id="root", agent="triage", name=tool, tool=tool, input=args,
             output=json.dumps(result), attributes=json.dumps({"http.response.status_code": 200})),
    ))  # fmt: skip


def test_near_miss_a_write_that_set_the_state_it_echoes_did_its_job() -> None:
    # The write asked for that state: the body echoes the record it changed. A ticket rejected as a
    # duplicate (JSON arguments, and a smolagents call written as code), and a CI agent's GitHub commit
    # status "failure" (AutoGPT backend/blocks/github/statuses.py GithubCreateStatusBlock returns the
    # created status: id, url, state, context, description).
    rejected = {"ticket_id": "T-1042", "status": "rejected", "updated_at": "2024-01-21T10:00:00Z"}
    said = "I've marked T-1042 as rejected: it duplicates T-1001."
    asked = json.dumps({"ticket_id": "T-1042", "status": "rejected", "comment": "Duplicate of T-1001"})
    assert _set_state("update_ticket", asked, rejected, said) == set()
    assert _set_state("update_ticket", "update_ticket(ticket_id='T-1042', status='rejected')", rejected, said) == set()
    status = {"id": 1234567890, "url": "https://api.github.com/repos/acme/shop/statuses/ce58745", "state": "failure",
              "context": "agent/ci", "description": "3 of 212 tests failed", "created_at": "2024-01-21T10:00:00Z"}
    ci = json.dumps({"repo_url": "https://github.com/acme/shop", "sha": "ce58745", "state": "failure",
                     "description": "3 of 212 tests failed", "context": "agent/ci"})
    assert _set_state("set_commit_status", ci, status, "Posted the CI result on ce58745.") == set()
    # The same body for a write that asked for something else: the write was refused.
    closed = json.dumps({"ticket_id": "T-1042", "status": "closed"})
    assert "error_as_data" in _set_state("update_ticket", closed, rejected, "T-1042 is closed.")


def test_near_miss_a_write_that_lists_past_payments_some_failed() -> None:
    # The payment is scheduled (its own status, at the top of the body); the account's recent
    # payments are listed beside it, one of which failed last week: records, not this write's verdict.
    body = {"payment_id": "p_9", "status": "scheduled",
            "recent_payments": [{"id": "p_7", "status": "failed", "reason": "IBAN checksum invalid"},
                                {"id": "p_8", "status": "completed"}]}  # fmt: skip
    assert "error_as_data" not in _payment(body)
    # The same listing under a write that states no verdict of its own is read as before.
    assert "error_as_data" in _payment({"payment_id": "p_9", "recent_payments": body["recent_payments"]})
