"""Phoenix span JSON (``context.*``, ``span_kind``, flattened ``llm.*``/``tool.*``,
``input.value``/``output.value``, ``session.id``, ``status_code``, exception events), one per line.
"""

from __future__ import annotations

from typing import Any, Final

from forensics.synth.model import Run, Span, iso_us_offset
from forensics.synth.writers.base import _DUMPS, WRITERS, Writer
from forensics.synth.writers.genai import _SDK_STATUS

_OI_KIND: Final = {
    "agent": "AGENT",
    "llm": "LLM",
    "tool": "TOOL",
    "handoff": "TOOL",
    "retriever": "RETRIEVER",
    "guardrail": "GUARDRAIL",
    "chain": "CHAIN",
    "human": "CHAIN",
}


def _oi_attributes(run: Run, s: Span) -> dict[str, Any]:
    kind = _OI_KIND[s.kind]
    a: dict[str, Any] = {"openinference.span.kind": kind}
    if run.session_id:
        a["session.id"] = run.session_id
    if run.user_id:
        a["user.id"] = run.user_id
    if s.kind == "agent":
        a["agent.name"] = s.agent
        a["graph.node.id"] = s.agent
    if s.kind == "llm":
        a["llm.model_name"] = s.model
        if s.provider:
            a["llm.provider"] = s.provider
        if s.input_tokens is not None:
            a["llm.token_count.prompt"] = s.input_tokens
        if s.output_tokens is not None:
            a["llm.token_count.completion"] = s.output_tokens
            a["llm.token_count.total"] = (s.input_tokens or 0) + s.output_tokens
        if s.input is not None:
            a["llm.input_messages.0.message.role"] = "user"
            a["llm.input_messages.0.message.content"] = s.input
        if s.output is not None:
            a["llm.output_messages.0.message.role"] = "assistant"
            a["llm.output_messages.0.message.content"] = s.output
    if s.kind in ("tool", "handoff", "retriever"):
        a["tool.name"] = s.tool
    if s.input is not None:
        a["input.value"] = s.input
        a["input.mime_type"] = "application/json" if s.input[:1] in "{[" else "text/plain"
    if s.output is not None:
        a["output.value"] = s.output
        a["output.mime_type"] = "application/json" if s.output[:1] in "{[" else "text/plain"
    meta: dict[str, Any] = {}
    if s.finish_reason:
        meta["finish_reason"] = s.finish_reason
    if s.kind != "agent" and s.agent:
        meta["agent"] = s.agent
    if s.attrs:
        meta.update(s.attrs)
    if meta:
        a["metadata"] = _DUMPS(meta).decode()
    return a


def _oi_record(run: Run, s: Span) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    if s.status == "error":
        events.append(
            {
                "name": "exception",
                "timestamp": iso_us_offset(s.end_ns or s.start_ns),
                "attributes": {
                    "exception.type": s.error_type or "Exception",
                    "exception.message": s.error_message or "",
                },
            }
        )
    if s.kind == "llm":
        # Span names the OpenInference OpenAI / Anthropic instrumentors write.
        name = "Messages" if (s.provider or "").startswith("anthropic") else "ChatCompletion"
    elif s.kind == "agent":
        name = s.agent or s.name
    else:
        name = (s.tool or s.name) if s.kind in ("tool", "handoff", "retriever") else s.name
    return {
        "name": name,
        "context": {"trace_id": run.run_id, "span_id": s.span_id},
        "span_kind": _OI_KIND[s.kind],
        "parent_id": s.parent_id,
        "start_time": iso_us_offset(s.start_ns),
        "end_time": iso_us_offset(s.end_ns) if s.end_ns is not None else None,
        "status_code": _SDK_STATUS[s.status],
        "status_message": (s.error_message or "") if s.status == "error" else "",
        "attributes": _oi_attributes(run, s),
        "events": events,
    }


def _oi_records(run: Run) -> list[dict[str, Any]]:
    return [_oi_record(run, s) for s in run.spans]


WRITERS.register(Writer("openinference", "phoenix.jsonl", "lines", _oi_records))
