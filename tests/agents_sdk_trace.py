"""OpenAI Agents SDK trace-export records for tests: a ``trace.span`` object as the SDK's
processor exports it (openai/openai-agents-python ``src/agents/tracing/spans.py`` ``SpanImpl.export``:
``id``, ``trace_id``, ``parent_id``, ``started_at``, ``ended_at``, ``span_data``, ``error``), and a
``generation`` span of one model call."""

from __future__ import annotations

from typing import Any


def sdk_span(
    trace: str, sid: str, parent: str | None, start: float, end: float, data: dict[str, Any],
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One exported span; ids padded as the SDK writes them (``span_`` + 24 hex), times in seconds."""
    return {
        "object": "trace.span",
        "id": f"span_{sid:0>24}",
        "trace_id": trace,
        "parent_id": None if parent is None else f"span_{parent:0>24}",
        "started_at": f"2026-11-20T10:00:{start:06.3f}000+00:00",
        "ended_at": f"2026-11-20T10:00:{end:06.3f}000+00:00",
        "span_data": data,
        "error": error,
    }


def sdk_generation(
    trace: str, sid: str, start: float, end: float, ask: str, output: list[dict[str, Any]], *, tokens: int = 20
) -> dict[str, Any]:
    """A generation span under the agent span ``a1``: the user's ``ask`` in, ``output`` out."""
    data = {"type": "generation", "input": [{"role": "user", "content": ask}], "output": output, "model": "gpt-4o",
            "model_config": {}, "usage": {"input_tokens": 120, "output_tokens": tokens}}  # fmt: skip
    return sdk_span(trace, sid, "a1", start, end, data)
