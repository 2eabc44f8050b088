"""The person who asked, writing again after an escalation to a queue, is the requester waiting,
not the queue taking it up. "It's been 40 minutes and nobody called" after a P1 case was queued at
position 14 acknowledges nothing; a specialist who joins the conversation (another speaker) does."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _chat(*after: dict[str, object]):
    return run(
        span("conv", 0, 60, kind="agent", name="assistant", status="unset"),
        span("m1", 1, 1, parent_id="conv", kind="human", name="user",
             output="There's a burning smell from my electricity meter. What do I do?"),  # fmt: skip
        span("m2", 2, 2, parent_id="conv", kind="llm", model="gpt-4o", output="Please keep away from the meter."),
        span("e1", 3, 4, parent_id="conv", kind="tool", tool="escalate_to_human",
             input=json.dumps({"queue": "safety_emergency", "priority": "P1"}),
             output=json.dumps({"ticket_id": "SAF-77812", "status": "queued", "position": 14})),  # fmt: skip
        span("m3", 5, 5, parent_id="conv", kind="llm", model="gpt-4o",
             output="I've escalated this as a priority case. A specialist will contact you shortly."),  # fmt: skip
        *after,
    )


def test_the_requester_writing_again_does_not_acknowledge_the_escalation() -> None:
    c = _chat(
        span("m4", 30, 30, parent_id="conv", kind="human", name="user",
             output="it's been 40 minutes and nobody called. the smell is still there"),  # fmt: skip
        span("m5", 31, 31, parent_id="conv", kind="llm", model="gpt-4o", output="A specialist will contact you shortly."),
    )
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "e1"


def test_near_miss_a_specialist_joined_the_conversation() -> None:
    c = _chat(
        span("m4", 30, 30, parent_id="conv", kind="human", name="safety_specialist",
             output="Hi, this is Dana from the safety team; an engineer is on the way."),  # fmt: skip
    )
    assert "unacknowledged_escalation" not in detectors(c)
