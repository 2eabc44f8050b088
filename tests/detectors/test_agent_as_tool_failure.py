"""A sub-agent run as a tool (OpenAI Agents SDK ``Agent.as_tool``) that failed with its tool call is
that tool call's failure, not a dropped delegation.

``as_tool`` wraps the sub-agent's ``Runner.run`` in a function tool: an exception in the sub-agent
fails the function span around it and reaches the delegating agent's model as that tool's failure
(the tool's failure_error_function). The work came back to its owner; whether the owner then did
anything with the failure is the error rules' to judge.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _brief(tool_failed: bool, sub_output: str | None = None) -> list[dict[str, object]]:
    tool = {"status": "error", "error_type": "TimeoutError", "error_message": "tool timed out"} if tool_failed else {"output": '""'}
    sub = {"status": "error", "error_type": "asyncio.CancelledError"} if tool_failed else {"output": sub_output}
    return [
        span("root", 0, 120, kind="agent", name="brief_writer", agent="brief_writer", output="Brief published."),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4.1", agent="brief_writer", output="{}"),
        span("t1", 2.1, 92, parent_id="root", kind="tool", tool="competitor_research", agent="brief_writer",
             input='{"company": "Contoso"}', **tool),
        span("sub", 2.2, 91.9, parent_id="t1", kind="agent", name="research_agent", agent="research_agent", **sub),
        span("l2", 3, 5, parent_id="sub", kind="llm", model="gpt-4.1-mini", agent="research_agent", output="{}"),
        span("l3", 93, 110, parent_id="root", kind="llm", model="gpt-4.1", agent="brief_writer", output="Brief published."),
    ]


def test_a_sub_agent_that_came_back_empty_through_a_tool_that_returned_was_taken_as_done() -> None:
    # It ran and answered nothing; the brief was published over it with no word of the gap: an
    # empty result taken as data (error_as_data), not a delegation nobody picked up
    # (forensics/detectors/empty_reports.py).
    c = run(*_brief(tool_failed=False, sub_output=""))
    assert one(c, "error_as_data")["decisive_span_id"] == "sub"
    assert "dropped_delegation" not in detectors(c)


def test_near_miss_the_sub_agent_failed_its_tool_call() -> None:
    assert "dropped_delegation" not in detectors(run(*_brief(tool_failed=True)))
