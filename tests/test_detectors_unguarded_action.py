"""unguarded_action on small inline tables: one that fires, near-misses that must not."""

from __future__ import annotations

from span_builder import detectors, one, run, run_row, span

ROOT = {"kind": "agent", "name": "refund_bot", "output": "Refunded."}


def test_unguarded_irreversible_fires_with_no_approval_before_it() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        span(
            "o1",
            1,
            parent_id="root",
            kind="tool",
            tool="orders.get",
            input='{"o":1}',
            output='{"total":1240}',
        ),
        span(
            "r1",
            2,
            parent_id="root",
            kind="tool",
            tool="stripe.refunds.create",
            input='{"amount":1240}',
            output='{"id":"re_1"}',
        ),
    )
    f = one(c, "unguarded_irreversible")
    assert f["failure_class"] == "unguarded_action"
    assert f["severity"] == "critical"
    assert f["decisive_span_id"] == "r1"
    assert (
        "refund_bot ran irreversible tool stripe.refunds.create at 02:13:02 with no human approval or guardrail"
        in f["explanation"]
    )


def test_unguarded_irreversible_near_miss_person_approved_first() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        span(
            "q1",
            1,
            parent_id="root",
            kind="tool",
            tool="request_approval",
            input='{"r":1}',
            output='{"req":"APR-9"}',
        ),
        span(
            "g1",
            2,
            parent_id="root",
            kind="human",
            name="approval.granted",
            attributes='{"enduser.id":"ops.lee"}',
        ),
        span(
            "r1",
            3,
            parent_id="root",
            kind="tool",
            tool="refunds.create",
            input='{"amount":64}',
            output='{"id":"re_2"}',
        ),
    )
    assert "unguarded_irreversible" not in detectors(c)
    assert run_row(c)["ok"]


def test_unguarded_irreversible_near_miss_asking_is_not_approval_but_reading_is_not_paying() -> None:
    # Asking for approval without a grant does not guard the refund ...
    asked = run(
        span("root", 0, 10, **ROOT),
        span("q1", 1, parent_id="root", kind="tool", tool="request_approval", input="{}", output="{}"),
        span(
            "r1", 3, parent_id="root", kind="tool", tool="refunds.create", input="{}", output='{"id":"re_3"}'
        ),
    )
    assert one(asked, "unguarded_irreversible")["decisive_span_id"] == "r1"
    # ... and listing payouts is a read, not a payment.
    read = run(
        span("root", 0, 10, **ROOT),
        span("p1", 1, parent_id="root", kind="tool", tool="stripe.list_payouts", input="{}", output="[1]"),
    )
    assert detectors(read) == set()
