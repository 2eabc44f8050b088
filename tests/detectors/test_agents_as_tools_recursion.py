"""Two agents each given the other as a tool: a recursion between agents, not a repeated action.

The OpenAI Agents SDK's ``Agent.as_tool`` (openai-agents-python src/agents/agent.py) wraps
``Runner.run(starting_agent=self, input=input)`` in a function tool: each call runs the sub-agent
afresh inside the caller's run, with only the tool's input ("In handoffs, the new agent receives the
conversation history. In this tool, the new agent receives generated input."). Traced as the
caller's ``function`` span with the sub-agent's ``agent`` span under it (src/agents/tracing/
span_data.py FunctionSpanData, AgentSpanData). When A and B each defer to the other, every level
is a new run of A or B asking the same question once: no agent repeated itself, the runs nest
deeper and deeper (TAXONOMY runaway_cost: "recursion or delegation depth ... above the policy's
limit"). Decisive: the call that closed the loop, B calling A while A's run is still open.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

ASK = json.dumps({"input": "Clause 14.2 (uncapped IP indemnity): rate the risk, with precedent."})
ANSWER = "Clause 14.2: HIGH risk (uncapped IP indemnity; cap at 12 months fees)."


def _nested(agents: list[str], tools: list[str]) -> list[dict[str, Any]]:
    """An orchestrator, then each agent called as a tool by the one before it, each level inside
    the last (the SDK's nesting: agent -> generation, function -> agent ...)."""
    n = len(agents)
    rows = [span("a0", 0, 100, kind="agent", name="Risk Orchestrator", agent="Risk Orchestrator")]
    for i, (who, tool) in enumerate(zip(agents, tools, strict=True), start=1):
        caller = f"a{i - 1}"
        caller_name = "Risk Orchestrator" if i == 1 else agents[i - 2]
        start, end = 3.0 * i, 100 - i
        rows.append(span(f"g{i}", start - 2, start - 1, parent_id=caller, kind="llm", model="gpt-4.1", agent=caller_name,
                         output=json.dumps({"tool_calls": [{"name": tool, "arguments": ASK}]})))  # fmt: skip
        rows.append(span(f"f{i}", start - 0.5, end, parent_id=caller, kind="tool", tool=tool, name=tool,
                         agent=caller_name, input=ASK, output=ANSWER))  # fmt: skip
        rows.append(span(f"a{i}", start, end - 0.1, parent_id=f"f{i}", kind="agent", name=who, agent=who))
    # The innermost agent answers.
    rows.append(span("g_last", 3.0 * n + 1, 3.0 * n + 2, parent_id=f"a{n}", kind="llm", model="gpt-4.1",
                     agent=agents[-1], output=ANSWER))  # fmt: skip
    return rows


MUTUAL = ["Clause Analyst", "Precedent Researcher"] * 4
MUTUAL_TOOLS = ["clause_analyst", "precedent_researcher"] * 4


def test_two_agents_calling_each_other_nest_past_the_limit_from_the_call_that_closed_the_loop() -> None:
    c = run(*_nested(MUTUAL, MUTUAL_TOOLS))
    f = one(c, "delegation_depth")
    # a1 Clause Analyst -> f2 precedent_researcher -> a2 Precedent Researcher -> f3 clause_analyst
    # -> a3 Clause Analyst, inside a1's run: f3 closed the loop.
    assert f["decisive_span_id"] == "f3"
    assert f["evidence_span_ids"][0] == "f3"
    assert "Clause Analyst was started again inside its own run" in f["explanation"]
    assert "agents nested 9 deep" in f["explanation"]


def test_each_nested_run_asked_once_so_no_agent_repeated_its_action() -> None:
    # Clause Analyst called precedent_researcher four times with the same input, one call in each
    # of four runs of it: each run saw only its own input.
    assert "repeated_action" not in detectors(run(*_nested(MUTUAL, MUTUAL_TOOLS)))


def test_near_miss_a_deep_chain_of_different_agents_keeps_the_first_past_the_limit() -> None:
    chain = [f"Agent {k}" for k in "BCDEFGH"]
    f = one(run(*_nested(chain, [f"agent_{k.lower()}" for k in "bcdefgh"])), "delegation_depth")
    # Seven sub-agents under the orchestrator: depth 8; the sixth level (a5) is the first past 5.
    assert f["decisive_span_id"] == "a5"
    assert "loop between agents" not in f["explanation"]


def _repeats_inside_one_run() -> list[dict[str, Any]]:
    # One run of the sub-agent (called once as a tool) that searched three times for the same thing.
    rows = [
        span("a0", 0, 60, kind="agent", name="Risk Orchestrator", agent="Risk Orchestrator"),
        span("f1", 1, 50, parent_id="a0", kind="tool", tool="precedent_researcher", agent="Risk Orchestrator",
             input=ASK, output=ANSWER),
        span("a1", 1.1, 49, parent_id="f1", kind="agent", name="Precedent Researcher", agent="Precedent Researcher"),
    ]  # fmt: skip
    for i in range(3):
        t = 2 + 5 * i
        rows.append(span(f"g{i}", t, t + 1, parent_id="a1", kind="llm", model="gpt-4.1", agent="Precedent Researcher",
                         output="search again"))  # fmt: skip
        rows.append(span(f"s{i}", t + 1.5, t + 2, parent_id="a1", kind="tool", tool="search_cases", agent="Precedent Researcher",
                         input='{"q": "uncapped IP indemnity"}', output='{"cases": []}'))  # fmt: skip
    return rows


def test_near_miss_a_sub_agent_that_loops_within_one_of_its_runs_still_repeats() -> None:
    f = one(run(*_repeats_inside_one_run()), "repeated_action")
    assert "search_cases 3 times" in f["explanation"]
