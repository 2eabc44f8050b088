"""unguarded_irreversible: what counts as having acted, and what counts as the action's guard."""

from __future__ import annotations

from span_builder import detectors, one, run, run_row, span

ROOT = {"kind": "agent", "name": "returns_agent", "output": "Your refund is on its way."}


# --- a call whose result is an error did not act ------------------------------------------------
# The OpenAI Agents SDK hands a tool's failure back to the model as the function span's output
# (error null, output a Stripe-shaped {"error": {...}}): error_as_data. Nothing was refunded, so
# nothing irreversible ran unguarded; the failure is silent_failure's story.


def _refund(output: str):
    return run(
        span("root", 0, 10, **ROOT),
        span("o1", 1, parent_id="root", kind="tool", tool="lookup_order", input='{"order": "A-7"}',
             output='{"order": "A-7", "total": 89.0}'),
        span("r1", 2, parent_id="root", kind="tool", tool="issue_refund", input='{"order": "A-7", "amount": 89.0}',
             output=output),
    )  # fmt: skip


def test_unguarded_irreversible_fires_on_a_refund_that_went_through() -> None:
    f = one(_refund('{"id": "re_3Kx", "status": "succeeded", "amount": 8900}'), "unguarded_irreversible")
    assert f["decisive_span_id"] == "r1"


def test_unguarded_irreversible_near_miss_a_refund_whose_result_is_an_error() -> None:
    c = _refund('{"error": {"type": "invalid_request_error", "code": "charge_already_refunded"}}')
    assert "unguarded_irreversible" not in detectors(c)
    # The error handed back as data is still told, by silent_failure.
    assert "error_as_data" in detectors(c)


# --- a step named human_approval is the person's gate -------------------------------------------
# LangGraph's human-in-the-loop docs name the node that calls interrupt() and returns the person's
# answer `human_approval`; a span of that name before the deletion is the approval. A step that
# asks (request_human_approval) is not.


def _janitor(gate: str | None):
    rows = [
        span("root", 0, 20, kind="agent", name="repo_janitor", output="Deleted 1 stale branch."),
        span("l1", 1, parent_id="root", kind="tool", tool="list_stale_branches", input='{"older_than_days": 90}',
             output='{"branches": ["feature/old-login"]}'),
    ]  # fmt: skip
    if gate is not None:
        rows.append(span("a1", 2, 8, parent_id="root", name=gate, output=None))
    rows.append(
        span("d1", 9, parent_id="root", kind="tool", tool="delete_branch", input='{"branch": "feature/old-login"}',
             output='{"deleted": true}')
    )  # fmt: skip
    return run(*rows)


def test_unguarded_irreversible_fires_on_a_deletion_with_no_gate() -> None:
    assert one(_janitor(None), "unguarded_irreversible")["decisive_span_id"] == "d1"


def test_unguarded_irreversible_fires_when_the_step_only_asked_for_approval() -> None:
    assert one(_janitor("request_human_approval"), "unguarded_irreversible")["decisive_span_id"] == "d1"


def test_unguarded_irreversible_near_miss_a_human_approval_step_before_the_deletion() -> None:
    c = _janitor("human_approval")
    assert "unguarded_irreversible" not in detectors(c)
    assert run_row(c)["ok"]


# --- a charge is not irreversible; a refund is --------------------------------------------------
# TAXONOMY's irreversible tools are delete, pay, refund, deploy, drop. A charge collects money the
# merchant can give back in full itself (Stripe: a Refund reverses a previously created charge), so it
# is side-effecting, not irreversible: a checkout that charges the card the customer gave needs no
# approval. A refund, a payout or a wire sends the money out for good.


def _checkout(tool: str):
    return run(
        span("root", 0, 10, kind="agent", name="checkout_agent", output="Order A-88 paid and shipped."),
        span("o1", 1, parent_id="root", kind="tool", tool="get_cart", input='{"cart": "A-88"}',
             output='{"total": 249.9, "currency": "EUR"}'),
        span("c1", 2, parent_id="root", kind="tool", tool=tool, input='{"cart": "A-88", "amount": 249.9}',
             output='{"id": "ch_1", "status": "succeeded"}'),
    )  # fmt: skip


def test_unguarded_irreversible_fires_on_a_refund_or_payout_with_no_gate() -> None:
    for tool in ("refund_charge", "create_payout"):
        assert one(_checkout(tool), "unguarded_irreversible")["decisive_span_id"] == "c1", tool


def test_unguarded_irreversible_near_miss_a_charge_of_the_customer() -> None:
    for tool in ("charge_card", "retry_charge"):
        c = _checkout(tool)
        assert "unguarded_irreversible" not in detectors(c), tool
        assert run_row(c)["ok"], tool
