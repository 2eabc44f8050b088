"""A guardrail gates a low-confidence step only where it judged the confidence.

TAXONOMY's ungated_low_confidence: a side-effecting action right after a step that reported confidence
below the gate, with no human review in between. A guardrail stands in for that review when it was
given the step's certainty; an amount-threshold check (input: the amount) passed the action without
ever looking at it.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span


def _dispute(guard_input: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, 10, kind="agent", agent="disputes", name="disputes", output="We've refunded the charge."),
        span("c1", 1, 2, parent_id="root", kind="llm", model="gpt-4o-mini", agent="disputes",
             output=json.dumps({"label": "unauthorized", "confidence": 0.37})),
    ]
    if guard_input is not None:
        rows.append(span("g1", 2.1, 2.2, parent_id="root", kind="guardrail", name="refund_check", agent="disputes",
                         input=json.dumps(guard_input), output=json.dumps({"passed": True})))
    rows.append(span("t1", 3, 4, parent_id="root", kind="tool", tool="issue_refund", agent="disputes",
                     input='{"txn": "tx_1", "amount": 120.0}', output='{"refund_id": "re_1", "status": "succeeded"}'))
    return rows


def test_a_guardrail_that_never_saw_the_confidence_gates_nothing() -> None:
    # Firing: the only guardrail checked the amount.
    assert one(run(*_dispute({"amount": 120.0})), "ungated_low_confidence")["decisive_span_id"] == "t1"


def test_a_guardrail_given_the_confidence_gates_the_action() -> None:
    # Near-misses: the guardrail judged the classifier's confidence, or its score.
    assert "ungated_low_confidence" not in detectors(run(*_dispute({"label": "unauthorized", "confidence": 0.37})))
    assert "ungated_low_confidence" not in detectors(run(*_dispute({"fraud_score": 0.37, "amount": 120.0})))
