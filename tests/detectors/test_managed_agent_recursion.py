"""A smolagents agent that manages an agent of its own kind: the recursion's decisive span is the
nested agent run itself, since no tool span stands between it and its manager's step.

smolagents agents.py ``ToolCallingAgent.execute_tool_call`` calls a managed agent as
``tool(**arguments)`` when ``is_managed_agent = tool_name in self.managed_agents``: the agent's own
``__call__`` -> ``run``, not a ``Tool.__call__``, so openinference-instrumentation-smolagents
(``_wrappers.py``: ``_RunWrapper`` names the span ``f"{instance.__class__.__name__}.run"``,
``_StepWrapper`` ``f"Step {step_number}"``, ``_ToolCallWrapper`` wraps ``Tool.__call__`` only)
traces ``ToolCallingAgent.run`` directly under the manager's ``Step N``. That step span holds the
step's model call and every action of it; the call that started the nested run is the run span.
Where the framework does trace a tool call around the nested agent (the Agents SDK's ``function``
span, tests/detectors/test_agents_as_tools_recursion.py), that tool call stays decisive; so does
the delegating agent's run where the nested run sits directly under it
(tests/detectors/test_detectors_runaway_cost.py ``test_delegation_depth_fires_past_the_limit``).
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import one, run, span

RUN = "ToolCallingAgent.run"


def _self_managed(depth: int, names: list[str] | None = None) -> list[dict[str, Any]]:
    """A CodeAgent manager, then ``depth`` ToolCallingAgent runs, each started from step 2 of the
    one before it (step 1: a web search; step 2: the model calls the managed agent)."""
    rows = [span("m0", 0, 200, kind="agent", name="CodeAgent.run", agent="CodeAgent.run",
                 input=json.dumps({"task": "One-page brief on EU industrial heat pumps"}))]  # fmt: skip
    rows.append(span("m0s1", 1, 199, parent_id="m0", kind="chain", name="Step 1", agent="CodeAgent.run"))
    caller = "m0s1"
    for i in range(1, depth + 1):
        who = names[i - 1] if names else RUN
        t = 2.0 + 10 * i
        end = 200.0 - i
        a = f"a{i}"
        rows.append(span(a, t, end, parent_id=caller, kind="agent", name=who, agent=who,
                         input=json.dumps({"task": f"narrower question {i}"})))  # fmt: skip
        rows.append(span(f"{a}s1", t + 0.1, t + 2, parent_id=a, kind="chain", name="Step 1", agent=who))
        rows.append(span(f"{a}g1", t + 0.2, t + 1, parent_id=f"{a}s1", kind="llm", name="LiteLLMModel.generate",
                         agent=who, model="gpt-4o"))  # fmt: skip
        rows.append(span(f"{a}w1", t + 1.1, t + 1.9, parent_id=f"{a}s1", kind="tool", name="WebSearchTool",
                         tool="web_search", agent=who, output="## Search Results"))  # fmt: skip
        rows.append(span(f"{a}s2", t + 3, end - 0.1, parent_id=a, kind="chain", name="Step 2", agent=who))
        rows.append(span(f"{a}g2", t + 3.1, t + 4, parent_id=f"{a}s2", kind="llm", name="LiteLLMModel.generate",
                         agent=who, model="gpt-4o"))  # fmt: skip
        caller = f"{a}s2"
    return rows


def test_a_managed_agent_started_inside_its_own_run_is_decisive_not_the_step_around_it() -> None:
    f = one(run(*_self_managed(8)), "delegation_depth")
    # a1 ToolCallingAgent.run -> Step 2 (a1s2) -> a2 ToolCallingAgent.run: a2 is the first run of
    # the agent inside its own run, and no tool span called it.
    assert f["decisive_span_id"] == "a2"
    assert f["evidence_span_ids"][0] == "a2"
    assert "was started again inside its own run" in f["explanation"]


def test_near_miss_different_managed_agents_in_a_chain_keep_the_first_past_the_limit() -> None:
    names = [f"Agent{k}.run" for k in "BCDEFGH"]
    f = one(run(*_self_managed(7, names)), "delegation_depth")
    # Seven managed agents under the manager: depth 8; the fifth (a5, depth 6) is the first past 5.
    assert f["decisive_span_id"] == "a5"
    assert "loop between agents" not in f["explanation"]
