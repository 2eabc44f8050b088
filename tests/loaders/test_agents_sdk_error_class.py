"""openai-agents: the class a failed tool's ``SpanError.data.error`` names at its start is its error_type.

The Agents SDK writes a failed tool's error as ``SpanError(message="Error running tool (non-fatal)",
data={"tool_name", "error"})``. The TypeScript SDK fills ``error`` with ``error.toString()``
(openai/openai-agents-js packages/agents-core/src/tool.ts), JavaScript's ``"<ErrorClass>: <message>"``;
the Python SDK with ``str(e)`` (openai/openai-agents-python src/agents/tool.py function_tool), which
names no class unless the exception's text does. ``data.type`` (a guardrail's ``input_guardrail``)
stays first. Near misses: openai-python's ``"Error code: 429 - ..."`` (a status, no class) and a
max-turns error whose data is ``{"max_turns": n}`` (src/agents/run.py) give no error_type.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

TRACE = "trace_0123456789abcdef0123456789abcdef"


def _error_type(tmp_path: Path, error: dict[str, Any]) -> str | None:
    records = [
        {"object": "trace", "id": TRACE, "workflow_name": "Agent workflow", "group_id": None, "metadata": None},
        {"object": "trace.span", "id": "span_aaaaaaaaaaaaaaaaaaaaaa01", "trace_id": TRACE, "parent_id": None,
         "started_at": "2025-11-03T09:41:50.000000+00:00", "ended_at": "2025-11-03T09:42:10.000000+00:00",
         "span_data": {"type": "agent", "name": "Billing agent", "handoffs": [], "tools": ["get_bill"], "output_type": "str"},
         "error": None},
        {"object": "trace.span", "id": "span_aaaaaaaaaaaaaaaaaaaaaa02", "trace_id": TRACE,
         "parent_id": "span_aaaaaaaaaaaaaaaaaaaaaa01", "started_at": "2025-11-03T09:41:56.000000+00:00",
         "ended_at": "2025-11-03T09:41:57.000000+00:00",
         "span_data": {"type": "function", "name": "get_bill", "input": "{\"id\": 20931}", "output": None, "mcp_data": None},
         "error": error},
    ]
    path = tmp_path / "trace.agents.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    rows = {r["span_id"]: r for r in forensics.load(path).spans.to_pylist()}
    row = rows["span_aaaaaaaaaaaaaaaaaaaaaa02"]
    assert row["status"] == "error"
    return row["error_type"]


def test_a_typescript_error_string_names_its_class(tmp_path: Path) -> None:
    error = {"message": "Error running tool (non-fatal)",
             "data": {"tool_name": "get_bill", "error": "TypeError: fetch failed"}}
    assert _error_type(tmp_path, error) == "TypeError"


def test_a_dotted_class_and_a_bare_class_name(tmp_path: Path) -> None:
    dotted = {"message": "Error running tool", "data": {"tool_name": "get_bill", "error": "httpx.ConnectError: refused"}}
    assert _error_type(tmp_path, dotted) == "httpx.ConnectError"
    bare = {"message": "Error getting response", "data": {"error": "APIConnectionError"}}
    assert _error_type(tmp_path, bare) == "APIConnectionError"


def test_data_type_stays_first(tmp_path: Path) -> None:
    error = {"message": "Guardrail tripwire triggered", "data": {"guardrail": "pii", "type": "input_guardrail",
                                                                "error": "TypeError: x"}}
    assert _error_type(tmp_path, error) == "input_guardrail"


def test_near_miss_a_status_text_and_max_turns_name_no_class(tmp_path: Path) -> None:
    status = {"message": "Error running tool (non-fatal)",
              "data": {"tool_name": "get_bill", "error": "Error code: 429 - {'error': {'type': 'rate_limit_exceeded'}}"}}
    assert _error_type(tmp_path, status) is None
    turns = {"message": "Max turns exceeded", "data": {"max_turns": 6}}
    assert _error_type(tmp_path, turns) is None
