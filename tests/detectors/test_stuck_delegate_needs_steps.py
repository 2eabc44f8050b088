"""A delegated agent that ends on a model call has used up its steps only if it ran steps.

smolagents' ``_handle_max_steps_reached`` (huggingface/smolagents ``src/smolagents/agents.py``) asks
the model once more after the last ``Step N`` span (OpenInference smolagents ``_wrappers.py``
``_StepWrapper``), so a managed agent whose last child is a model call after its steps is stuck.
An OpenAI Agents SDK agent ends on a model call every time (its final output is the last
``response``), and OpenInference's openai-agents processor exports the SDK's guardrail and custom
spans as CHAIN (openinference-instrumentation-openai-agents ``_processor.py``): a guardrail run
before the refund is no step used up. The Refunds Agent a triage agent handed off to, which checked
the refund with its guardrail and answered, was called a stuck delegate and its answer a closing guess.
"""

from __future__ import annotations

from span_builder import detectors, run, span


def test_near_miss_an_agents_sdk_handoff_target_with_a_guardrail_span_that_answered() -> None:
    c = run(
        span("root", 0, 20, kind="agent", name="Agent workflow", agent="Agent workflow", output=""),
        span("tri", 0.1, 2, parent_id="root", kind="agent", name="Triage Agent", agent="Triage Agent"),
        span("r0", 0.2, 1, parent_id="tri", kind="llm", model="gpt-4.1", agent="Triage Agent",
             output='[{"name": "transfer_to_refunds_agent", "arguments": "{}"}]'),
        span("h1", 1.1, 1.2, parent_id="tri", kind="handoff", name="handoff to Refunds Agent", agent="Triage Agent",
             handoff_to="Refunds Agent"),
        span("ref", 2.1, 19, parent_id="root", kind="agent", name="Refunds Agent", agent="Refunds Agent",
             output="I've refunded 38.00 EUR (refund rf_0Lk21)."),
        span("r1", 2.2, 3, parent_id="ref", kind="llm", model="gpt-4.1", agent="Refunds Agent",
             output='[{"name": "get_order", "arguments": "{\\"order_id\\": \\"5520-1187\\"}"}]'),
        span("t1", 3.1, 4, parent_id="ref", kind="tool", tool="get_order", agent="Refunds Agent",
             input='{"order_id": "5520-1187"}', output='{"order_id": "5520-1187", "price": 38.0}'),
        span("r2", 4.1, 5, parent_id="ref", kind="llm", model="gpt-4.1", agent="Refunds Agent",
             output='[{"name": "issue_refund", "arguments": "{\\"amount\\": 38.0}"}]'),
        span("g1", 5.1, 5.5, parent_id="ref", kind="chain", name="refund_policy_guardrail", agent="Refunds Agent",
             output='{"tripwire_triggered": false}'),
        span("t2", 5.6, 6, parent_id="ref", kind="tool", tool="issue_refund", agent="Refunds Agent",
             input='{"amount": 38.0}', output='{"refund_id": "rf_0Lk21", "status": "succeeded"}'),
        span("r3", 6.1, 7, parent_id="ref", kind="llm", model="gpt-4.1", agent="Refunds Agent",
             output="I've refunded 38.00 EUR (refund rf_0Lk21)."),
    )
    found = detectors(c)
    assert "unchecked_stuck_delegate" not in found
    assert "stuck_guess_passed_on" not in found
