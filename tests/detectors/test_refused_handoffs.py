"""A transfer_to_<agent> call LangGraph's ToolNode refused: the agent named does not exist.

The ToolNode answers a call to a tool the agent does not have with a ToolMessage from
INVALID_TOOL_NAME_ERROR_TEMPLATE, "Error: {requested_tool} is not a valid tool, try one of
[{available_tools}]." (langgraph prebuilt/tool_node.py), and runs nothing. A supervisor that then
tells the customer the refunds team has the case handed it to nobody (dangling_handoff); one that
then calls the right transfer, or does the work itself, handled the error.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

REFUSAL = json.dumps({"messages": [{"type": "tool", "name": "transfer_to_refunds_agent", "status": "error",
                                    "content": "Error: transfer_to_refunds_agent is not a valid tool, try one of "
                                               "[transfer_to_billing_agent, transfer_to_shipping_agent]."}]})  # fmt: skip


def _supervisor(*after: dict[str, object]):
    return run(
        span("root", 0, 20, kind="chain", name="LangGraph", output="I've passed your refund request to our refunds team."),
        span("sup", 1, 19, parent_id="root", kind="agent", name="supervisor", agent="supervisor", output=REFUSAL),
        span("m1", 2, 3, parent_id="sup", kind="llm", model="gpt-4o", output="calling transfer_to_refunds_agent"),
        span("tn", 4, 4.2, parent_id="sup", kind="chain", name="tools", output=REFUSAL),
        *after,
        span("m2", 8, 9, parent_id="sup", kind="llm", model="gpt-4o",
             output="I've passed your refund request to our refunds team."),
    )  # fmt: skip


def test_a_transfer_to_an_agent_that_does_not_exist_dangles_at_the_refusal() -> None:
    # The refusal sits in the ToolNode's result and in the supervisor's state above it: the ToolNode's span is it.
    assert one(_supervisor(), "dangling_handoff")["decisive_span_id"] == "tn"


def test_near_miss_the_right_transfer_made_after_the_refusal() -> None:
    c = _supervisor(
        span("m3", 5, 6, parent_id="sup", kind="llm", model="gpt-4o", output="calling transfer_to_billing_agent"),
        span("h2", 6.5, 6.6, parent_id="sup", kind="tool", tool="transfer_to_billing_agent",
             output="Successfully transferred to billing_agent"),
        span("ba", 6.7, 7.5, parent_id="root", kind="agent", name="billing_agent", agent="billing_agent", output="Refund issued."),
    )  # fmt: skip
    assert "dangling_handoff" not in detectors(c)


def test_near_miss_the_agent_did_the_work_itself_after_the_refusal() -> None:
    c = _supervisor(span("t1", 5, 6, parent_id="sup", kind="tool", tool="issue_refund", input='{"charge": "ch_1"}',
                         output='{"refund_id": "re_1", "status": "succeeded"}'))  # fmt: skip
    assert "dangling_handoff" not in detectors(c)


# The OpenAI Agents SDK: the model asks for transfer_to_escalations_agent, which the agent does not
# have (its handoffs: Tier2 agent); process_model_response attaches SpanError("Tool not found") to
# the agent span and raises ModelBehaviorError (src/agents/_run_impl.py). The run dies there.
def _tier1(run_failed: bool, *after: dict[str, object]):
    ask = ('[{"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", '
           '"function": {"name": "transfer_to_escalations_agent", "arguments": "{}"}}]}]')
    return run(
        span("ag", 0, 10, kind="agent", name="Tier1 agent", agent="Tier1 agent",
             status="error" if run_failed else "ok", error_message="Tool not found" if run_failed else None),
        span("m1", 1, 2, parent_id="ag", kind="llm", model="gpt-4o", output='[{"role": "assistant", "content": "checking"}]'),
        span("t1", 2.5, 3, parent_id="ag", kind="tool", tool="get_account", output="{'plan': 'Unlimited 5G'}"),
        span("m2", 4, 5, parent_id="ag", kind="llm", model="gpt-4o", output=ask),
        *after,
    )  # fmt: skip


def test_a_run_that_died_on_the_transfer_its_model_asked_for_dangles_at_the_request() -> None:
    assert one(_tier1(True), "dangling_handoff")["decisive_span_id"] == "m2"


def test_near_miss_the_run_did_not_fail() -> None:
    # The app's loop recovered (say, an error handler answered): the run ended OK; not read here.
    assert "dangling_handoff" not in detectors(_tier1(False))


def test_near_miss_work_went_on_after_the_request() -> None:
    # The failure came later, after another call ran: the request was not the run's last act.
    c = _tier1(True, span("t2", 6, 7, parent_id="ag", kind="tool", tool="check_outage", output="{'outage': False}"))
    assert "dangling_handoff" not in detectors(c)


# The OpenAI Agents SDK: the model wrote the handoff's input as invalid JSON; on_invoke_handoff
# raises ModelBehaviorError("Invalid JSON provided") and the handoff span carries the error
# (src/agents/handoffs.py). The trace ends there.
def _triage(*after: dict[str, object]):
    return run(
        span("ag", 0, 10, kind="agent", name="Triage Agent", agent="Triage Agent"),
        span("m1", 1, 2, parent_id="ag", kind="llm", model="gpt-4o", output="handing off"),
        span("h1", 3, 3.1, parent_id="ag", kind="handoff", handoff_to="Billing Agent", status="error",
             error_message="Invalid JSON provided"),
        *after,
    )  # fmt: skip


def test_a_failed_handoff_the_run_ended_on_dangles() -> None:
    assert one(_triage(), "dangling_handoff")["decisive_span_id"] == "h1"


def test_near_miss_the_run_went_on_after_the_failed_handoff() -> None:
    # The model answered the customer itself: the failure is the error rules' to judge.
    c = _triage(span("m2", 4, 5, parent_id="ag", kind="llm", model="gpt-4o", output="I can help with billing myself."))
    assert "dangling_handoff" not in detectors(c)
