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

from span_builder import detectors, findings, one, run, span

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


# OpenInference's CrewAI instrumentation wraps Task._execute_core and the tools' _use, not
# Agent.execute_task: the coworker BaseAgentTool._execute runs shows only as its model calls (and
# tools) nested in the delegation tool's span, with no agent span of its own.
def _asked(*inside: dict[str, object]):
    return run(
        span("kick", 0, 20, kind="chain", name="postmortem_crew.kickoff", output="Postmortem written."),
        span("pw", 1, 19, parent_id="kick", kind="agent", name="Postmortem Writer", agent="Postmortem Writer"),
        span("l1", 2, 3, parent_id="pw", kind="llm", model="claude-3-5-sonnet", output="Action: Ask question to coworker"),
        span("q1", 4, 10, parent_id="pw", kind="tool", tool="Ask question to coworker",
             input='{"question": "How many checkout requests failed?", "context": "INC-2291", "coworker": "Log Analyst"}',
             output="18,204 of 61,977 checkout requests returned 5xx."),  # fmt: skip
        *inside,
        span("l3", 11, 12, parent_id="pw", kind="llm", model="claude-3-5-sonnet",
             output="Final Answer: Postmortem written."),  # fmt: skip
    )


def test_the_coworkers_model_calls_nested_in_the_delegation_are_it_taking_the_question() -> None:
    found = detectors(_asked(
        span("c1", 5, 6, parent_id="q1", kind="llm", model="claude-3-5-sonnet", output="Action: Search logs"),
        span("c2", 6.5, 7, parent_id="q1", kind="tool", tool="Search logs", input='{"status": "5xx"}',
             output="count: 18,204 of 61,977 requests"),
        span("c3", 8, 9, parent_id="q1", kind="llm", model="claude-3-5-sonnet",
             output="Final Answer: 18,204 of 61,977 checkout requests returned 5xx."),
    ))  # fmt: skip
    assert "dangling_handoff" not in found


def test_near_miss_model_calls_beside_the_delegation_are_the_delegator_s_own() -> None:
    # The writer's own model call after the tool returned, under the writer's span: nobody worked
    # inside the delegation, and Log Analyst never ran.
    c = _asked(span("l2", 10.5, 10.8, parent_id="pw", kind="llm", model="claude-3-5-sonnet", output="Thought: ok"))
    assert one(c, "dangling_handoff")["decisive_span_id"] == "q1"


def test_near_miss_a_model_call_nested_in_a_handoff_that_is_itself_a_model_call() -> None:
    # Monocle records the framework's inference span (model gpt-4o, its answer asking for
    # transfer_to_hotel_assistant) with the client library's span of the same request inside it:
    # that inner span is the handing-off model's own call, not the target working.
    c = run(
        span("sup", 0, 10, kind="agent", name="travel_supervisor", agent="travel_supervisor"),
        span("h1", 1, 3, parent_id="sup", kind="handoff", model="gpt-4o", handoff_to="hotel_assistant",
             output="Successfully transferred to hotel_assistant"),
        span("h1c", 1.1, 2.9, parent_id="h1", kind="llm", name="openai.chat.completions.create"),
        span("l2", 4, 5, parent_id="sup", kind="llm", model="gpt-4o", output="Your hotel is booked."),
    )  # fmt: skip
    assert one(c, "dangling_handoff")["decisive_span_id"] == "h1"


# The manager read the refusal's list of roles and delegated again to one of them, who did the
# work inside the second call (BaseAgentTool._execute -> agent.execute_task): the first handoff was
# re-addressed, not left lying (forensics/detectors/readdressed_handoffs.py).
def _readdressed(second_output: str, *inside: dict[str, object]):
    return run(
        span("kick", 0, 20, kind="chain", name="Crew.kickoff", output="Competitive analysis: competitors grew 12-18% YoY."),
        span("pm", 1, 19, parent_id="kick", kind="agent", name="Project Manager", agent="Project Manager"),
        span("l1", 2, 3, parent_id="pm", kind="llm", model="gpt-4o", output="Action: Delegate work to coworker"),
        span("d1", 4, 5, parent_id="pm", kind="tool", tool="Delegate work to coworker",
             input='{"task": "Collect 2025 revenue for the top 3 competitors", "context": "Acme", "coworker": "Market Analyst"}',
             output=NOT_FOUND),
        span("l1b", 5.5, 6, parent_id="pm", kind="llm", model="gpt-4o", output="Action: Delegate work to coworker"),
        span("d2", 6.5, 10, parent_id="pm", kind="tool", tool="Delegate work to coworker",
             input='{"task": "Collect 2025 revenue for the top 3 competitors", "context": "Acme", "coworker": "Market Research Analyst"}',
             output=second_output),
        *inside,
        span("l2", 11, 12, parent_id="pm", kind="llm", model="gpt-4o",
             output="Final Answer: Competitive analysis: competitors grew 12-18% YoY."),
    )  # fmt: skip


def test_near_miss_the_manager_delegated_again_to_a_coworker_in_the_crew() -> None:
    worker = span("w", 7, 9.5, parent_id="d2", kind="agent", name="Market Research Analyst.execute_task",
                  agent="Market Research Analyst.execute_task", output="Competitors grew 12-18% YoY.")  # fmt: skip
    assert detectors(_readdressed("Competitors grew 12-18% YoY.", worker)) == set()


def test_a_second_delegation_refused_too_leaves_both_dangling() -> None:
    found = findings(_readdressed(NOT_FOUND), "dangling_handoff")
    assert [f["decisive_span_id"] for f in found] == ["d1"]
    assert "2 unreceived" in found[0]["explanation"]
