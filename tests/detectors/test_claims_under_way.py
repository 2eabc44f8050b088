"""Work said under way by the team that took it over is no claim of an act done.

An OpenAI Agents SDK specialist (a billing agent a triage agent handed the conversation to,
src/agents/handoffs.py) opens the customer's case with its own function tool, which assigns it to a
person, and answers the customer from the tool's result (src/agents/_run_impl.py: the function
tool's output goes back to the model as the call's output). "Priya on the billing team has your case and the refund for the
extra charge is being processed" says the refund is under way with its owner: the progressive
passive names no act done, as a future ("will be issued") names none. The same answer saying the
refund has been processed, with no refund call in the run, is still a claim.
"""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, one, run, span


def _handed_over(answer: str):
    return run(
        span("root", 0, 20, kind="agent", name="Billing", agent="Billing"),
        span("u", 0.2, 0.2, parent_id="root", kind="human", output="I was billed twice for my March invoice."),
        span("t", 1, 2, parent_id="root", kind="tool", tool="open_case", agent="Billing",
             input=json.dumps({"invoice": "INV-3391", "reason": "duplicate charge"}),
             output=json.dumps({"case_id": "BC-118", "assignee": "priya.n", "status": "open"})),
        span("fin", 3, 4, parent_id="root", kind="llm", agent="Billing", output=answer),
    )  # fmt: skip


UNDER_WAY = [
    "Priya on the billing team has your case and the refund for the extra charge is being processed; expect an email within two days.",
    "Your case is with Priya, and the refund is currently being processed by the billing team.",
]


@pytest.mark.parametrize("answer", UNDER_WAY)
def test_near_miss_a_refund_said_under_way_with_its_owner_is_no_claim(answer: str) -> None:
    assert "claimed_but_not_done" not in detectors(_handed_over(answer))


@pytest.mark.parametrize("answer", ["Priya on the billing team has your case and the refund for the extra charge has been processed.",
                                    "I've processed the refund for the extra charge; your case is closed."])  # fmt: skip
def test_the_refund_said_done_with_no_refund_call_is_still_a_claim(answer: str) -> None:
    assert one(_handed_over(answer), "claimed_but_not_done")
