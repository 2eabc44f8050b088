"""A smolagents manager's code called one of its managed agents and the call raised before the
managed run started: the task was handed to nobody.

A managed agent is called with ``task`` (``MultiStepAgent.__call__(self, task, **kwargs)``,
src/smolagents/agents.py); ``search_agent(query=...)`` raises "TypeError:
MultiStepAgent.__call__() missing 1 required positional argument: 'task'" in the manager's code, the
step fails with AgentExecutionError, and no ``ToolCallingAgent.run`` span starts. OpenInference
writes the manager's team on its run span (``smolagents.managed_agents.<i>.name``).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

_TEAM = '{"openinference.span.kind": "AGENT", "smolagents.managed_agents.0.name": "search_agent"}'
_RAISED = ("Code execution failed at line 'result = search_agent(query=\"recent jinja2 CVEs\")' due to: "
           "TypeError: MultiStepAgent.__call__() missing 1 required positional argument: 'task'")
_ANSWER = "The three most recent jinja2 CVEs are CVE-2024-56326, CVE-2024-34064 and CVE-2024-22195."


def _manager(started: bool, team: bool = True, lookup_in: str | None = None) -> list[dict[str, object]]:
    rows = [
        span("run", 0, 30, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", output=_ANSWER,
             attributes=_TEAM if team else '{"openinference.span.kind": "AGENT"}'),
        span("s1", 1, 10, parent_id="run", kind="chain", name="Step 1", agent="CodeAgent.run",
             status="error", error_type="AgentExecutionError", error_message=_RAISED),
        span("g1", 1.5, 3, parent_id="s1", kind="llm", model="gpt-4o", agent="CodeAgent.run",
             output='Thought: ask the team.\nCode:\n```py\nresult = search_agent(query="recent jinja2 CVEs")\n```'),
    ]
    if lookup_in == "s1":
        # A line of the same code before the raising call: ``acct = crm_lookup(...)``, then the delegation.
        rows.append(span("crm", 3.2, 3.6, parent_id="s1", kind="tool", tool="crm_lookup", agent="CodeAgent.run",
                         input='{"account": "jinja"}', output='{"owner": "e.nilsen"}'))
    if started:
        rows.append(span("sub", 4, 8, parent_id="s1", kind="agent", name="ToolCallingAgent.run",
                         agent="ToolCallingAgent.run", status="error", error_type="AgentMaxStepsError"))
    rows += [
        span("s2", 12, 20, parent_id="run", kind="chain", name="Step 2", agent="CodeAgent.run"),
        span("g2", 12.5, 15, parent_id="s2", kind="llm", model="gpt-4o", agent="CodeAgent.run",
             output='Thought: answer.\nCode:\n```py\nfinal_answer("...")\n```'),
        *([span("crm", 15.2, 15.6, parent_id="s2", kind="tool", tool="search_web", agent="CodeAgent.run",
                input='{"q": "recent jinja2 CVEs"}', output='["CVE-2024-56326"]')] if lookup_in == "s2" else []),
        span("fa", 16, parent_id="s2", kind="tool", tool="final_answer", agent="CodeAgent.run",
             input='{"answer": "..."}', output=_ANSWER),
    ]
    return rows


def test_a_managed_agent_call_that_raised_before_it_started_handed_the_task_to_nobody() -> None:
    assert one(run(*_manager(started=False)), "delegated_to_unknown_agent")["decisive_span_id"] == "s1"


def test_near_miss_the_managed_agent_started() -> None:
    assert "delegated_to_unknown_agent" not in detectors(run(*_manager(started=True)))


def test_near_miss_no_managed_agent_of_that_name() -> None:
    assert "delegated_to_unknown_agent" not in detectors(run(*_manager(started=False, team=False)))


def test_work_the_same_code_did_before_the_raising_call_took_nothing_up() -> None:
    # smolagents' local executor runs the code line by line and stops at the exception
    # (src/smolagents/local_python_executor.py): the lookup on the line before the delegation ran, the
    # delegated research did not (a smolagents 1.9 manager still calling its team with request=).
    assert one(run(*_manager(started=False, lookup_in="s1")), "delegated_to_unknown_agent")["decisive_span_id"] == "s1"


def test_near_miss_the_manager_did_the_work_itself_in_a_later_step() -> None:
    assert "delegated_to_unknown_agent" not in detectors(run(*_manager(started=False, lookup_in="s2")))
