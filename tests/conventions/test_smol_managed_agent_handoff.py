"""smolagents' managed-agent delegation is read as a handoff (conventions/delegation.py).

smolagents writes no handoff span. A manager's model calls a tool named after its team member;
``ToolCallingAgent.execute_tool_call`` (huggingface/smolagents src/smolagents/agents.py) finds the
name in ``self.managed_agents`` and calls the agent itself (``tool(**arguments)``, no
``sanitize_inputs_outputs``), i.e. ``MultiStepAgent.__call__``, which wraps the task in the
``managed_agent.task`` template ("You're a helpful agent named '<name>'. You have been submitted this
task by your manager. ...") and runs ``self.run(full_task)``. A managed agent is no ``Tool``, so the
OpenInference instrumentation (openinference-instrumentation-smolagents ``_wrappers.py``) writes no
TOOL span for the call: only ``_RunWrapper``'s AGENT span ``<AgentClass>.run`` of the managed agent,
nested in the manager's ``Step N`` span beside the model call that asked for it.
"""

from __future__ import annotations

import json

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.preparation import prepare
from forensics.policy import load_policy

SMOL = {"source_format": "otel-clickhouse"}
TASK = (
    "You're a helpful agent named 'search_agent'.\nYou have been submitted this task by your manager.\n"
    "---\nTask:\nFind the ship of the 1911 South Pole expedition.\n---\n"
)


def _delegated(work_under_it: bool = True) -> list[dict]:
    rows = [
        span("r", 0, 30, kind="agent", name="ToolCallingAgent.run", input=json.dumps({"task": "Which ship?"}),
             output="The Fram.", **SMOL),
        span("s1", 1, 25, parent_id="r", kind="chain", name="Step 1", **SMOL),
        span("m1", 1.1, 2, parent_id="s1", kind="llm", name="OpenAIServerModel.generate", model="gpt-4o",
             output=json.dumps({"tool_calls": [{"function": {"name": "search_agent",
                                                               "arguments": {"task": "Find the ship"}}}]}), **SMOL),
        span("d", 2.1, 24, parent_id="s1", kind="agent", name="ToolCallingAgent.run",
             input=json.dumps({"task": TASK}), output="The Fram.", **SMOL),
    ]
    if work_under_it:
        rows += [
            span("ds1", 2.2, 23, parent_id="d", kind="chain", name="Step 1", **SMOL),
            span("dm1", 2.3, 4, parent_id="ds1", kind="llm", name="OpenAIServerModel.generate", model="gpt-4o", **SMOL),
            span("dt1", 4.1, 5, parent_id="ds1", kind="tool", name="DuckDuckGoSearchTool", tool="web_search",
                 output="Amundsen sailed south on the Fram.", **SMOL),
        ]
    rows += [
        span("s2", 25.1, 29, parent_id="r", kind="chain", name="Step 2", **SMOL),
        span("f", 26, 27, parent_id="s2", kind="tool", name="FinalAnswerTool", tool="final_answer",
             output="The Fram.", **SMOL),
    ]
    return rows


def test_the_managed_agent_run_span_is_a_handoff_to_its_name() -> None:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*_delegated()))), load_policy())
    marked = ctx.spans.filter(pl.col("handoff_target").is_not_null()).select("span_id", "handoff_target", "target_norm")
    assert marked.to_dicts() == [{"span_id": "d", "handoff_target": "search_agent", "target_norm": "searchagent"}]


def test_near_miss_the_delegate_at_work_under_it_took_the_handoff() -> None:
    found = detectors(run(*_delegated()))
    assert "dangling_handoff" not in found and "ownership_gap" not in found


def test_near_miss_an_agent_run_without_the_managed_task_is_no_handoff() -> None:
    rows = [r for r in _delegated() if r["span_id"] != "d"]
    rows.append(span("d", 2.1, 24, parent_id="s1", kind="agent", name="ToolCallingAgent.run",
                     input=json.dumps({"task": "Find the ship"}), output="The Fram.", **SMOL))
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), load_policy())
    assert ctx.spans.get_column("handoff_target").drop_nulls().to_list() == []
