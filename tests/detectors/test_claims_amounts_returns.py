"""Policy claims: an amount inside the claim, a return or exchange, and a claim the run read.

* "the refund of $89.00 has been issued": the decimal point of an amount does not end the
  sentence, so the claim is read across it (it was cut at "$89." and missed).
* "Your return has been processed" with no return call: tau-bench retail's
  return_delivered_order_items is the call that does it ("the order status will be changed to
  'return requested'"); the agent that only looked the order up and said so claimed it.
* A claim a successful call's own result already states (a status lookup returning
  {"refund": {"amount": 84.90, "status": "issued"}}) is relayed, not claimed.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

ROOT = {"kind": "agent", "name": "support"}


def _answered(answer: str, *tools: dict[str, object]) -> set[str]:
    return detectors(_run(answer, *tools))


def _run(answer: str, *tools: dict[str, object]):
    return run(
        span("root", 0, 10, **ROOT, output=answer),
        span("t0", 1, parent_id="root", kind="tool", tool="get_order_details", input='{"order_id": "#W1"}',
             output='{"order_id": "#W1", "status": "delivered", "total": 89.00}'),  # fmt: skip
        *tools,
        span("l1", 8, 9, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    )


def test_a_refund_claim_with_an_amount_in_it_is_read_across_the_decimal_point() -> None:
    c = _run("Thanks for waiting. The refund of $89.00 has been issued to your card.")
    assert one(c, "claimed_but_not_done")["decisive_span_id"] == "l1"


def test_near_miss_the_refund_with_an_amount_was_issued_by_a_call() -> None:
    issued = span("r1", 3, parent_id="root", kind="tool", tool="issue_refund", input='{"order_id": "#W1", "amount": 89.0}',
                  output='{"refund_id": "re_1", "status": "succeeded"}')  # fmt: skip
    assert "claimed_but_not_done" not in _answered("The refund of $89.00 has been issued to your card.", issued)


def test_a_return_said_processed_with_no_return_call_is_claimed() -> None:
    c = _run("Your return has been processed! A refund will go to your PayPal account.")
    assert one(c, "claimed_but_not_done")["decisive_span_id"] == "l1"


def test_near_miss_the_return_was_made() -> None:
    returned = span("r1", 3, parent_id="root", kind="tool", tool="return_delivered_order_items",
                    input='{"order_id": "#W1", "item_ids": ["1"]}', output='{"status": "return requested"}')  # fmt: skip
    assert "claimed_but_not_done" not in _answered("Your return has been processed!", returned)


def test_near_miss_a_return_promised_once_confirmed() -> None:
    assert "claimed_but_not_done" not in _answered("Once you confirm, your return will be processed.")


def test_near_miss_a_refund_a_lookup_reported_issued_is_relayed() -> None:
    status = span("s1", 3, parent_id="root", kind="tool", tool="get_rma_status", input='{"rma": "RMA-5"}',
                  output='{"rma": "RMA-5", "refund": {"amount": 84.90, "status": "issued"}}')  # fmt: skip
    answer = "Your return RMA-5 was received and the refund of $84.90 was issued today."
    assert "claimed_but_not_done" not in _answered(answer, status)
