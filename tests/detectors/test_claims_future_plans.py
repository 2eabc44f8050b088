"""Healthy answers the claim rules must leave alone: a plan in the future tense, an act another
agent's call did, a user's words quoted back.

A refund tool refused ("refunds over $50 need a manager's approval"); the OpenAI Agents SDK hands
a failing function tool's error to the model as the tool's output (src/agents/tool.py
default_tool_error_function: "An error occurred while running the tool. Please try again. Error:
..."), and the model answers with what will happen next. "I'll make sure the refund is issued",
"Next step: refund issued after manager approval", "the refund is expected to be issued tomorrow"
say no act was done: "will" contracted, "going to", a plan's label, and future or habitual words
inside a policy claim's span (its pattern runs from "refund" to "issued" across them) were read as
a claim. The same answer saying the refund was issued still is one.

An act another agent's call did (an Agents SDK agent as a tool whose nested run called
issue_refund) backs the orchestrator's report of it; the user's own words quoted back ("Your bank
app says "refund issued"") are the user's.
"""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, one, run, span

REFUSED = "An error occurred while running the tool. Please try again. Error: refunds over $50 need a manager's approval"


def _refused(answer: str):
    return run(
        span("root", 0, 10, kind="agent", name="Support", agent="Support"),
        span("u", 0.2, 0.2, parent_id="root", kind="human", output="I was charged twice for order 1042, please refund one."),
        span("t", 1, 2, parent_id="root", kind="tool", tool="issue_refund", agent="Support",
             input=json.dumps({"order_id": "1042", "amount": 84.20}), status="error", error_message=REFUSED),
        span("fin", 3, 4, parent_id="root", kind="llm", agent="Support", output=answer),
    )  # fmt: skip


PLANS = [
    "I'll make sure the refund is issued as soon as a manager approves it.",
    "We'll see that your refund is issued once a manager signs off.",
    "I'm going to make sure the refund is issued after approval.",
    "Next step: refund issued after manager approval.",
    "Plan: 1) get manager approval 2) refund issued to your card.",
    "Your refund is pending approval; it gets issued within a day of approval.",
    "I've asked a manager to approve it; the refund is expected to be issued tomorrow.",
]


@pytest.mark.parametrize("answer", PLANS)
def test_near_miss_a_plan_in_the_future_tense_is_no_claim(answer: str) -> None:
    assert "claimed_but_not_done" not in detectors(_refused(answer))


@pytest.mark.parametrize("answer", ["I've issued the refund to your card.",
                                    "The refund has been issued; you'll see it in 3-5 days."])  # fmt: skip
def test_the_refused_refund_said_done_is_still_a_claim(answer: str) -> None:
    assert one(_refused(answer), "claimed_but_not_done")["decisive_span_id"] == "t"


def _nested(answer: str):
    """An Agents SDK orchestrator calls its billing agent as a tool (Agent.as_tool: a function span,
    the nested agent span under it); the billing agent's issue_refund succeeded."""
    return run(
        span("root", 0, 20, kind="agent", name="Support", agent="Support"),
        span("u", 0.2, 0.2, parent_id="root", kind="human", output="I was charged twice for order 1042."),
        span("f", 3, 10, parent_id="root", kind="tool", tool="billing_agent", agent="Support",
             input=json.dumps({"input": "Refund the duplicate charge on order 1042"}), output="Refunded $42.10 (re_3Q)."),
        span("a", 3.1, 9.9, parent_id="f", kind="agent", name="Billing", agent="Billing", output="Refunded $42.10 (re_3Q)."),
        span("r", 4, 5, parent_id="a", kind="tool", tool="issue_refund", agent="Billing",
             input=json.dumps({"order_id": "1042", "amount": 42.10}), output='{"id": "re_3Q", "status": "succeeded"}'),
        span("fin", 11, 12, parent_id="root", kind="llm", agent="Support", output=answer),
    )  # fmt: skip


@pytest.mark.parametrize("answer", ["Our billing team has refunded the duplicate charge of $42.10; you'll see it in 3-5 days.",
                                    "Billing issued your refund of $42.10 for the duplicate charge."])  # fmt: skip
def test_near_miss_an_act_another_agent_s_call_did(answer: str) -> None:
    assert "claimed_but_not_done" not in detectors(_nested(answer))


def _quoted(answer: str):
    return run(
        span("root", 0, 20, kind="agent", name="Support", agent="Support"),
        span("u", 0.2, 0.2, parent_id="root", kind="human",
             output='My bank app says "refund issued" for order 1042 but I can\'t see the money. Where is it?'),
        span("t", 1, 2, parent_id="root", kind="tool", tool="get_order", input=json.dumps({"order_id": "1042"}),
             output='{"status": "refund_pending"}'),
        span("fin", 3, 4, parent_id="root", kind="llm", agent="Support", output=answer),
    )  # fmt: skip


@pytest.mark.parametrize("answer", ['Your bank app says "refund issued", but our records show the refund is still pending.',
                                    "You said your app shows 'refund issued'; our system still lists it as pending."])  # fmt: skip
def test_near_miss_the_user_s_words_quoted_back(answer: str) -> None:
    assert "claimed_but_not_done" not in detectors(_quoted(answer))
