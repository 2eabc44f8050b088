"""Google ADK's LongRunningFunctionTool: an approval request reported pending is a pause for a
person's decision, answered only by a later invocation of the same session.

ADK docs (Function tools, long running function tools): ``ask_for_approval`` returns
``{"status": "pending", ...}``, the model tells the user it is waiting and the invocation ends; the
client sends the tool's updated FunctionResponse in a later invocation of the session.
"""

from __future__ import annotations

from span_builder import concat, detectors, one, span, spans

from forensics.classify import classify

PENDING = '{"status": "pending", "approver": "Sean Zhou", "purpose": "Customer dinner", "amount": 1250, "ticket-id": "approval-ticket-7"}'


def _asking(run_id: str, result: str = PENDING):
    return spans(
        span("inv", 0, 4, kind="agent", name="invocation", agent="reimbursement_agent", session_id="s-1"),
        span("m1", 0.5, 1, parent_id="inv", kind="llm", model="gemini-2.5-flash", output="call ask_for_approval"),
        span("t1", 1.2, 1.4, parent_id="inv", kind="tool", tool="ask_for_approval", input='{"amount": 1250}', output=result),
        span("m2", 2, 3, parent_id="inv", kind="llm", model="gemini-2.5-flash",
             output="1,250 USD needs manager approval; I've sent it to Sean Zhou and will pay it once approved."),
        run_id=run_id,
    )  # fmt: skip


def _answered(run_id: str):
    return spans(
        span("inv2", 2400, 2404, kind="agent", name="invocation", agent="reimbursement_agent", session_id="s-1"),
        span("m3", 2400.5, 2401, parent_id="inv2", kind="llm", model="gemini-2.5-flash", output="call reimburse"),
        span("t2", 2401.2, 2401.4, parent_id="inv2", kind="tool", tool="reimburse", input='{"amount": 1250}',
             output='{"status": "ok", "payout_id": "RB-1"}'),
        run_id=run_id,
    )  # fmt: skip


def test_a_pending_approval_no_later_invocation_answered_is_unacknowledged() -> None:
    # The rest of the asking invocation (the model telling the user it waits) is no answer.
    c = classify(_asking("r1"))
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "t1"


def test_near_miss_a_later_invocation_of_the_session_brought_the_answer() -> None:
    c = classify(concat(_asking("r1"), _answered("r2")))
    assert "unacknowledged_escalation" not in detectors(c)


def test_near_miss_an_approval_request_that_came_back_decided_is_no_pause() -> None:
    c = classify(_asking("r1", '{"status": "approved", "approver": "Sean Zhou"}'))
    assert "unacknowledged_escalation" not in detectors(c)


def test_near_miss_the_run_went_on_to_the_approved_action_after_the_answer_came() -> None:
    # The approval arrived mid-run (an approval.granted event 22 minutes on) and the purge ran:
    # the request was answered in the run itself.
    c = classify(spans(
        span("ag", 0, 1400, kind="agent", name="retention_agent", agent="retention_agent"),
        span("t1", 2, 2.2, parent_id="ag", kind="tool", tool="request_approval", input='{"what": "purge 312 exports"}',
             output='{"request_id": "APR-2291", "status": "pending"}'),
        span("ev", 1320, 1320, parent_id="ag", kind="event", name="approval.granted",
             output='{"request_id": "APR-2291", "approved_by": "s.lindqvist"}'),
        span("t2", 1321, 1322, parent_id="ag", kind="tool", tool="purge_exports", output='{"purged": 312}'),
        span("m1", 1330, 1331, parent_id="ag", kind="llm", model="gpt-4o-mini", output="Purged 312 exports after approval."),
    ))  # fmt: skip
    assert "unacknowledged_escalation" not in detectors(c)
