"""An answer that quotes the user's own work is no claim of the agent's: "Based on the web search you ran".

A smolagents manager lists its team on the run span (openinference-instrumentation-smolagents
_wrappers.py ``_smolagent_run_attributes``: smolagents.managed_agents.<i>.name / .description) and
answers through ``final_answer``; the user pasted the results of a web search they ran themselves,
and the manager, never calling its search member, answered "Based on the web search you ran, ...".
The claim rule of claim_delegates (an answer relying on a never-run member's work) read "Based on
the web search" as the manager's own. Relying on the work the agent asked for stays a claim.
"""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, one, run, span

ODR = ("A team member that will search the internet to answer your question.\n"
       "Ask him for all your questions that require browsing the web.")  # fmt: skip


def _manager(answer: str) -> list[dict[str, object]]:
    roster = json.dumps({
        "openinference.span.kind": "AGENT", "smolagents.max_steps": "20", "smolagents.tools_names": '["final_answer"]',
        "smolagents.managed_agents.0.name": "web_agent", "smolagents.managed_agents.0.description": ODR,
    })  # fmt: skip
    return [
        span("run", 0, 10, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", output=answer, attributes=roster),
        span("s1", 0.1, 9, parent_id="run", kind="chain", name="Step 1", agent="CodeAgent.run"),
        span("g1", 0.2, 2, parent_id="s1", kind="llm", model="o3-mini", agent="CodeAgent.run",
             output="Thought: the user gave me the figures.\nCode:\n```py\nfinal_answer(...)\n```"),
        span("fa", 8, parent_id="s1", kind="tool", tool="final_answer", agent="CodeAgent.run",
             input='{"answer": "..."}', output=answer),
    ]  # fmt: skip


@pytest.mark.parametrize("answer", [
    "Based on the web search you ran, Contoso's 2023 revenue was $4.2B.",
    "According to the research you shared, Contoso's 2023 revenue was $4.2B.",
    "Based on the search results that you've pasted, Contoso's 2023 revenue was $4.2B.",
])  # fmt: skip
def test_near_miss_the_users_own_work_quoted(answer: str) -> None:
    assert "claimed_but_not_done" not in detectors(run(*_manager(answer)))


@pytest.mark.parametrize("answer", [
    "Based on the web search you asked for, Contoso's 2023 revenue was $4.2B.",
    "Based on the web search, Contoso's 2023 revenue was $4.2B, as you suspected.",
])  # fmt: skip
def test_the_work_the_user_asked_for_is_still_the_agents_claim(answer: str) -> None:
    assert one(run(*_manager(answer)), "claimed_but_not_done")["run_id"] == "r1"
