"""A side effect repeated with the same idempotency key was done once.

Stripe saves the status and body of the first request made with an idempotency key and answers
every later request with the same key with them, without running it again
(docs.stripe.com/api/idempotent_requests: "Subsequent requests with the same key return the same
result"); servers that follow the IETF Idempotency-Key header draft mark the answer
``Idempotent-Replayed: true``. Two successful ``create_refund`` calls with the same arguments, the
key among them, made one refund. Near miss: the same call with no key and no replay mark (two
refunds).
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

ANSWER = "The refund of $40.00 for order 1182 is issued."


def _session(first: dict[str, Any], second: dict[str, Any], replayed: bool = False):
    out = {"id": "re_3Nx", "object": "refund", "status": "succeeded", "amount": 4000}
    again = {**out, "headers": {"Idempotent-Replayed": "true"}} if replayed else out
    return run(
        span("run", 0, 20, kind="chain", name="support-agent"),
        span("u", 0.5, 0.5, parent_id="run", kind="human", output="Please refund order 1182, the parcel never came."),
        span("r1", 2, 3, parent_id="run", kind="tool", tool="create_refund", input=json.dumps(first), output=json.dumps(out)),
        span("r2", 4, 5, parent_id="run", kind="tool", tool="create_refund", input=json.dumps(second), output=json.dumps(again)),
        span("fin", 6, 6.5, parent_id="run", kind="llm", name="final", output=ANSWER),
    )  # fmt: skip


def test_the_same_request_with_the_same_key_is_one_refund() -> None:
    keyed = {"charge": "ch_3Mq", "amount": 4000, "idempotency_key": "refund-order-1182"}
    assert "duplicate_side_effect" not in detectors(_session(keyed, keyed))
    plain = {"charge": "ch_3Mq", "amount": 4000}
    assert "duplicate_side_effect" not in detectors(_session(plain, plain, replayed=True))


def test_near_miss_the_same_call_with_no_key_is_two_refunds() -> None:
    plain = {"charge": "ch_3Mq", "amount": 4000}
    assert one(_session(plain, plain), "duplicate_side_effect")["decisive_span_id"] == "r2"
