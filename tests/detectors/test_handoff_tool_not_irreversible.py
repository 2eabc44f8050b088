"""A handoff tool is named by the agent it hands to, not by an act: never an irreversible action.

The OpenAI Agents SDK names a handoff's tool ``transfer_to_<agent>`` (src/agents/handoffs.py
Handoff.default_tool_name), Agent Framework and LangGraph swarms ``handoff_to_<agent>``; with a
refunds agent the name holds "refund", a word the policy's irreversible names read. The handoff
moves the conversation; the refund, if any, is the receiving agent's own tool call, judged there.
Near miss: the receiving agent's issue_refund with no approval is unguarded.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _rows(refund_call: bool) -> list[dict]:
    rows = [
        span("root", 0, 20, kind="agent", agent="triage_agent", name="invoke_agent triage_agent", input="My mug arrived broken",
             output="The refunds team will take it from here."),
        span("l1", 1, 2, kind="llm", model="gpt-4o-mini", agent="triage_agent", parent_id="root",
             output='{"tool_calls": [{"name": "handoff_to_refund_agent"}]}'),
        span("h1", 2, 2.1, kind="tool", tool="handoff_to_refund_agent", name="handoff_to_refund_agent",
             agent="triage_agent", parent_id="root", handoff_to="refund_agent", output='{"assistant": "refund_agent"}'),
        span("r1", 3, 19, kind="agent", agent="refund_agent", name="invoke_agent refund_agent", parent_id="root",
             output="I've looked at your order ORD-88."),
        span("l2", 4, 5, kind="llm", model="gpt-4o-mini", agent="refund_agent", parent_id="r1", output="Looking it up."),
        span("t1", 5, 6, kind="tool", tool="lookup_order", agent="refund_agent", parent_id="r1",
             input='{"order_id": "ORD-88"}', output='{"status": "delivered"}'),
    ]  # fmt: skip
    if refund_call:
        rows.append(span("t2", 7, 8, kind="tool", tool="issue_refund", agent="refund_agent", parent_id="r1",
                         input='{"order_id": "ORD-88", "amount": 38.5}', output='{"refund_id": "rf_1", "status": "succeeded"}'))
    return rows


def test_a_handoff_tool_named_for_a_refunds_agent_is_no_irreversible_action() -> None:
    assert "unguarded_irreversible" not in detectors(run(*_rows(refund_call=False)))


def test_near_miss_the_receiving_agents_own_refund_with_no_approval_is_unguarded() -> None:
    assert one(run(*_rows(refund_call=True)), "unguarded_irreversible")["decisive_span_id"] == "t2"
