"""LangGraph ToolNode with a custom ``handle_tool_errors``: the error handed back is any text.

Whatever ``handle_tool_errors`` is (True: the "Please fix your mistakes." templates; a string; a
callable's result), ToolNode catches the tool's exception and answers the model with
``ToolMessage(content=<that text>, status="error")`` (langchain-ai/langgraph
libs/prebuilt/langgraph/prebuilt/tool_node.py, ``_execute_tool_sync`` / ``_execute_tool_async``:
"Error is handled - create error ToolMessage"). LangSmith records the tool's run with the exception
(on_tool_error) and the ``tools`` node's run with that message in its outputs. The runs below are
LangSmith exports (nested ``child_runs``) of a ``create_react_agent`` graph.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

ASK = "What's the weather in San Francisco?"
HANDED_BACK = "Weather lookup failed; tell the user to try again later."


def _run(
    rid: str,
    name: str,
    run_type: str,
    start: int,
    end: int,
    *,
    parent: str | None,
    children: list[dict[str, Any]] | None = None,
    inputs: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    return {
        "id": rid,
        "name": name,
        "run_type": run_type,
        "trace_id": "t-1",
        "parent_run_id": parent,
        "start_time": f"2026-11-20T10:00:{start:02d}.000000",
        "end_time": f"2026-11-20T10:00:{end:02d}.000000",
        "dotted_order": "",
        "status": "error" if error else "success",
        "error": error,
        "inputs": inputs or {},
        "outputs": outputs,
        "child_runs": children or [],
    }


def _ai(content: str, calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    message = {
        "lc": 1,
        "type": "constructor",
        "id": ["langchain", "schema", "messages", "AIMessage"],
        "kwargs": {"content": content, "type": "ai", "tool_calls": calls or []},
    }
    return {"generations": [[{"text": content, "type": "ChatGeneration", "message": message}]]}


def _export(answer: str, tmp_path: Path) -> Path:
    call = {"name": "get_weather", "args": {"city": "San Francisco"}, "id": "call_1", "type": "tool_call"}
    tool_message = {
        "lc": 1,
        "type": "constructor",
        "id": ["langchain", "schema", "messages", "ToolMessage"],
        "kwargs": {
            "content": HANDED_BACK,
            "type": "tool",
            "name": "get_weather",
            "tool_call_id": "call_1",
            "status": "error",
        },
    }
    root = _run(
        "r0",
        "LangGraph",
        "chain",
        0,
        9,
        parent=None,
        inputs={"messages": [{"role": "user", "content": ASK}]},
        outputs={"messages": [{"role": "user", "content": ASK}, {"role": "assistant", "content": answer}]},
        children=[
            _run(
                "a1",
                "agent",
                "chain",
                1,
                3,
                parent="r0",
                outputs={},
                children=[_run("m1", "ChatOpenAI", "llm", 1, 3, parent="a1", outputs=_ai("", [call]))],
            ),
            _run(
                "n1",
                "tools",
                "chain",
                3,
                5,
                parent="r0",
                outputs={"messages": [tool_message]},
                children=[
                    _run(
                        "w1",
                        "get_weather",
                        "tool",
                        3,
                        4,
                        parent="n1",
                        inputs={"input": "{'city': 'San Francisco'}"},
                        error="ValueError('weather upstream answered 503')\n\nTraceback (most recent call last):\nValueError: weather upstream answered 503",
                    )
                ],
            ),
            _run(
                "a2",
                "agent",
                "chain",
                5,
                8,
                parent="r0",
                outputs={},
                children=[_run("m2", "ChatOpenAI", "llm", 5, 8, parent="a2", outputs=_ai(answer))],
            ),
        ],
    )
    path = tmp_path / "langsmith_export.json"
    path.write_text(json.dumps([root]))
    return path


def _classified(answer: str, tmp_path: Path) -> tuple[pl.DataFrame, set[str]]:
    loaded = forensics.load(_export(answer, tmp_path))
    spans = pl.DataFrame(pl.from_arrow(loaded.spans))
    found = pl.DataFrame(pl.from_arrow(forensics.classify(loaded.spans).findings))
    return spans, set(found.get_column("detector").to_list()) if found.height else set()


def test_a_custom_handled_tool_error_is_handed_back_and_an_honest_answer_is_clean(tmp_path: Path) -> None:
    # Healthy: the model read the handed-back error and told the user the lookup had trouble.
    _, found = _classified(
        "Sorry, the weather service is having technical problems right now; please ask again later.", tmp_path
    )
    assert found == set()


def test_a_custom_handled_tool_error_the_model_ignored_is_swallowed(tmp_path: Path) -> None:
    # Near miss: the same handed-back error, and the model answered as if the lookup had worked.
    _, found = _classified("It's 18°C and sunny in San Francisco.", tmp_path)
    assert "swallowed_error" in found
    assert "unhandled_error" not in found
