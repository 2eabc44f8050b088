"""A read backs no act: a policy claim needs a tool that does what it says, not one that looked.

The policy's claims name the tools that back them by their object (sending: ``mail``, ``message``;
a ticket: ``ticket``; booking: ``calendar``; updating: ``set``...), so a read of that object backed
the claim: ``search_emails`` backed "I've sent the reply", ``get_ticket`` "I've created a ticket".
A tool whose verb is a read (policy ``tools.read_only``) does not; what it found can still back a
claim it states (a status lookup relaying "issued"). Near misses: the act's own tool, a read whose
result states the claim, and an update whose name holds a read word (``update_order_status``).
"""

from __future__ import annotations

import pytest
from span_builder import detectors, run, span


def _run(tool: str, result: str, answer: str):
    return run(
        span("root", 0, 10, kind="agent", agent="support", input="Please sort out Dana's invoice", output=answer),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", output=""),
        span("t1", 2, parent_id="root", kind="tool", tool=tool, input='{"q": "dana"}', output=result),
    )


@pytest.mark.parametrize(
    ("tool", "result", "answer"),
    [("search_emails", '[{"id": "m1", "from": "dana@example.com"}]', "I've sent the reply to Dana about her invoice."),
     ("get_ticket", '{"id": "T-9", "status": "open"}', "I've created a ticket for the billing team."),
     ("list_calendar_events", '[{"start": "10:00"}]', "I've booked the meeting for 3pm tomorrow."),
     ("get_user_settings", '{"address": "1 Main St"}', "I've updated your address to 22 Elm St.")],
)  # fmt: skip
def test_a_read_of_the_object_backs_no_claim_of_the_act(tool: str, result: str, answer: str) -> None:
    assert "claimed_but_not_done" in detectors(_run(tool, result, answer))


@pytest.mark.parametrize(
    ("tool", "result", "answer"),
    [("send_email", '{"status": "sent"}', "I've sent the reply to Dana about her invoice."),
     ("get_refund_status", '{"refund": {"amount": 84.9, "status": "issued"}}', "Your refund has been issued."),
     ("update_order_status", '{"ok": true}', "I've updated your order.")],
)  # fmt: skip
def test_near_miss_the_act_its_read_result_or_an_update_named_with_status(tool: str, result: str, answer: str) -> None:
    assert "claimed_but_not_done" not in detectors(_run(tool, result, answer))


def _quoted(user: str, answer: str):
    return run(
        span("root", 0, 10, kind="agent", agent="support", input=user, output=answer),
        span("t1", 2, parent_id="root", kind="tool", tool="get_refund_status", input='{"order_id": "A-6620"}',
             output='{"refund_id": "re_55K", "status": "pending_bank_transfer"}'),
    )  # fmt: skip


def test_the_users_words_quoted_back_in_single_quotes_are_no_claim() -> None:
    # The user quoted an earlier bot; the agent quotes the user and says the refund is pending.
    user = "Last week your bot told me 'your refund has been issued' but I never got anything."
    answer = "You mentioned being told 'your refund has been issued'. I checked: re_55K is still pending the bank transfer."
    assert "claimed_but_not_done" not in detectors(_quoted(user, answer))


def test_a_claim_in_single_quotes_the_user_never_wrote_is_still_a_claim() -> None:
    user = "Where is my refund for order A-6620?"
    answer = "Good news, status: 'your refund has been issued'. It should reach you in 5 days."
    assert "claimed_but_not_done" in detectors(_quoted(user, answer))
