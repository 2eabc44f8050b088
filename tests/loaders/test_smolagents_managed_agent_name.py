"""A smolagents managed agent's run is that agent, by the name its manager gave it, not ``<Class>.run``.

huggingface/smolagents ``src/smolagents/agents.py`` (``MultiStepAgent.__call__`` wraps the manager's
request in the ``managed_agent.task`` template of ``src/smolagents/prompts/code_agent.yaml``: "You're a
helpful agent named '{{name}}'. You have been submitted this task by your manager." and calls
``self.run(full_task)``); Arize-ai/openinference ``python/instrumentation/
openinference-instrumentation-smolagents/src/openinference/instrumentation/smolagents/_wrappers.py``
(``_RunWrapper``: span name ``f"{instance.__class__.__name__}.run"``, ``input.value`` the bound
arguments, task included; ``_smolagent_run_attributes``: the manager's ``smolagents.managed_agents.<i>.name``).
A CodeAgent managing a CodeAgent wrote two ``CodeAgent.run`` agents; the sub-run and everything
under it now belong to the managed agent's name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import smol_span

import forensics

_TRACE = "5ce5b70eaae9384e25e0d2f42605c2aa"
_TASK = ("You're a helpful agent named 'search_agent'.\nYou have been submitted this task by your manager.\n---\n"
         "Task:\nFind which municipality the Geirangerfjord lies in.\n---\n")


def _span(span_id: str, parent: str, name: str, second: int, attrs: dict[str, Any], children: list[Any]) -> dict[str, Any]:
    return smol_span(_TRACE, span_id, parent, name, second, attrs, children, service="deep-research")


def _agents(tmp_path: Path, sub_task: str) -> dict[str, str]:
    tool = _span("d000000000000004", "c000000000000003", "SearchInformationTool", 3, {
        "openinference.span.kind": "TOOL", "tool.name": "web_search", "input.value": '{"query": "Geirangerfjord"}',
        "output.value": "in Stranda Municipality"}, [])
    sub_step = _span("c000000000000003", "b000000000000002", "Step 1", 2,
                     {"openinference.span.kind": "CHAIN", "output.value": "Stranda"}, [tool])
    sub = _span("b000000000000002", "a100000000000001", "CodeAgent.run", 2, {
        "openinference.span.kind": "AGENT", "input.value": json.dumps({"task": sub_task, "stream": False}),
        "smolagents.task": sub_task, "smolagents.tools_names": ["web_search", "final_answer"], "output.value": "Stranda",
    }, [sub_step])
    step = _span("a100000000000001", "a000000000000001", "Step 1", 1,
                 {"openinference.span.kind": "CHAIN", "output.value": "Stranda"}, [sub])
    root = _span("a000000000000001", "", "CodeAgent.run", 0, {
        "openinference.span.kind": "AGENT", "input.value": json.dumps({"task": "Where is the Geirangerfjord?"}),
        "smolagents.task": "Where is the Geirangerfjord?", "smolagents.managed_agents.0.name": "search_agent",
        "output.value": "Stranda",
    }, [step])
    path = tmp_path / "smol_managed.json"
    path.write_text(json.dumps({"trace_id": _TRACE, "spans": [root]}))
    loaded = forensics.load(path)
    assert loaded.spans.num_rows == 5 and loaded.quarantine.num_rows == 0
    table = pl.DataFrame(pl.from_arrow(loaded.spans))
    return dict(zip(table["span_id"], table["agent"], strict=True))


def test_the_managed_run_and_its_work_are_the_managed_agent(tmp_path: Path) -> None:
    agents = _agents(tmp_path, _TASK)
    assert agents["a000000000000001"] == agents["a100000000000001"] == "CodeAgent.run"  # the manager
    assert agents["b000000000000002"] == agents["c000000000000003"] == agents["d000000000000004"] == "search_agent"


def test_near_miss_a_nested_run_without_the_template_keeps_its_class_name(tmp_path: Path) -> None:
    # A CodeAgent run called from the manager's code with a plain task (not as a managed agent).
    agents = _agents(tmp_path, "Find which municipality the Geirangerfjord lies in.")
    assert set(agents.values()) == {"CodeAgent.run"}
