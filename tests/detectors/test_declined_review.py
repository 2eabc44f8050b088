"""A person's answer that declined is no approval of the action the run took next.

The workflow's request to a person (Agent Framework's RequestInfoExecutor, loaded as kind human:
microsoft/agent-framework python/packages/core/agent_framework/_workflows/_executor.py) comes back
with the person's decision (handle_response sends RequestResponse(data=...) on as a message); a
blocking approval step records ``{"approved": false}`` or ``{"decision": "rejected"}`` as its result
(forensics/detectors/preparation.py PERSON_DECIDED). Read as a human turn, a refusal reviewed the
refund the run then issued anyway. Firing: rejected, then refunded (unguarded_irreversible).
Near misses: approved, then refunded; rejected, and the run stopped there.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _review(answer: str, *, refund: bool = True):
    rows = [
        span("wf", 0, 20, kind="chain", name="workflow.run"),
        span("d", 1, 3, parent_id="wf", kind="agent", name="invoke_agent drafter", agent="drafter",
             output="Proposed: refund $420 on order 58213."),
        span("ask", 4, 6, parent_id="wf", kind="human", name="executor.process request_info", output=answer),
    ]  # fmt: skip
    if refund:
        rows += [
            span("r", 7, 9, parent_id="wf", kind="agent", name="invoke_agent refunder", agent="refunder"),
            span("t", 7.5, 8.5, parent_id="r", kind="tool", tool="issue_refund",
                 input='{"order_id": "58213", "amount": 420}', output='{"refund_id": "re_1"}'),
        ]  # fmt: skip
    return run(*rows)


def test_a_refund_after_the_person_rejected_it_is_unguarded() -> None:
    for answer in ('{"approved": false, "comment": "Outside the 30-day window"}', '{"decision": "rejected"}'):
        assert one(_review(answer), "unguarded_irreversible")["decisive_span_id"] == "t", answer


def test_near_miss_approved_or_stopped_at_the_rejection() -> None:
    assert detectors(_review('{"approved": true, "approver": "ops-lead"}')) == set()
    assert detectors(_review('{"approved": false}', refund=False)) == set()
