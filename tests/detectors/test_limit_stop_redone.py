"""A turn limit that stopped a sub-agent the caller then dispatched again is no budget_exceeded.

OpenAI Agents SDK: ``Agent.as_tool`` runs the sub-agent as a nested ``Runner.run`` with its own
max_turns; past it the SDK marks the sub-agent's span "Max turns exceeded" and raises
``MaxTurnsExceeded``, which the tool's ``failure_error_function`` (``default_tool_error_function``,
src/agents/tool.py) hands back to the calling model as the tool's result. A caller that then calls
the agent-as-tool again with a narrower request, which succeeds, made the stopped part good: the
limit stopped one attempt, not the run.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _planner(redo_ok: bool | None) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("root", 0, 40, kind="agent", name="Trip planning", agent="Trip planning"),
        span("planner", 0.1, 39, parent_id="root", kind="agent", name="invoke_agent Trip Planner", agent="Trip Planner"),
        span("l1", 0.2, 1, parent_id="planner", kind="llm", model="gpt-4.1", agent="Trip Planner", output="{}"),
        span("t1", 1.1, 20, parent_id="planner", kind="tool", tool="flight_scout", agent="Trip Planner",
             input='{"input": "cheapest LIS-HND in March, any day"}', status="error",
             error_message="Error running tool (non-fatal): Max turns (6) exceeded",
             output="An error occurred while running the tool. Please try again. Error: Max turns (6) exceeded"),
        span("scout1", 1.2, 19.9, parent_id="t1", kind="agent", name="invoke_agent Flight Scout", agent="Flight Scout",
             status="error", error_message="Max turns exceeded: {'max_turns': 6}"),
    ]
    for i in range(6):
        rows.append(span(f"sl{i}", 1.3 + 3 * i, 2.5 + 3 * i, parent_id="scout1", kind="llm", model="gpt-4.1-mini",
                         agent="Flight Scout", output="{}"))
        rows.append(span(f"st{i}", 2.6 + 3 * i, 3.0 + 3 * i, parent_id="scout1", kind="tool", tool="search_flights",
                         agent="Flight Scout", input=f'{{"depart": "2027-03-{i + 3:02d}"}}', output=f'{{"cheapest_eur": {800 - i}}}'))
    rows.append(span("l2", 20.1, 21, parent_id="planner", kind="llm", model="gpt-4.1", agent="Trip Planner", output="{}"))
    if redo_ok is not None:
        status = {} if redo_ok else {"status": "error", "error_message": "Max turns exceeded: {'max_turns': 6}"}
        rows += [
            span("t2", 21.1, 30, parent_id="planner", kind="tool", tool="flight_scout", agent="Trip Planner",
                 input='{"input": "LIS-HND 10 March returning 17 March"}', output="TK via IST, 768 EUR"),
            span("scout2", 21.2, 29.9, parent_id="t2", kind="agent", name="invoke_agent Flight Scout",
                 agent="Flight Scout", **status),
            span("sl9", 21.3, 22, parent_id="scout2", kind="llm", model="gpt-4.1-mini", agent="Flight Scout", output="{}"),
        ]
    rows.append(span("l3", 30.1, 31, parent_id="planner", kind="llm", model="gpt-4.1", agent="Trip Planner",
                     output="Flights: TK via IST, 768 EUR return. Nothing is booked."))
    return rows


def test_a_sub_agent_stopped_by_its_turn_limit_and_never_redone_is_a_limit_stop() -> None:
    f = one(run(*_planner(None)), "budget_exceeded")
    assert f["decisive_span_id"] == "scout1"


def test_near_miss_the_caller_dispatched_the_sub_agent_again_and_it_finished() -> None:
    assert "budget_exceeded" not in detectors(run(*_planner(True)))


def test_a_redo_that_hit_the_limit_again_redid_nothing() -> None:
    assert "budget_exceeded" in detectors(run(*_planner(False)))


def _manager(again: str) -> list[dict[str, object]]:
    """smolagents: a CodeAgent manager with two managed ToolCallingAgents; every run span is named
    after the class, the managed agent's own name is in the task its manager handed it."""

    def task(name: str) -> str:
        return f"You're a helpful agent named '{name}'. You have been submitted this task by your manager. Find the recall."

    return [
        span("m", 0, 40, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", output="Recall 24C-004 covers it."),
        span("s1", 1, 15, parent_id="m", kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent.run",
             input=task("search_agent"), status="error", error_type="AgentMaxStepsError",
             error_message="Reached max steps."),
        span("sl", 1.5, 3, parent_id="s1", kind="llm", model="gpt-4o", agent="ToolCallingAgent.run", output="{}"),
        span("s2", 16, 30, parent_id="m", kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent.run",
             input=task(again), output="Recall 24C-004 (NHTSA) covers the 2023 model."),
        span("s2l", 16.5, 18, parent_id="s2", kind="llm", model="gpt-4o", agent="ToolCallingAgent.run", output="{}"),
        span("ml", 31, 33, parent_id="m", kind="llm", model="gpt-4o", agent="CodeAgent.run", output="final_answer('Recall 24C-004 covers it.')"),
    ]


def test_near_miss_the_manager_ran_the_same_managed_agent_again_and_it_finished() -> None:
    assert "budget_exceeded" not in detectors(run(*_manager("search_agent")))


def test_another_managed_agent_of_the_same_class_redid_nothing_of_the_stopped_one() -> None:
    assert one(run(*_manager("verify_agent")), "budget_exceeded")["decisive_span_id"] == "s1"
