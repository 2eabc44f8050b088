"""unhandled_error tells a failure where it happened, not in the calls it was carried up through.

An agent used as a tool (OpenAI Agents SDK Agent.as_tool: the tool call runs the sub-agent, whose
own tool calls sit under it) fails when a call inside the sub-agent fails and nothing there handles
it: the tool call, the sub-agent and the inner call all end in error. The inner call is the failure.
"""

from __future__ import annotations

from span_builder import one, run, span


def _brief(*, inner_fails: bool):
    inner = ({"status": "error", "error_message": "ReadTimeout: fetch of airbyte.com timed out"}
             if inner_fails else {"output": "<html>pricing</html>"})
    return run(
        span("root", 0, 100, kind="agent", name="Brief Writer", status="error", error_message="run failed"),
        span("m1", 1, 2, parent_id="root", kind="llm", model="gpt-4.1", output="call research_assistant"),
        span("ra", 2.1, 99, parent_id="root", kind="tool", tool="research_assistant", status="error",
             error_message="research_assistant failed"),
        span("sub", 2.2, 98.9, parent_id="ra", kind="agent", name="Research Assistant", status="error",
             error_message="research_assistant failed"),
        span("m2", 2.3, 3, parent_id="sub", kind="llm", model="gpt-4.1-mini", output="fetch two pages"),
        span("f1", 3.1, 4, parent_id="sub", kind="tool", tool="fetch_url", input='{"url": "https://fivetran.com"}', output="<html/>"),
        span("f2", 3.1, 98.8, parent_id="sub", kind="tool", tool="fetch_url", input='{"url": "https://airbyte.com"}', **inner),
    )  # fmt: skip


def test_the_inner_failure_carried_up_is_the_one_told() -> None:
    assert one(_brief(inner_fails=True), "unhandled_error")["decisive_span_id"] == "f2"


def test_near_miss_the_outer_call_failing_on_its_own_is_told_there() -> None:
    assert one(_brief(inner_fails=False), "unhandled_error")["decisive_span_id"] == "ra"
