"""Claims: a participle naming the claim's object is not its fate, and asking a person sends them
the request.

* "I've posted the 3 failed payouts to #payments-ops" is a posting claim: "failed" after a count is
  an adjective of the payouts, not a report that the post went wrong. With no posting tool called
  (pydantic-ai run: query_failed_payouts only), the claim is unbacked. Near miss: "I've posted the
  list, but it failed" says the act went wrong.
* google-adk's long-running ask_for_approval (adk-docs tools/function-tools, "Long Running Function
  Tool") files the request with the approver: "I've sent it to Sean Zhou (approval-ticket-1)" is
  backed by that call. Near miss: with no asking call, the same sentence is unbacked.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

PAYOUTS = '[{"payout": "po_1QxA", "merchant": "Kaffeehaus Lind", "reason": "account_closed"}]'


def _payouts(answer: str):
    return run(
        span("root", 0, 10, kind="agent", name="agent run", agent="ops_assistant", output=answer),
        span("m1", 1, 1.5, parent_id="root", kind="llm", model="gpt-4.1-mini", output='{"tool_call": "query_failed_payouts"}'),
        span("t1", 2, 2.5, parent_id="root", kind="tool", tool="query_failed_payouts", input='{"date": "2026-11-29"}', output=PAYOUTS),
        span("m2", 3, 3.5, parent_id="root", kind="llm", model="gpt-4.1-mini", output=answer),
    )


def test_a_count_of_failed_things_posted_is_a_posting_claim() -> None:
    c = _payouts("Done - I've posted the 3 failed payouts from 29 Nov to #payments-ops: Kaffeehaus Lind (account closed).")
    assert one(c, "claimed_but_not_done")["decisive_span_id"] == "m2"


def test_near_miss_a_post_the_answer_says_failed_is_no_claim() -> None:
    c = _payouts("I've posted the list to #payments-ops, but it failed.")
    assert "claimed_but_not_done" not in detectors(c)


ANSWER = "Your 480 USD reimbursement needs manager approval. I've sent it to Sean Zhou (approval-ticket-1)."


def _approval(tool: str):
    return run(
        span("root", 0, 10, kind="agent", name="invoke_agent reimbursement_agent", agent="reimbursement_agent", output=ANSWER),
        span("m1", 1, 1.5, parent_id="root", kind="llm", model="gemini-2.5-flash", output='{"function_call": "x"}'),
        span("t1", 2, 2.5, parent_id="root", kind="tool", tool=tool, input='{"purpose": "KubeCon ticket", "amount": 480}',
             output='{"status": "pending", "approver": "Sean Zhou", "ticket-id": "approval-ticket-1"}'),  # fmt: skip
        span("m2", 3, 3.5, parent_id="root", kind="llm", model="gemini-2.5-flash", output=ANSWER),
    )


def test_asking_the_approver_backs_having_sent_it_to_them() -> None:
    assert "claimed_but_not_done" not in detectors(_approval("ask_for_approval"))


def test_near_miss_a_policy_lookup_sends_nothing() -> None:
    assert "claimed_but_not_done" in detectors(_approval("check_expense_policy"))
