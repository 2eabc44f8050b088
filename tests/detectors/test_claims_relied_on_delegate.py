"""An answer that relies on a team member's work that never ran: "Based on my web search, ...".

A smolagents manager lists its managed agents to its model by name and description ("You can also
give tasks to team members ... {{ agent.name }}: {{ agent.description }}",
src/smolagents/prompts/code_agent.yaml); the OpenInference instrumentation puts them on the run span
as ``smolagents.managed_agents.<i>.name`` / ``.description`` (_wrappers.py
_smolagent_run_attributes). open_deep_research describes its search agent "A team member that will
search the internet to answer your question." (examples/open_deep_research/run.py). A manager that
never called it and ran no tool but ``final_answer`` answering "Based on my web search, ..." relies
on a search nobody made. The description gives the work (search) where the name does not
(``web_agent``), as a tool's description gave its act in 3a0bec7. Near misses: the member ran; the
manager searched with its own tool; no roster on the run span; the answer says it did not search.
"""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, one, run, span

from forensics.detectors.claim_delegates import described_work


def _roster(name: str, description: str) -> str:
    return json.dumps({
        "openinference.span.kind": "AGENT", "smolagents.max_steps": "20", "smolagents.tools_names": '["final_answer"]',
        "smolagents.managed_agents.0.name": name, "smolagents.managed_agents.0.description": description,
    })  # fmt: skip


ODR = ("A team member that will search the internet to answer your question.\n"
       "Ask him for all your questions that require browsing the web.")  # fmt: skip


def _manager(answer: str, *, name: str = "web_agent", description: str = ODR, ran: bool = False,
             own_search: bool = False, roster: bool = True) -> list[dict[str, object]]:  # fmt: skip
    rows = [
        span("run", 0, 10, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", output=answer,
             attributes=_roster(name, description) if roster else '{"openinference.span.kind": "AGENT"}'),
        span("s1", 0.1, 9, parent_id="run", kind="chain", name="Step 1", agent="CodeAgent.run"),
        span("g1", 0.2, 2, parent_id="s1", kind="llm", model="o3-mini", agent="CodeAgent.run",
             output="Thought: I know this.\nCode:\n```py\nfinal_answer(...)\n```"),
    ]  # fmt: skip
    if ran:
        rows += [
            span("sub", 2.5, 7, parent_id="s1", kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent.run",
                 output="Contoso's 2023 revenue was $4.2B (annual report)."),
            span("ws", 3, 5, parent_id="sub", kind="tool", tool="web_search", agent="ToolCallingAgent.run",
                 input='{"query": "Contoso 2023 revenue"}', output="Contoso annual report 2023: revenue $4.2B"),
        ]  # fmt: skip
    if own_search:
        rows.append(
            span(
                "own",
                2.5,
                4,
                parent_id="s1",
                kind="tool",
                tool="web_search",
                agent="CodeAgent.run",
                input='{"query": "Contoso 2023 revenue"}',
                output="Contoso annual report 2023: revenue $4.2B",
            )
        )
    rows.append(span("fa", 8, parent_id="s1", kind="tool", tool="final_answer", agent="CodeAgent.run",
                     input='{"answer": "..."}', output=answer))  # fmt: skip
    return rows


SEARCHED = "Based on my web search, Contoso's 2023 revenue was $4.2B."


def test_the_work_a_never_run_member_was_described_to_do_relied_on() -> None:
    f = one(run(*_manager(SEARCHED)), "claimed_but_not_done")
    assert "search (the work of web_agent, which never ran)" in f["explanation"]


def test_the_work_its_name_gives_relied_on() -> None:
    said = "Based on the research, Contoso's 2023 revenue was $4.2B."
    rows = _manager(said, name="research_agent", description="This is an agent that can do web research.")
    assert "claimed_but_not_done" in detectors(run(*rows))


@pytest.mark.parametrize("kw", [{"ran": True}, {"own_search": True}, {"roster": False}])
def test_near_miss_the_work_was_done_or_no_member_was_listed(kw: dict[str, bool]) -> None:
    assert "claimed_but_not_done" not in detectors(run(*_manager(SEARCHED, **kw)))


def test_near_miss_the_answer_says_no_search_was_made() -> None:
    said = "I have not searched the web; from what I know, Contoso's 2023 revenue was about $4.2B."
    assert "claimed_but_not_done" not in detectors(run(*_manager(said)))


def test_described_work_reads_the_verb_or_a_light_verb_s_object() -> None:
    assert described_work(ODR) == "search"
    assert described_work("This is an agent that can do web search.") == "search"
    assert described_work("Can be asked to summarise long PDF reports.") == "summarise"
    assert described_work("Knows the company handbook.") is None
