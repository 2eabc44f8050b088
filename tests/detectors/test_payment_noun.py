"""`payment` is the noun of `pay`: a tool naming it pays only when its verb moves the money.

Accounts receivable cash application books a payment already received against an invoice
(`match_payment`, `record_payment`, `apply_payment`): no money moves and a later unmatch undoes it,
so it is no irreversible act (policy tools.irreversible). `make_payment`, `send_payment`,
`capturePayment`, `payments.create` and the verb itself (`pay_invoice`) still pay.
"""

from __future__ import annotations

import pytest
from span_builder import raised, run, span


def _calls(tool: str) -> set[str]:
    return raised(
        run(
            span("root", 0, 10, kind="agent", name="Reconciler", output="Done."),
            span("t1", 1, 2, parent_id="root", kind="tool", tool=tool, input='{"payment_id": "PMT-1", "invoice": "INV-7"}',
                 output='{"payment_id": "PMT-1", "status": "ok"}'),  # fmt: skip
        )
    )


@pytest.mark.parametrize("tool", ["match_payment", "record_payment", "apply_payment", "reconcile_payments"])
def test_booking_a_received_payment_is_no_irreversible_act(tool: str) -> None:
    assert "unguarded_irreversible" not in _calls(tool)


@pytest.mark.parametrize("tool", ["make_payment", "send_payment", "capturePayment", "payments.create", "payments.charge", "pay_invoice"])
def test_near_miss_a_call_that_moves_the_money_is_irreversible(tool: str) -> None:
    assert "unguarded_irreversible" in _calls(tool)
