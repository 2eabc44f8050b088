"""A request the answering party turned down, told to the user in the passive, is a reported failure.

Stripe answers a declined card with HTTP 402 and a card_error whose code is card_declined; the
decline is final and the customer is to be told (docs.stripe.com/declines). OpenTelemetry marks the
4xx client span and the tool span that raised Error. An agent that then says "your card was
declined, nothing was charged" reported the failure; it did not swallow it, and telling the user
is the handling a decline asks for (runs.says_failure).
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, run, run_row, span

DECLINE = json.dumps({"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}})


def _checkout(answer: str) -> list[dict[str, Any]]:
    attrs = json.dumps({"http.request.method": "POST", "url.full": "https://api.stripe.com/v1/payment_intents",
                        "http.response.status_code": 402, "error.type": "402"})
    return [
        span("root", 0, 6, kind="agent", agent="shop", name="invoke_agent shop", input="pay for order 12",
             output=answer),
        span("l1", 0.1, 1, parent_id="root", kind="llm", model="gpt-4o-mini", agent="shop", output=""),
        span("t1", 1.1, 2, parent_id="root", kind="tool", tool="charge_card", agent="shop",
             input='{"order_id": "12", "amount_cents": 990}', output=DECLINE, status="error",
             error_type="CardError", error_message="CardError: Your card was declined."),
        span("h1", 1.2, 1.9, parent_id="t1", kind="unknown", name="POST", status="error", error_type="402",
             error_message="402", attributes=attrs),
        span("l2", 2.1, 3, parent_id="root", kind="llm", model="gpt-4o-mini", agent="shop", output=answer),
    ]


def test_an_answer_that_says_the_card_was_declined_reported_the_failure() -> None:
    # Firing (of the convention): the request named as subject, declined/rejected in the passive.
    for answer in (
        "Your card ending 4242 was declined by the bank, so nothing was charged. You can try another card.",
        "Sorry about that: the payment for order 12 has been rejected by your bank.",
    ):
        c = run(*_checkout(answer))
        assert run_row(c)["reported_outcome"] == "error", answer
        assert not detectors(c) & {"swallowed_error", "unhandled_error"}, answer


def test_a_denial_of_something_else_is_no_report_of_failure() -> None:
    # Near-miss: the subject is not the user's request ("the suspicious login was denied"), or the
    # answer claims the charge went through: the failure was not told.
    for answer in (
        "Done! Order 12 is paid. A suspicious login attempt was denied earlier, your account is safe.",
        "Your order 12 is paid and on its way.",
    ):
        c = run(*_checkout(answer))
        assert run_row(c)["reported_outcome"] == "success", answer
        # Told once, as the silent failure it became (no unhandled_error beside it).
        assert "swallowed_error" in detectors(c) and "unhandled_error" not in detectors(c), answer
