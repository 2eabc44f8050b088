"""LlamaIndex AgentWorkflow's handoff tool refuses an unknown target by returning, as its result,
"Agent WriterAgent not found. Please select a valid agent to hand off to. Valid agents: ..."
(llama_index/core/agent/workflow/multi_agent_workflow.py, handoff): an error-shaped result with
OK status, and no handoff happened. An answer saying the report was written read it as done.
Near miss: the handoff tool's success text ("Handed off to WriterAgent because: ...")."""

from __future__ import annotations

from span_builder import detectors, run, span

ANSWER = "The report on the history of the web has been written and reviewed."


def _workflow(result: str):
    return run(
        span("root", 0, 10, kind="chain", name="AgentWorkflow.run", input="Write a report and have it reviewed.", output=ANSWER),
        span("step", 0.1, 9, parent_id="root", kind="agent", name="ResearchAgent.take_step", agent="ResearchAgent"),
        span("s1", 1, 1.5, parent_id="step", kind="tool", tool="search_web", agent="ResearchAgent",
             input='{"query": "history of the web"}', output="WWW proposed at CERN in 1989"),  # fmt: skip
        span("h1", 2, 2.5, parent_id="step", kind="handoff", tool="handoff", handoff_to="WriterAgent", agent="ResearchAgent",
             input='{"to_agent": "WriterAgent", "reason": "Notes are ready"}', output=result),  # fmt: skip
        span("l1", 3, 3.5, parent_id="step", kind="llm", agent="ResearchAgent", model="gpt-4o", output=ANSWER),
    )


def test_a_refused_handoff_read_as_done_is_error_as_data() -> None:
    refused = "Agent WriterAgent not found. Please select a valid agent to hand off to. Valid agents: ['ReviewAgent']"
    assert "error_as_data" in detectors(_workflow(refused))


def test_near_miss_a_handoff_that_happened_is_no_error() -> None:
    assert "error_as_data" not in detectors(_workflow("Handed off to WriterAgent because: Notes are ready"))
