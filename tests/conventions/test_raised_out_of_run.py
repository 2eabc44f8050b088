"""OpenAI Agents SDK ModelBehaviorError: the run raised out of Runner.run, and nothing handled it.

The SDK attaches SpanError("Invalid JSON provided") to the current span (src/agents/util/_json.py
validate_json; a handoff's input parsed by Handoff.on_invoke_handoff, src/agents/handoffs.py) or
SpanError("Tool not found") to the agent span (src/agents/_run_impl.py process_model_response) and
raises ModelBehaviorError, which the agent loop does not catch. The agent span of a raising handoff
is finished without the error, so the root looks fine; the run nonetheless ended by an exception.
"""

from __future__ import annotations

from span_builder import detectors, one, run, run_row, span

ASK = ('[{"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", '
       '"function": {"name": "transfer_to_escalations_agent", "arguments": "{}"}}]}]')  # fmt: skip


def _triage(*after: dict[str, object]):
    return run(
        span("ag", 0, 10, kind="agent", name="Triage Agent", agent="Triage Agent"),
        span("m1", 1, 2, parent_id="ag", kind="llm", model="gpt-4o", output="handing off"),
        span("t1", 2.2, 2.5, parent_id="ag", kind="tool", tool="lookup_customer", output='{"plan": "business"}'),
        span("h1", 3, 3.1, parent_id="ag", kind="handoff", handoff_to="Billing Agent", status="error",
             error_message="Invalid JSON provided"),
        *after,
    )  # fmt: skip


def test_a_handoff_that_raised_as_the_last_step_ended_the_run_in_error_unhandled() -> None:
    c = _triage()
    assert run_row(c)["reported_outcome"] == "error"
    assert one(c, "unhandled_error")["decisive_span_id"] == "h1"
    assert "swallowed_error" not in detectors(c)


def test_near_miss_the_model_answered_after_the_failed_handoff() -> None:
    # Work went on after it (an app that caught the exception and asked again): not the run's end.
    c = _triage(span("m2", 4, 5, parent_id="ag", kind="llm", model="gpt-4o", output="I can help with billing myself."))
    assert run_row(c)["reported_outcome"] == "success"
    assert "unhandled_error" not in detectors(c)


def test_near_miss_a_handoff_failing_with_another_error_leaves_the_root_alone() -> None:
    # "Multiple handoffs requested" is recorded on a handoff that was taken (execute_handoffs): no raise.
    c = run(
        span("ag", 0, 10, kind="agent", name="Triage Agent", agent="Triage Agent"),
        span("m1", 1, 2, parent_id="ag", kind="llm", model="gpt-4o", output="handing off"),
        span("h1", 3, 3.1, parent_id="ag", kind="handoff", handoff_to="Billing Agent", status="error",
             error_message="Multiple handoffs requested"),
    )  # fmt: skip
    assert run_row(c)["reported_outcome"] == "success"


def _tier1(error: str | None):
    return run(
        span("ag", 0, 10, kind="agent", name="Tier1 agent", agent="Tier1 agent",
             status="error" if error else "ok", error_message=error),
        span("m1", 1, 2, parent_id="ag", kind="llm", model="gpt-4o", output='[{"role": "assistant", "content": "checking"}]'),
        span("t1", 2.5, 3, parent_id="ag", kind="tool", tool="get_account", output="{'plan': 'Unlimited 5G'}"),
        span("m2", 4, 5, parent_id="ag", kind="llm", model="gpt-4o", output=ASK),
    )  # fmt: skip


def test_the_agent_span_that_raised_tool_not_found_is_an_unhandled_failure() -> None:
    assert "unhandled_error" in detectors(_tier1("Tool not found"))


def test_near_miss_an_agent_span_failing_with_an_unknown_message_is_not_read_as_a_raise() -> None:
    # Only the SDK's own ModelBehaviorError messages, whole: a tool's "Tool not found in registry: x" is not one.
    assert "unhandled_error" not in detectors(_tier1("Tool not found in registry: escalate"))
