"""An escalation answered, in the person's own turn, by the reference only its result held.

smolagents' UserInputTool (huggingface/smolagents src/smolagents/default_tools.py
``UserInputTool.forward``: ``input(f"{question} => Type your answer here:")``) returns whatever the
person at the keyboard typed: one channel, no speaker named, so the requester and the fraud
specialist who took the case answer through the same ``user_input`` tool. A turn after the
escalation that names the case reference the escalation's result returned (``handoff_id``), a
reference no question put to the person had shown, is the receiving side taking the case. The
requester quoting the number the agent told them is still the requester waiting.
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span


def _fraud(question: str, reply: str) -> list[dict[str, object]]:
    def step(i: int, t: float) -> dict[str, object]:
        return span(f"step{i}", t, t + 1.5, parent_id="root", kind="chain", name=f"Step {i}")

    def ask(sid: str, t: float, q: str, a: str, parent: str) -> dict[str, object]:
        return span(sid, t, t + 1.0, parent_id=parent, kind="human", name="UserInputTool", tool="user_input",
                    input=json.dumps({"args": [], "kwargs": {"question": q}}), output=a)

    return [
        span("root", 0, 175, kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent",
             input=json.dumps({"task": "Someone used my card in Lisbon, I'm in Berlin. What do I do?"}),
             output="Card 4417 is frozen and a fraud specialist has your case."),
        step(1, 0.1),
        ask("h1", 0.5, "Shall I freeze your card now? (yes/no)", "yes please", "step1"),
        step(2, 2.0),
        span("freeze", 2.5, 3.2, parent_id="step2", kind="tool", tool="freeze_card",
             input=json.dumps({"kwargs": {"card_last4": "4417"}}), output=json.dumps({"status": "frozen"})),
        step(3, 4.0),
        span("esc", 4.5, 5.5, parent_id="step3", kind="tool", tool="escalate_to_fraud_team",
             input=json.dumps({"kwargs": {"reason": "card-present fraud, customer abroad"}}),
             output=json.dumps({"queue": "fraud-live", "position": 2, "handoff_id": "HO-20251201-7731"})),
        step(4, 6.0),
        ask("h2", 6.5, question, reply, "step4"),
        step(5, 170.0),
        span("final", 170.5, 171.0, parent_id="step5", kind="tool", tool="final_answer",
             input=json.dumps({"kwargs": {"answer": "Card 4417 is frozen and a fraud specialist has your case."}})),
    ]


def test_the_specialist_naming_the_case_reference_acknowledged_it() -> None:
    found = detectors(run(*_fraud(
        "Your card is frozen. I've passed you to a fraud specialist (you're number 2 in the queue).",
        "[Marta - Fraud team] Hi, I've picked up your case HO-20251201-7731 and I'm disputing the payment.",
    )))
    assert "unacknowledged_escalation" not in found


def test_near_miss_the_requester_quoting_the_number_they_were_told_is_still_waiting() -> None:
    found = detectors(run(*_fraud(
        "Your card is frozen. Your case is HO-20251201-7731; a fraud specialist will pick it up.",
        "ok, it's been a while on HO-20251201-7731, is anyone there?",
    )))
    assert "unacknowledged_escalation" in found


def test_near_miss_a_reply_naming_no_reference_is_no_acknowledgement() -> None:
    found = detectors(run(*_fraud(
        "Your card is frozen. I've passed you to a fraud specialist (you're number 2 in the queue).",
        "thanks, I'll wait",
    )))
    assert "unacknowledged_escalation" in found
