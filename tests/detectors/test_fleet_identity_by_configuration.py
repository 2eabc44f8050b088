"""Fleet budgets compare a smolagents run with runs of the same configured agent, not its class.

openinference-instrumentation-smolagents names every run span after the agent's class
(Arize-ai/openinference ``python/instrumentation/openinference-instrumentation-smolagents/src/
openinference/instrumentation/smolagents/_wrappers.py`` ``_RunWrapper``:
``f"{instance.__class__.__name__}.run"``), so every CodeAgent of the night shares the name
``CodeAgent.run``. The same span records the agent's configuration (``_smolagent_run_attributes``:
``smolagents.tools_names`` = ``list(agent.tools.keys())``, ``smolagents.managed_agents.<i>.name``):
that, with the class, is which agent ran. A long healthy research run was judged against a night of
short data-cleaning CodeAgent runs (5x their median) and flagged; it is compared only with runs of
an agent with its own tools and managed agents.
"""

from __future__ import annotations

import json

from span_builder import concat, detectors, findings, span, spans

from forensics.classify import classify

CLEANER = ["read_csv", "drop_duplicates", "write_csv", "final_answer"]
RESEARCHER = ["web_search", "visit_page", "final_answer"]


def _smol_run(run_id: str, tokens: list[int], tools: list[str], task: str, managed: tuple[str, ...] = ()):
    attrs = {"openinference.span.kind": "AGENT", "smolagents.task": task, "smolagents.max_steps": 20,
             "smolagents.tools_names": tools}
    for i, name in enumerate(managed):
        attrs[f"smolagents.managed_agents.{i}.name"] = name
    rows = [span("root", 0, 100, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", input=json.dumps({"task": task}),
                 output="done", attributes=json.dumps(attrs))]
    for i, t in enumerate(tokens):
        rows.append(span(f"a{i}", 1 + i, 1.5 + i, parent_id="root", kind="llm", model="gpt-4.1",
                         name="LiteLLMModel.generate", input_tokens=t, output_tokens=1000, output="Thought: ..."))
    return spans(*rows, run_id=run_id)


def _night() -> list:
    # Five data-cleaning runs, 30k-40k tokens each, each on its own file.
    return [_smol_run(f"c{i}", [t - 1_000], CLEANER, f"clean sales_{i}.csv")
            for i, t in enumerate([30_000, 32_000, 34_000, 36_000, 40_000])]


def test_near_miss_a_long_run_of_another_agent_of_the_same_class() -> None:
    # A research CodeAgent's 380k-token run: 11x the cleaners' median, but it is no cleaner.
    c = classify(concat(*_night(), _smol_run("research", [190_000, 189_000], RESEARCHER, "Who won the 1987 Tour?")))
    assert "budget_exceeded" not in detectors(c)
    # Nor is one that manages other agents with the cleaners' tools.
    c = classify(concat(*_night(), _smol_run("lead", [190_000, 189_000], CLEANER, "clean x.csv", managed=("auditor",))))
    assert "budget_exceeded" not in detectors(c)


def test_a_long_run_of_the_same_configured_agent_fires() -> None:
    c = classify(concat(*_night(), _smol_run("burn", [190_000, 189_000], CLEANER, "clean sales_9.csv")))
    (f,) = findings(c, "budget_exceeded")
    assert f["run_id"] == "burn" and f["decisive_span_id"] == "a0"
    assert "5 comparable run(s) of agent CodeAgent.run (tools" in f["explanation"]
