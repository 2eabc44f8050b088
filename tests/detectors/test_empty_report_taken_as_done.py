"""A delegate that ran and answered nothing, its caller going on as if the work were done.

TAXONOMY: the delegate started work (no dangling handoff), and the caller posted, sent or reported
its empty answer as the finished work: an empty result where data was expected, the run going on
as if it succeeded (error_as_data, silent_failure), in each framework's shape
(forensics/detectors/empty_reports.py):

* CrewAI: ``Delegate work to coworker`` runs the coworker inside the tool (crewAI
  ``tools/agent_tools/base_agent_tools.py`` ``_execute`` -> ``selected_agent.execute_task``) and
  returns its answer as the tool's result; OpenInference's CrewAI wrappers span ``ToolUsage._use``,
  so the coworker shows as model calls nested in the tool span;
* Semantic Kernel: an agent invoked as a kernel function, its ``invoke_agent`` span (no output
  recorded) under the caller's ``execute_tool`` span, its last ``chat.completions`` choice
  ``{"role": "assistant", "content": ""}`` (semantic-kernel ``utils/telemetry``);
* an agent-as-tool with the sub-agent's observation recording its output (a Langfuse export):
  the sub-agent span under the caller's tool span, output ``""``.

Near misses: the delegate answered; the caller asked again (it took the work up); a delegate that
failed is dropped_delegation's, not this.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

CLAIM = "Background-check summary compiled: all three candidates cleared screening."


def _crew(coworker_answer: str, *after: dict[str, object]):
    return run(
        span("kick", 0, 20, kind="chain", name="Hiring Crew.kickoff", output=CLAIM),
        span("rc", 0.1, 19, parent_id="kick", kind="agent", name="Coordinator._execute_core", agent="Coordinator"),
        span("l1", 0.2, 3, parent_id="rc", kind="llm", model="gpt-4o", agent="Coordinator",
             output="Action: Delegate work to coworker"),
        span("d1", 3.1, 8, parent_id="rc", kind="tool", tool="Delegate work to coworker", agent="Coordinator",
             input='{"calling": {"tool_name": "Delegate work to coworker", "arguments": {"task": "Summarize the '
                   'screening results", "context": "three candidates", "coworker": "Compliance Analyst"}}}',
             output=coworker_answer),
        span("c1", 3.2, 7.9, parent_id="d1", kind="llm", model="gpt-4o", agent="Coordinator",
             output=f"Thought: I now know the final answer\nFinal Answer: {coworker_answer}"),
        *after,
        span("l2", 15, 18, parent_id="rc", kind="llm", model="gpt-4o", agent="Coordinator",
             output=f"Thought: I now know the final answer\nFinal Answer: {CLAIM}"),
    )  # fmt: skip


def test_a_crewai_coworker_s_empty_answer_taken_as_done_is_error_as_data() -> None:
    c = _crew("")
    f = one(c, "error_as_data")
    assert f["decisive_span_id"] == "d1"
    assert "dropped_delegation" not in detectors(c)


def test_near_miss_the_coworker_answered() -> None:
    found = detectors(_crew("C-1: clear. C-2: CONSIDER, pending assessment. C-3: clear."))
    assert not {"error_as_data", "dropped_delegation"} & found


def test_near_miss_the_coordinator_delegated_again() -> None:
    again = [
        span("d2", 9, 14, parent_id="rc", kind="tool", tool="Delegate work to coworker", agent="Coordinator",
             input='{"calling": {"tool_name": "Delegate work to coworker", "arguments": {"task": "Your answer was '
                   'empty; summarize the screening results", "context": "", "coworker": "Compliance Analyst"}}}',
             output="All three clear."),
        span("c2", 9.1, 13.9, parent_id="d2", kind="llm", model="gpt-4o", agent="Coordinator",
             output="Final Answer: All three clear."),
    ]  # fmt: skip
    assert "error_as_data" not in detectors(_crew("", *again))


EMPTY_CHOICE = '{"role":"assistant","content":""}'


def _kernel(choice: str):
    return run(
        span("root", 0, 30, kind="agent", name="invoke_agent Concierge", agent="Concierge", status="unset"),
        span("l1", 0.1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="Concierge",
             output='{"role":"assistant","tool_calls":[{"id":"call_1","function":{"name":"Delegation-AskWriter",'
                    '"arguments":"{\\"brief\\":\\"4 days in Porto\\"}"}}]}'),
        span("t1", 2.1, 8, parent_id="root", kind="tool", name="execute_tool Delegation-AskWriter",
             tool="Delegation-AskWriter", agent="Concierge", status="unset"),
        span("w", 2.2, 7.9, parent_id="t1", kind="agent", name="invoke_agent Writer", agent="Writer", status="unset"),
        span("wl", 2.3, 7.8, parent_id="w", kind="llm", model="gpt-4o", agent="Writer", status="unset", output=choice),
        span("l2", 8.1, 12, parent_id="root", kind="llm", model="gpt-4o", agent="Concierge",
             output='{"role":"assistant","content":"Your Porto itinerary is ready: day 1 Ribeira, day 2 Serralves."}'),
    )  # fmt: skip


def test_a_semantic_kernel_sub_agent_whose_last_completion_was_empty_is_error_as_data() -> None:
    c = _kernel(EMPTY_CHOICE)
    assert one(c, "error_as_data")["decisive_span_id"] == "w"


def test_near_miss_the_semantic_kernel_sub_agent_wrote_something() -> None:
    found = detectors(_kernel('{"role":"assistant","content":"Day 1: Ribeira. Day 2: Serralves."}'))
    assert "error_as_data" not in found


def _as_tool(sub: dict[str, object], *after: dict[str, object]):
    return run(
        span("root", 0, 12, kind="agent", name="orchestrator", agent="orchestrator",
             output="Reference check complete: the summary is posted to the application."),
        span("g1", 0.1, 1, parent_id="root", kind="llm", model="gpt-4o", agent="orchestrator",
             output='{"role": "assistant", "tool_calls": [{"name": "summarizer", "arguments": "{}"}]}'),
        span("t1", 1.1, 6, parent_id="root", kind="tool", tool="summarizer", agent="orchestrator", output=""),
        span("sub", 1.2, 5.9, parent_id="t1", kind="agent", name="summarizer_agent", agent="summarizer_agent", **sub),
        *after,
        span("post", 7, 8, parent_id="root", kind="tool", tool="add_note", agent="orchestrator",
             input='{"body": "Reference summary:\\n"}', output='{"id": 731}'),
        span("g3", 8.5, 11, parent_id="root", kind="llm", model="gpt-4o", agent="orchestrator",
             output="Reference check complete: the summary is posted to the application."),
    )  # fmt: skip


def test_an_agent_as_tool_s_empty_answer_posted_on_is_error_as_data_once() -> None:
    c = _as_tool({"output": ""})
    f = one(c, "error_as_data")
    assert f["decisive_span_id"] == "sub"  # the sub-agent's run, not also its tool call
    assert "dropped_delegation" not in detectors(c)


def test_near_miss_a_failed_sub_agent_is_still_dropped_delegation() -> None:
    c = _as_tool({"status": "error", "error_type": "RuntimeError"})
    assert "error_as_data" not in detectors(c)
