"""smolagents' UserInputTool is a question put to a person: its span is a human span, not a tool.

huggingface/smolagents ``src/smolagents/default_tools.py``: ``class UserInputTool(Tool)``, ``name =
"user_input"``, "Asks for user's input on a specific question", ``forward`` returns
``input(f"{question} => ...")``. Arize-ai/openinference
``python/instrumentation/openinference-instrumentation-smolagents/src/openinference/instrumentation/
smolagents/_wrappers.py`` (``_ToolCallWrapper``, ``_tools``) writes every tool call, this one too, as a
TOOL span named by the class with ``tool.name``, ``input.value`` (the bound arguments) and
``output.value`` (the answer typed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import smol_span

import forensics

_TRACE = "7d3e5b1c9a2f4e6d8b0c1a2e3f4d5c6b"


def _span(span_id: str, parent: str, name: str, second: int, attrs: dict[str, Any], children: list[Any]) -> dict[str, Any]:
    return smol_span(_TRACE, span_id, parent, name, second, attrs, children, service="ops-bot")


def _tool(span_id: str, second: int, cls: str, name: str, description: str, kwargs: dict[str, Any], output: str) -> dict[str, Any]:
    return _span(span_id, "b000000000000002", cls, second, {
        "openinference.span.kind": "TOOL",
        "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": False, "kwargs": kwargs}),
        "tool.name": name, "tool.description": description,
        "tool.parameters": json.dumps({k: {"type": "string", "description": k} for k in kwargs}),
        "output.value": output, "output.mime_type": "text/plain",
    }, [])


def _load(tmp_path: Path, first_tool: dict[str, Any]) -> pl.DataFrame:
    step = _span("b000000000000002", "a000000000000001", "Step 1", 1,
                 {"openinference.span.kind": "CHAIN", "output.value": "done"}, [first_tool])
    root = _span("a000000000000001", "", "CodeAgent.run", 0, {
        "openinference.span.kind": "AGENT", "smolagents.task": "Clean up the staging bucket",
        "smolagents.tools_names": ["user_input", "web_search", "final_answer"], "output.value": "done",
    }, [step])
    path = tmp_path / "smol_user_input.json"
    path.write_text(json.dumps({"trace_id": _TRACE, "spans": [root]}))
    loaded = forensics.load(path)
    assert loaded.spans.num_rows == 3 and loaded.quarantine.num_rows == 0
    return pl.DataFrame(pl.from_arrow(loaded.spans))


def test_user_input_is_a_human_span(tmp_path: Path) -> None:
    asked = _tool("c000000000000003", 2, "UserInputTool", "user_input", "Asks for user's input on a specific question",
                  {"question": "Delete the 14 objects in staging-tmp?"}, "yes, delete them")
    row = _load(tmp_path, asked).filter(pl.col("span_id") == "c000000000000003").to_dicts()[0]
    assert (row["kind"], row["output"]) == ("human", "yes, delete them")


def test_near_miss_another_tool_stays_a_tool(tmp_path: Path) -> None:
    search = _tool("c000000000000003", 2, "DuckDuckGoSearchTool", "web_search", "Performs a duckduckgo web search",
                   {"query": "staging bucket retention"}, "## Search Results")
    row = _load(tmp_path, search).filter(pl.col("span_id") == "c000000000000003").to_dicts()[0]
    assert (row["kind"], row["tool"]) == ("tool", "web_search")
