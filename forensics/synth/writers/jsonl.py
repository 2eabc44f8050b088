"""Plain structured application log lines, one per finished (or abandoned) step.
"""

from __future__ import annotations

from typing import Any, Final

from forensics.synth.model import Run, Span, iso_ms_z
from forensics.synth.writers.base import WRITERS, Writer, logged_order

_JL_EVENT: Final = {
    "agent": "agent.run",
    "llm": "llm.call",
    "tool": "tool.call",
    "retriever": "retrieval",
    "handoff": "handoff",
    "human": "human.action",
    "guardrail": "guardrail.check",
    "chain": "request",
}


def _jl_message(s: Span) -> str:
    # The human-readable line an application logs for the step.
    what = {
        "agent": f"agent {s.agent}",
        "llm": f"model call {s.model}",
        "tool": f"tool {s.tool}",
        "retriever": f"retrieval {s.tool}",
        "handoff": f"handoff to {s.handoff_to}",
        "human": f"{s.name} by {(s.attrs or {}).get('enduser.id', 'user')}",
        "guardrail": f"guardrail {s.name}",
        "chain": s.name,
    }[s.kind]
    if s.end_ns is None:
        return f"{what} started"
    if s.status == "error":
        return f"{what} failed: {s.error_message}"
    return f"{what} finished"


def _jl_record(run: Run, s: Span) -> dict[str, Any]:
    d: dict[str, Any] = {
        "ts": iso_ms_z(s.start_ns),
        "level": "ERROR" if s.status == "error" else "INFO",
        "logger": f"{run.service}.{s.agent or 'app'}",
        "run_id": run.run_id,
        "span_id": s.span_id,
        "parent_id": s.parent_id,
    }
    if run.session_id:
        d["session_id"] = run.session_id
    d["event"] = _JL_EVENT[s.kind]
    d["kind"] = s.kind
    d["agent"] = s.agent
    if s.tool:
        d["tool"] = s.tool
    if s.handoff_to:
        d["handoff_to"] = s.handoff_to
    if s.model:
        d["model"] = s.model
        d["input_tokens"] = s.input_tokens
        d["output_tokens"] = s.output_tokens
        if s.cost_usd is not None:
            d["cost_usd"] = s.cost_usd
        if s.finish_reason:
            d["finish_reason"] = s.finish_reason
    d["msg"] = _jl_message(s)
    d["duration_ms"] = None if s.end_ns is None else round((s.end_ns - s.start_ns) / 1e6, 1)
    d["status"] = s.status
    if s.input is not None:
        d["input"] = s.input
    if s.output is not None:
        d["output"] = s.output
    if s.status == "error":
        d["error_type"] = s.error_type
        d["error"] = s.error_message
    if s.attrs:
        d.update(s.attrs)
    return d


def _jl_records(run: Run) -> list[dict[str, Any]]:
    return [_jl_record(run, s) for s in logged_order(run)]


WRITERS.register(Writer("jsonl", "log.jsonl", "lines", _jl_records))
