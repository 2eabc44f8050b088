"""A tool span alone in its own trace, with no parent, is a fragment: its caller is elsewhere.

A tool runs because an agent (or its model) called it, inside that agent's step. smolagents runs
tools on executor threads the OpenTelemetry context does not always follow (smolagents issue 1961),
so the tool's span can land in a trace of its own; what the agent did with its failure (a retry in
the next step, another tool) is in the agent's trace. unhandled_error cannot judge it there.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

FAILED_SEARCH = {
    "kind": "tool",
    "tool": "web_search",
    "input": '{"query": "lisbon hotels"}',
    "status": "error",
    "error_type": "RatelimitException",
    "error_message": "https://lite.duckduckgo.com/lite/ 202 Ratelimit",
}


def test_a_lone_failed_tool_span_is_not_judged_unhandled() -> None:
    c = run(span("t1", 0, 1.5, **FAILED_SEARCH))
    assert "unhandled_error" not in detectors(c)


def test_near_miss_the_same_failure_inside_its_agent_run_is_unhandled() -> None:
    c = run(
        span("root", 0, 3, kind="agent", name="CodeAgent.run", status="error", error_type="AgentExecutionError"),
        span("t1", 0.5, 1.5, parent_id="root", **FAILED_SEARCH),
    )
    assert one(c, "unhandled_error")["decisive_span_id"] == "t1"
