"""A managed agent's empty report that the manager read as the finding that there is nothing.

smolagents' managed agent returns its final_answer's value as the manager's observation; an answer
of '' arrives as an empty report ("Here is the final answer from your managed agent 'search_agent':"
and nothing after it, smolagents #2166). OpenInference's _RunWrapper records the run's output as
``str(agent_output)``. A manager that then says "the search agent found no recalls" read the
emptiness as data (TAXONOMY error_as_data: an empty result where data was expected, the run going on
as if it succeeded); one whose model said the report was empty and that then answered from its own
knowledge dropped the work (dropped_delegation); one that answered without a word of it took the
empty report as the work done (error_as_data: forensics/detectors/empty_reports.py).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _manager(answer: str, sub_output: str = "", thought: str = "final") -> list[dict[str, object]]:
    return [
        span("run", 0, 20, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", output=answer),
        span("s1", 0.1, 12, parent_id="run", kind="chain", name="Step 1", agent="CodeAgent.run"),
        span("g1", 0.2, 1, parent_id="s1", kind="llm", model="gpt-4.1", agent="CodeAgent.run", output="delegate"),
        span("sub", 1.5, 11, parent_id="s1", kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent.run",
             output=sub_output),
        span("ws", 2, 4, parent_id="sub", kind="tool", tool="web_search", agent="ToolCallingAgent.run",
             input='{"query": "SnugRide recall"}', output="NHTSA Recall 24C-004 covers SnugRide SnugFit 35 DLX"),
        span("fa_sub", 9, parent_id="sub", kind="tool", tool="final_answer", agent="ToolCallingAgent.run",
             input='{"answer": ""}', output=""),
        span("s2", 13, 19, parent_id="run", kind="chain", name="Step 2", agent="CodeAgent.run"),
        span("g2", 13.5, 15, parent_id="s2", kind="llm", model="gpt-4.1", agent="CodeAgent.run", output=thought),
        span("fa", 16, parent_id="s2", kind="tool", tool="final_answer", agent="CodeAgent.run",
             input='{"answer": "..."}', output=answer),
    ]


def test_an_empty_report_read_as_no_recalls_is_error_as_data() -> None:
    c = run(*_manager("No. The search agent found no recalls for this seat in the last two years."))
    assert one(c, "error_as_data")["decisive_span_id"] == "sub"
    assert "dropped_delegation" not in detectors(c)


def test_near_miss_an_answer_from_memory_over_a_report_seen_empty_is_dropped_delegation() -> None:
    seen = "Thought: The team member returned nothing. I will answer with what I know.\nCode:\n```py\nfinal_answer(...)\n```"
    c = run(*_manager("The SnugRide SnugFit 35 DLX is a rear-facing infant seat rated to 35 lb.", thought=seen))
    assert "dropped_delegation" in detectors(c)
    assert "error_as_data" not in detectors(c)


def test_an_answer_over_the_empty_report_not_seen_empty_took_it_as_done() -> None:
    c = run(*_manager("The SnugRide SnugFit 35 DLX is a rear-facing infant seat rated to 35 lb."))
    assert one(c, "error_as_data")["decisive_span_id"] == "sub"
    assert "dropped_delegation" not in detectors(c)


def test_near_miss_the_report_was_not_empty() -> None:
    c = run(*_manager("No. The search agent found no recalls.", sub_output="No recalls listed by NHTSA or CPSC."))
    assert not {"error_as_data", "dropped_delegation"} & detectors(c)
