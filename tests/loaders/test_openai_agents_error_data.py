"""openai-agents: the failure a ``SpanError`` wraps reaches the error text the rules read.

The SDK's span error messages name where it failed, not what failed: ``"Error getting
response"`` with ``data={"error": str(e)}`` on the model call (openai-agents-python
src/agents/models/openai_responses.py), ``"Error running tool (non-fatal)"`` with
``data={"tool_name", "error": str(e)}`` on a function span (src/agents/tool.py function_tool). A
model call refused for its context window says so only in ``data.error`` (the OpenAI client's
``Error code: 400 - {... 'code': 'context_length_exceeded'}``): read from the message alone, the
run's context overflow was invisible.
"""

from __future__ import annotations

import json
from pathlib import Path

from span_builder import detectors

import forensics
from forensics.classify import classify

TRACE = "trace_0123456789abcdef0123456789abcdef"
AGENT = "span_aaaaaaaaaaaaaaaaaaaaaa01"

OVERFLOW = (
    "Error code: 400 - {'error': {'message': \"This model's maximum context length is 128000 tokens. However, your "
    "messages resulted in 131072 tokens. Please reduce the length of the messages.\", 'type': 'invalid_request_error', "
    "'param': 'messages', 'code': 'context_length_exceeded'}}"
)
UNSUPPORTED = (
    "Error code: 400 - {'error': {'message': \"Unsupported parameter: 'temperature' is not supported with this model.\", "
    "'type': 'invalid_request_error', 'param': 'temperature', 'code': 'unsupported_parameter'}}"
)


def _trace(tmp_path: Path, failure: str) -> Path:
    def span(n: int, start: str, end: str, data: dict, error: dict | None = None) -> str:
        return json.dumps({"object": "trace.span", "id": f"span_aaaaaaaaaaaaaaaaaaaaaa{n:02d}", "trace_id": TRACE,
                           "parent_id": AGENT if n > 1 else None, "started_at": f"2025-09-16T20:04:{start}+00:00",
                           "ended_at": f"2025-09-16T20:04:{end}+00:00", "span_data": data, "error": error})  # fmt: skip

    lines = [
        json.dumps({"object": "trace", "id": TRACE, "workflow_name": "Contract review", "group_id": None, "metadata": None}),
        span(1, "51.000000", "58.000000", {"type": "agent", "name": "Reviewer"}, {"message": "Error in agent run",
                                                                                 "data": {"error": failure}}),
        span(2, "52.000000", "57.000000", {"type": "response", "response_id": None, "usage": None},
             {"message": "Error getting response", "data": {"error": failure}}),
    ]  # fmt: skip
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_wrapped_failure_joins_the_message(tmp_path: Path) -> None:
    df = forensics.load(_trace(tmp_path, OVERFLOW)).to_polars()
    call = df.filter(df["kind"] == "llm").row(0, named=True)
    assert call["error_message"] == f"Error getting response: {OVERFLOW}"
    assert json.loads(call["attributes"])["@error_data"] == {"error": OVERFLOW}  # kept as written too
    assert "context_overflow" in detectors(classify(df))


def test_near_miss_another_refusal_is_no_overflow(tmp_path: Path) -> None:
    df = forensics.load(_trace(tmp_path, UNSUPPORTED)).to_polars()
    call = df.filter(df["kind"] == "llm").row(0, named=True)
    assert call["error_message"] == f"Error getting response: {UNSUPPORTED}"
    assert "context_overflow" not in detectors(classify(df))


def test_a_message_without_data_stays_as_written(tmp_path: Path) -> None:
    # "Invalid JSON provided" carries data={} (src/agents/util/_json.py validate_json): nothing to add.
    path = _trace(tmp_path, OVERFLOW)
    text = path.read_text().replace('"Error in agent run", "data": {"error": ' + json.dumps(OVERFLOW) + "}",
                                    '"Invalid JSON provided", "data": {}')  # fmt: skip
    path.write_text(text)
    df = forensics.load(path).to_polars()
    assert df.filter(df["kind"] == "agent")["error_message"].item() == "Invalid JSON provided"
