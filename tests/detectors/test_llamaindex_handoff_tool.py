"""LlamaIndex AgentWorkflow hands off through an ordinary tool named ``handoff`` (arguments
``to_agent``, ``reason``; llama_index/core/agent/workflow/multi_agent_workflow.py). An unknown
agent gets "Agent X not found. Please select a valid agent to hand off to." and nobody runs."""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _workflow(to_agent: str, result: str, *after: dict[str, object]) -> list[dict[str, object]]:
    return [
        span("root", 0, 30, kind="chain", name="AgentWorkflow.run", input="Summarise the Q3 churn numbers and have them checked.",
             output="The summary is written and checked."),
        span("a1", 1, 10, parent_id="root", kind="agent", name="AnalystAgent.take_step", agent="AnalystAgent"),
        span("l1", 2, 3, parent_id="a1", kind="llm", model="gpt-4o", agent="AnalystAgent"),
        span("h1", 4, 5, parent_id="a1", kind="tool", name="FunctionTool.acall", tool="handoff", agent="AnalystAgent",
             input=f'{{"to_agent": "{to_agent}", "reason": "numbers ready for checking"}}', output=result),
        *after,
    ]


def test_a_handoff_tool_call_to_an_agent_that_never_runs_dangles() -> None:
    c = run(*_workflow("AuditorAgent", "Agent AuditorAgent not found. Please select a valid agent to hand off to. Valid agents: CheckerAgent"))
    assert one(c, "dangling_handoff")["decisive_span_id"] == "h1"


def test_near_miss_the_target_agent_takes_its_step() -> None:
    taken = span("a2", 12, 20, parent_id="root", kind="agent", name="CheckerAgent.take_step", agent="CheckerAgent")
    c = run(*_workflow("CheckerAgent", "Agent CheckerAgent is now handling the request.", taken))
    assert "dangling_handoff" not in detectors(c)
