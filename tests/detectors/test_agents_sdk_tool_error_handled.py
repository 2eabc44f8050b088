"""OpenAI Agents SDK: a function tool's exception handed to the model (failure_error_function).

``@function_tool`` catches the tool's exception, answers the model with ``failure_error_function``'s
text (by default ``default_tool_error_function``: "An error occurred while running the tool. Please
try again. Error: ...") and marks the function span ``SpanError(message="Error running tool
(non-fatal)", data={"tool_name", "error"})`` (openai/openai-agents-python src/agents/tool.py). The
traces below are the SDK's native trace export (``trace`` and ``trace.span`` objects).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from agents_sdk_trace import sdk_generation, sdk_span

import forensics

TRACE = "trace_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
ASK = "What's the weather in San Francisco?"
HANDED_BACK = (
    "An error occurred while running the tool. Please try again. Error: weather upstream answered 503"
)


def _span(
    sid: str,
    parent: str | None,
    start: float,
    end: float,
    data: dict[str, Any],
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return sdk_span(TRACE, sid, parent, start, end, data, error)


def _generation(sid: str, start: float, end: float, output: list[dict[str, Any]]) -> dict[str, Any]:
    return sdk_generation(TRACE, sid, start, end, ASK, output)


def _call(cid: str, city: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "function_call",
            "call_id": cid,
            "name": "get_weather",
            "arguments": json.dumps({"city": city}),
        }
    ]


def _function(sid: str, start: float, end: float, city: str, output: str, *, failed: bool) -> dict[str, Any]:
    data = {
        "type": "function",
        "name": "get_weather",
        "input": json.dumps({"city": city}),
        "output": output,
        "mcp_data": None,
    }
    error = {
        "message": "Error running tool (non-fatal)",
        "data": {"tool_name": "get_weather", "error": "weather upstream answered 503"},
    }
    return _span(sid, "a1", start, end, data, error if failed else None)


def _trace(answer: str, tmp_path: Path, *, retried: bool = False) -> set[str]:
    spans = [
        _span(
            "a1",
            None,
            0,
            9,
            {
                "type": "agent",
                "name": "Assistant",
                "handoffs": [],
                "tools": ["get_weather"],
                "output_type": "str",
            },
        ),
        _generation("g1", 0.1, 1, _call("c1", "SF")),
        _function("f1", 1.1, 1.5, "SF", HANDED_BACK, failed=True),
    ]
    if retried:
        spans += [_generation("g2", 2, 3, _call("c2", "San Francisco")),
                  _function("f2", 3.1, 3.5, "San Francisco", '{"temp_c": 18, "sky": "sunny"}', failed=False)]  # fmt: skip
    spans.append(
        _generation(
            "g3",
            4,
            5,
            [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": answer}]}],
        )
    )
    path = tmp_path / "agents_trace.json"
    path.write_text(json.dumps({"traces": [{"object": "trace", "id": TRACE, "workflow_name": "Weather", "group_id": None,
                                            "metadata": None}], "spans": spans}))  # fmt: skip
    found = pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))
    return set(found.get_column("detector").to_list()) if found.height else set()


def test_a_non_fatal_tool_error_the_model_told_the_user_about_is_clean(tmp_path: Path) -> None:
    answer = (
        "The weather service hit an internal error just now, so I don't have San Francisco's forecast yet."
    )
    assert _trace(answer, tmp_path) == set()


def test_a_non_fatal_tool_error_the_model_retried_with_fixed_arguments_is_clean(tmp_path: Path) -> None:
    assert _trace("It's 18°C and sunny in San Francisco.", tmp_path, retried=True) == set()


def test_near_miss_a_non_fatal_tool_error_the_model_answered_over_is_swallowed(tmp_path: Path) -> None:
    found = _trace("It's 18°C and sunny in San Francisco.", tmp_path)
    assert "swallowed_error" in found and "unhandled_error" not in found
