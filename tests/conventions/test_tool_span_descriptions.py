"""A tool span's own description, as OpenInference records an OpenAI Agents SDK function tool.

``FunctionSpanData`` carries only a tool's name, input and output (openai-agents-python
src/agents/tracing/span_data.py; AgentSpanData's ``tools`` are names, ``ResponseSpanData.export()``
only the response id), so the SDK's own trace export has no description at all. The OpenInference
instrumentation reads the live ``FunctionTool`` of each tool run and writes ``tool.description`` on
its function span (openinference-instrumentation-openai-agents _tool_schemas.py,
schemas_from_tool_runs), which is how an agent used as a tool, ``as_tool(tool_name="translate_to_spanish",
tool_description="Translate the user's message to Spanish")`` (src/agents/agent.py), tells what it was
described to do. Those descriptions were never read; they are runs.tool_descriptions now. Near
miss: a tool span with no description adds none, and a model span's text is no tool's.
"""

from __future__ import annotations

import json

import polars as pl
from span_builder import span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

DESCRIBED = "Translate the user's message to Spanish"


def _descriptions(*rows: dict[str, object]) -> list[dict[str, str]]:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    found = ctx.runs.get_column("tool_descriptions").to_list()[0]
    return found or []


def test_a_function_spans_tool_description_is_the_tools() -> None:
    rows = [
        span("run", 0, 10, kind="agent", name="Orchestrator", agent="Orchestrator"),
        span("g", 1, 3, parent_id="run", kind="llm", model="gpt-4.1", agent="Orchestrator"),
        span("t", 3, 8, parent_id="run", kind="tool", tool="translate_to_spanish", agent="Orchestrator",
             input='{"input": "Good morning"}', output="Buenos días",
             attributes=json.dumps({"tool.description": DESCRIBED,
                                    "tool.parameters": '{"type": "object", "properties": {"input": {"type": "string"}}}'})),
    ]
    assert _descriptions(*rows) == [{"name": "translate_to_spanish", "description": DESCRIBED}]


def test_near_miss_no_description_recorded_adds_none() -> None:
    rows = [
        span("run", 0, 10, kind="agent", name="Orchestrator", agent="Orchestrator"),
        span("g", 1, 3, parent_id="run", kind="llm", model="gpt-4.1", agent="Orchestrator",
             attributes=json.dumps({"tool.description": "not a tool span"})),
        span("t", 3, 8, parent_id="run", kind="tool", tool="translate_to_spanish", agent="Orchestrator"),
    ]
    assert _descriptions(*rows) == []
