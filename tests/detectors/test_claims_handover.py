"""A claim of passing the case on needs a handoff that happened.

langgraph-supervisor: the supervisor called transfer_to_refunds_agent, which does not exist;
ToolNode answered "Error: transfer_to_refunds_agent is not a valid tool" (langgraph prebuilt
tool_node.py, INVALID_TOOL_NAME_ERROR_TEMPLATE) and ran no tool, yet the answer says "I've passed
your refund to our refunds team". Near misses: the same answer after a transfer tool that ran, and
after an OpenAI Agents SDK handoff span (kind handoff, no tool span).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

ANSWER = "Thanks for flagging this. I've passed your duplicate-charge refund for order 55-10293 to our refunds team."
NOT_VALID = "Error: transfer_to_refunds_agent is not a valid tool, try one of [transfer_to_billing_agent]."


def _supervisor(*middle: dict[str, object]):
    return run(
        span("root", 0, 10, kind="chain", name="LangGraph", input="I was charged twice for order 55-10293.", output=ANSWER),
        span("sup", 0.1, 9, parent_id="root", kind="agent", name="supervisor", agent="supervisor"),
        span("l1", 1, 1.5, parent_id="sup", kind="llm", agent="supervisor", model="gpt-4o", output='{"tool_calls": [{"name": "transfer_to_refunds_agent"}]}'),
        *middle,
        span("l2", 5, 5.5, parent_id="sup", kind="llm", agent="supervisor", model="gpt-4o", output=ANSWER),
    )


def test_a_handover_claim_with_no_handoff_is_unbacked() -> None:
    c = _supervisor(span("tools", 2, 2.5, parent_id="sup", kind="agent", name="tools", agent="tools", output=NOT_VALID))
    assert one(c, "claimed_but_not_done")["decisive_span_id"] == "l2"


def test_near_miss_a_transfer_tool_that_ran_backs_it() -> None:
    c = _supervisor(span("tr", 2, 2.5, parent_id="sup", kind="tool", tool="transfer_to_refunds_agent", output="Successfully transferred"))
    assert "claimed_but_not_done" not in detectors(c)


def test_near_miss_a_handoff_span_backs_it() -> None:
    c = _supervisor(span("ho", 2, 2.5, parent_id="sup", kind="handoff", name="handoff", handoff_to="Refunds agent"))
    assert "claimed_but_not_done" not in detectors(c)


def test_a_handoff_backs_no_other_claim() -> None:
    # A handoff to the writer agent (named transfer_to_writer: "write" is in the posting claim's
    # tool vocabulary) posts nothing: "The brief is posted in #research" stays unbacked.
    posted = "The brief is posted in #research."
    c = run(
        span("root", 0, 10, kind="chain", name="research desk", input="Write the weekly brief and post it.", output=posted),
        span("lead", 0.1, 9, parent_id="root", kind="agent", name="lead", agent="lead"),
        span("ho", 2, 2.5, parent_id="lead", kind="handoff", name="execute_tool transfer_to_writer", tool="transfer_to_writer", handoff_to="writer"),
        span("w", 3, 4, parent_id="lead", kind="agent", name="writer", agent="writer"),
        span("l9", 5, 5.5, parent_id="lead", kind="llm", agent="lead", model="gpt-4o", output=posted),
    )
    assert one(c, "claimed_but_not_done")["decisive_span_id"] == "l9"
