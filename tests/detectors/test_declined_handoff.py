"""A handoff whose receiver declines the work as not its own, after which nobody takes it up.

The receiver's answer comes back to the one that handed off in every framework: langgraph-supervisor
(``supervisor.py``, ``handoff.py``: the agent's last message, then ``transfer_back_to_supervisor``'s
"Successfully transferred back to supervisor", and the supervisor's model reads it); smolagents
managed agents (``agents.py`` ``MultiStepAgent.__call__``: the managed run's final answer is the
manager's observation; OpenInference ``_RunWrapper`` traces the managed run as an agent span inside
the manager's ``Step N`` span, its output the answer). An answer that the work is outside the
receiver's area, with no act by it and nobody taking the work up after it, left the work with
nobody (dangling_handoff). Near misses: the supervisor re-routes to an agent who takes it; the
supervisor tells the user plainly it could not be handled; the managed agent did the work.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

DH = "dangling_handoff"
DECLINE = "Refund disputes are outside my area; that needs the disputes team. I have not opened anything."


def _supervisor(*after: dict) -> list[dict]:
    return [
        span("root", 0, 30, kind="agent", name="supervisor", agent="supervisor",
             input=json.dumps({"messages": [{"role": "user", "content": "I was charged twice, please dispute one."}]})),
        span("m1", 1, 2, parent_id="root", kind="llm", agent="supervisor",
             output=json.dumps({"role": "assistant", "tool_calls": [{"name": "transfer_to_billing_agent", "args": {}}]})),
        span("h1", 2, 2.1, parent_id="root", kind="handoff", agent="supervisor", handoff_to="billing_agent",
             output="Successfully transferred to billing_agent"),
        span("b", 3, 6, parent_id="root", kind="agent", name="billing_agent", agent="billing_agent"),
        span("bm", 3.5, 5, parent_id="b", kind="llm", agent="billing_agent", output=json.dumps({"role": "assistant", "content": DECLINE})),
        span("bt", 5.2, 5.3, parent_id="b", kind="tool", agent="billing_agent", tool="transfer_back_to_supervisor",
             output="Successfully transferred back to supervisor"),
        *after,
    ]  # fmt: skip


def _final(text: str, sid: str = "sf") -> list[dict]:
    return [
        span("s2", 10, 12, parent_id="root", kind="agent", name="supervisor", agent="supervisor"),
        span(sid, 10.5, 11.5, parent_id="s2", kind="llm", agent="supervisor", output=json.dumps({"role": "assistant", "content": text})),
    ]  # fmt: skip


def test_a_declined_handoff_the_supervisor_closes_with_nobody_owning_it() -> None:
    c = run(*_supervisor(*_final("I've passed your dispute to our billing team; they'll be in touch.")))
    f = one(c, DH)
    assert f["decisive_span_id"] == "sf"
    assert "declined the work" in f["explanation"]


def test_near_miss_rerouted_to_an_agent_who_takes_it_or_told_plainly() -> None:
    rerouted = [
        span("m2", 7, 8, parent_id="root", kind="llm", agent="supervisor",
             output=json.dumps({"role": "assistant", "tool_calls": [{"name": "transfer_to_disputes_agent", "args": {}}]})),
        span("h2", 8, 8.1, parent_id="root", kind="handoff", agent="supervisor", handoff_to="disputes_agent"),
        span("d", 9, 14, parent_id="root", kind="agent", name="disputes_agent", agent="disputes_agent"),
        span("dt", 10, 11, parent_id="d", kind="tool", agent="disputes_agent", tool="create_dispute",
             input=json.dumps({"charge": "ch_1"}), output=json.dumps({"dispute_id": "dp_7731", "status": "open"})),
        span("dm", 12, 13, parent_id="d", kind="llm", agent="disputes_agent", output="I've opened dispute dp_7731 for the duplicate charge."),
    ]  # fmt: skip
    assert DH not in detectors(run(*_supervisor(*rerouted)))
    plain = _final("I'm sorry, I couldn't find a team that can take this dispute; please call us on 0800 123.")
    assert DH not in detectors(run(*_supervisor(*plain)))


def _managed(report: str, tool_after: bool = False) -> list[dict]:
    rows = [
        span("root", 0, 20, kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent",
             input=json.dumps({"task": "Route the patient's prior authorisation request and tell them what happens next."}),
             output="Your request has been passed to billing, who will contact you."),
        span("s1", 0.1, 9, parent_id="root", kind="chain", name="Step 1", output=report),
        span("g1", 0.2, 1, parent_id="s1", kind="llm", name="OpenAIServerModel.generate",
             output=json.dumps({"role": "assistant", "tool_calls": [{"function": {"name": "billing_agent", "arguments": {"task": "Handle it"}}}]})),
        span("ma", 1.1, 8, parent_id="s1", kind="agent", name="ToolCallingAgent.run", output=report,
             input=json.dumps({"task": "Handle the prior authorisation request."})),
        span("ms", 1.2, 7.9, parent_id="ma", kind="chain", name="Step 1", output=report),
        span("mf", 7, 7.5, parent_id="ms", kind="tool", name="FinalAnswerTool", tool="final_answer",
             input=json.dumps({"kwargs": {"answer": report}})),
        span("s2", 9.1, 19, parent_id="root", kind="chain", name="Step 2", output="Your request has been passed to billing."),
        span("g2", 9.2, 10, parent_id="s2", kind="llm", name="OpenAIServerModel.generate",
             output=json.dumps({"role": "assistant", "tool_calls": [{"function": {"name": "final_answer"}}]})),
        span("f2", 10.1, 10.5, parent_id="s2", kind="tool", name="FinalAnswerTool", tool="final_answer",
             input=json.dumps({"kwargs": {"answer": "Your request has been passed to billing."}})),
    ]  # fmt: skip
    return rows


def test_a_smolagents_managed_agent_that_declined_and_the_manager_ended_anyway() -> None:
    c = run(*_managed("This is not within my remit: prior authorisations are filed by utilisation management. Nothing created."))
    assert one(c, DH)["decisive_span_id"] == "g2"


def test_near_miss_a_managed_agent_that_did_the_work() -> None:
    assert DH not in detectors(run(*_managed("Filed prior authorisation PA-55120 with the payer; decision due in 3 days.")))


def _langgraph(answer: str) -> list[dict]:
    """langgraph-supervisor: the transfer tool's span carries the supervisor's name as its tools
    call it (``supervisor``), its graph node another (``supervisor_agent``)."""
    return [
        span("root", 0, 30, kind="chain", name="LangGraph"),
        span("sv", 0.5, 2.5, parent_id="root", kind="agent", name="supervisor_agent", agent="supervisor_agent"),
        span("h1", 2, 2.1, parent_id="sv", kind="handoff", agent="supervisor", handoff_to="benefits_agent",
             output="Successfully transferred to benefits_agent"),
        span("b", 3, 6, parent_id="root", kind="agent", name="benefits_agent", agent="benefits_agent"),
        span("bm", 3.5, 5, parent_id="b", kind="llm", agent="benefits_agent", output=json.dumps({"role": "assistant", "content": answer})),
        span("bt", 5.2, 5.3, parent_id="b", kind="tool", agent="benefits_agent", tool="transfer_back_to_supervisor",
             output="Successfully transferred back to supervisor"),
        span("s2", 10, 12, parent_id="root", kind="agent", name="supervisor_agent", agent="supervisor_agent"),
        span("sf", 10.5, 11.5, parent_id="s2", kind="llm", agent="supervisor_agent",
             output=json.dumps({"role": "assistant", "content": "Thanks, HR will look into it and get back to you."})),
    ]  # fmt: skip


def test_a_receiver_that_puts_the_work_outside_itself_by_name() -> None:
    c = run(*_langgraph("A question about tax withholding is outside benefits; I can't change payroll settings."))
    assert one(c, DH)["decisive_span_id"] == "sf"


def test_near_miss_a_receiver_naming_itself_while_answering() -> None:
    c = run(*_langgraph("Benefits covers your pension: your employer contribution is 5% and your plan is PPO-Gold."))
    assert DH not in detectors(c)
