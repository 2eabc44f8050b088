"""A lookup named by its read verb is no delivery, whatever it looks up by.

tau-bench retail's ``find_user_id_by_email`` finds a user by their address (tau_bench/envs/retail/
tools/find_user_id_by_email.py: "Find user id by email. If the user is not found, the function will
return an error message."); its name holds "email", which the policy's delivery pattern reads as a
send. A run whose lookup by email came back "Error: user not found", then found the user by name
and zip and did the work, delivered nothing by that lookup and lost no delivery. An email send that
failed is still an undelivered output.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

ROOT = {"kind": "agent", "name": "retail"}


def _run(first: dict[str, object]):
    return run(
        span("root", 0, 10, **ROOT, input="cancel my order", output="Your order #W1 is cancelled."),
        first,
        span("t2", 3, parent_id="root", kind="tool", tool="find_user_id_by_name_zip",
             input='{"first_name": "Ana", "last_name": "Lee", "zip": "10001"}', output="ana_lee_1"),  # fmt: skip
        span("t3", 5, parent_id="root", kind="tool", tool="cancel_pending_order",
             input='{"order_id": "#W1", "reason": "no longer needed"}', output='{"order_id": "#W1", "status": "cancelled"}'),  # fmt: skip
    )


def test_a_failed_email_send_is_an_undelivered_output() -> None:
    sent = span("t1", 1, parent_id="root", kind="tool", tool="send_email", input='{"to": "ana@example.com"}',
                status="error", error_type="SMTPException", error_message="SMTP 550 mailbox unavailable")  # fmt: skip
    assert one(_run(sent), "undelivered_output")["decisive_span_id"] == "t1"


def test_near_miss_a_lookup_by_email_that_found_nobody() -> None:
    lookup = span("t1", 1, parent_id="root", kind="tool", tool="find_user_id_by_email",
                  input='{"email": "ana@example.com"}', output="Error: user not found")  # fmt: skip
    assert "undelivered_output" not in detectors(_run(lookup))
