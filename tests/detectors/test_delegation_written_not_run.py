"""A smolagents CodeAgent manager that wrote its managed agent's call in a function it never
called, then said the research was done (forensics/detectors/delegation_code.py).

smolagents: a managed agent is called from the manager's code as a function named for it
(src/smolagents/agents.py, ``MultiStepAgent.__call__``: ``researcher(task=...)``); the Python
executor only defines ``def ask(): return researcher(task=...)`` (local_python_executor.py
``evaluate_function_def``), so nothing runs unless the code calls ``ask()``. The OpenInference
instrumentation nests a managed agent's ``<Agent>.run`` span in the manager's step and names the
managed agents on the manager's run span (``smolagents.managed_agents.<i>.name``,
openinference-instrumentation-smolagents _wrappers.py _smolagent_run_attributes). Near miss: the
code calls the function, the researcher's run is nested in the step.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

ROSTER = json.dumps({
    "openinference.span.kind": "AGENT", "smolagents.max_steps": 20, "smolagents.tools_names": ["final_answer"],
    "smolagents.managed_agents.0.name": "researcher",
    "smolagents.managed_agents.0.description": "A team member that researches a question on the web and reports its findings.",
})  # fmt: skip
TASK = 'def ask():\n    return researcher(task="How tall is the Eiffel Tower, in metres?")\n'


def _manager(answer: str, called: bool):
    code = TASK + ("report = ask()\nprint(report)\n" if called else "")
    logs = "Execution logs:\nThe Eiffel Tower is 330 m tall.\n" if called else "Execution logs:\n"
    rows = [
        span("run", 0, 20, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", output=answer, attributes=ROSTER,
             input="How tall is the Eiffel Tower?"),
        span("s1", 0.1, 5, parent_id="run", kind="chain", name="Step 1", agent="CodeAgent.run", output=logs),
        span("g1", 0.2, 2, parent_id="s1", kind="llm", model="gpt-4o", agent="CodeAgent.run",
             output=f"Thought: I will ask my researcher.\nCode:\n```py\n{code}```<end_code>"),
    ]  # fmt: skip
    if called:
        rows += [
            span("sub", 2.5, 4.5, parent_id="s1", kind="agent", name="ToolCallingAgent.run", agent="researcher",
                 output="The Eiffel Tower is 330 m tall."),
            span("ws", 3, 4, parent_id="sub", kind="tool", tool="web_search", agent="researcher",
                 input='{"query": "Eiffel Tower height metres"}', output="Eiffel Tower: 330 m (with antennas)"),
        ]  # fmt: skip
    rows += [
        span("s2", 6, 10, parent_id="run", kind="chain", name="Step 2", agent="CodeAgent.run"),
        span("g2", 6.1, 8, parent_id="s2", kind="llm", model="gpt-4o", agent="CodeAgent.run", input=logs,
             output=f"Code:\n```py\nfinal_answer({json.dumps(answer)})\n```<end_code>"),
        span("fa", 8.5, 9, parent_id="s2", kind="tool", tool="final_answer", agent="CodeAgent.run",
             input=json.dumps({"answer": answer}), output=answer),
    ]  # fmt: skip
    return run(*rows)


DONE = "I delegated this to my researcher, who confirmed the Eiffel Tower is 330 m tall."


def test_a_delegation_written_in_a_function_never_called() -> None:
    f = one(_manager(DONE, called=False), "claimed_but_not_done")
    # Decisive: the model call that wrote the delegation and never ran it.
    assert f["decisive_span_id"] == "g1"
    assert "researcher, who confirmed" in f["explanation"]


def test_a_check_against_a_source_with_the_delegation_never_run() -> None:
    said = "Research complete: the Eiffel Tower is 330 m tall (verified on the official site)."
    assert one(_manager(said, called=False), "claimed_but_not_done")["decisive_span_id"] == "g1"


def test_near_miss_the_function_is_called() -> None:
    assert "claimed_but_not_done" not in detectors(_manager(DONE, called=True))
