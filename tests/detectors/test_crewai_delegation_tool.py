"""CrewAI's delegation tools are handoffs to the coworker they name.

An agent with allow_delegation gets DelegateWorkTool ("Delegate work to coworker": task, context,
coworker) and AskQuestionTool ("Ask question to coworker"), crewAIInc/crewAI
src/crewai/tools/agent_tools/. The coworker runs inside the tool call (its agent span nested in
the tool's, named by role and method: "Local Events Researcher.execute_task"). For a role not in
the crew the tool returns "Error executing tool. coworker mentioned not found, it must be one of
the following options: ..." and nobody runs: a handoff nobody took (dangling_handoff), and an
error the manager then went on from as if it had worked (error_as_data).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

NOT_FOUND = (
    "\nError executing tool. coworker mentioned not found, it must be one of the following options:\n"
    "- market research analyst\n"
)


def _crew(tool_output: str, *coworker: dict[str, object]):
    return run(
        span("kick", 0, 20, kind="chain", name="Crew.kickoff", output="Competitive analysis: competitors grew 12-18% YoY."),
        span("pm", 1, 19, parent_id="kick", kind="agent", name="Project Manager", agent="Project Manager"),
        span("l1", 2, 3, parent_id="pm", kind="llm", model="gpt-4o", output="Action: Delegate work to coworker"),
        span("d1", 4, 10, parent_id="pm", kind="tool", tool="Delegate work to coworker",
             input='{"task": "Collect 2025 revenue for the top 3 competitors", "context": "Acme", "coworker": "Market Analyst"}',
             output=tool_output),  # fmt: skip
        *coworker,
        span("l2", 11, 12, parent_id="pm", kind="llm", model="gpt-4o",
             output="Final Answer: Competitive analysis: competitors grew 12-18% YoY."),  # fmt: skip
    )


def test_a_delegation_to_a_coworker_not_in_the_crew_dangles() -> None:
    c = _crew(NOT_FOUND)
    assert one(c, "dangling_handoff")["decisive_span_id"] == "d1"
    assert one(c, "error_as_data")["decisive_span_id"] == "d1"


def test_near_miss_the_coworker_ran_inside_the_delegation() -> None:
    worker = span("w1", 5, 9, parent_id="d1", kind="agent", name="Market Analyst.execute_task",
                  agent="Market Analyst.execute_task", output="Competitors grew 12-18% YoY.")  # fmt: skip
    found = detectors(_crew("Competitors grew 12-18% YoY.", worker))
    assert "dangling_handoff" not in found
    assert "error_as_data" not in found
