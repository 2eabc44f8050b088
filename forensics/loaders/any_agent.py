"""mozilla-ai any-agent traces: ``AgentTrace`` JSON ``{"spans": [...], "final_output": ...}`` (one per
file, a JSON array of them, or JSON-lines), or bare spans one per line.

The spans are OpenTelemetry SDK spans serialised by pydantic, with quirks of their own (see
../shared/formats/multiagent_frameworks/any-agent_*.json): trace and span ids are DECIMAL integers
(128-bit trace ids), converted to the usual lowercase hex so they join with an OTLP export of the
same run; times are integer ns since the epoch; the parent is an object (``parent.span_id``, null
ids for a root); ``status.status_code`` is ok/error/unset. Attributes are GenAI semantic
conventions (``gen_ai.operation.name`` invoke_agent/call_llm/execute_tool, ``gen_ai.agent.name``,
``gen_ai.tool.name``, usage tokens and any-agent's split ``input_cost``/``output_cost``), mapped
through :mod:`forensics.semconv`; any-agent's own ``gen_ai.tool.args`` is the tool's input. The
trace's ``final_output`` is the root span's output when the root span records none.

Declared outcome: any-agent's AgentTrace carries none; a trace saved with a verdict beside its
spans (``success``/``is_success``, a ``reward``, smolagents' RunResult ``state`` ``success`` or
``max_steps_error``) has it under ``@outcome`` on the root span (see :mod:`forensics.outcome`).
"""

from __future__ import annotations

import re
from typing import Any

from ..normalize import as_text
from ..outcome import record_outcome, with_outcome
from .base import Loader, Sample, Source, SpanSink
from .otel_common import RecordError, finish_row, otel_span_kind, span_id, status_of, time_ns, trace_id

_KNOWN = frozenset({"name", "context", "parent", "kind", "start_time", "end_time", "status", "attributes", "events",
                    "links", "resource"})


class AnyAgentLoader(Loader):
    name = "any-agent"
    description = "mozilla-ai any-agent AgentTrace JSON ({spans, final_output}; decimal ids, ns times, gen_ai attributes)"
    sniffs = "`{spans: [...], final_output}`, or spans whose `context.trace_id` is a decimal integer"

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if not isinstance(first, dict):
            return 0.0
        spans = first.get("spans")
        if isinstance(spans, list) and "final_output" in first:
            return 1.0
        if isinstance(spans, list) and spans and _looks_like_span(spans[0]):
            return 0.9
        if _looks_like_span(first):
            return 0.9
        # A trace larger than the sniffing head: its first span is cut, but its decimal ids show.
        if "spans" in first and _DECIMAL_TRACE_ID_RE.search(sample.text):
            return 0.8
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        for line, record in source.records():  # 128-bit decimal ids arrive exact (see exact_numbers)
            if isinstance(record, dict) and isinstance(record.get("spans"), list):
                spans = record["spans"]
                final = record.get("final_output")
                extra = {k: v for k, v in record.items() if k not in ("spans", "final_output") and v is not None}
                for span in spans:
                    self._one(span, line, sink, final, extra)
            elif isinstance(record, dict):  # one span per line; a span without `context` says so
                self._one(record, line, sink, None, {})
            else:
                sink.quarantine(line, "not-an-agent-trace",
                                "expected an any-agent AgentTrace {spans, final_output} or a span object, "
                                f"found {_describe(record)}", record)

    def _one(self, span: Any, line: int, sink: SpanSink, final: Any, extra: dict[str, Any]) -> None:
        try:
            row = span_row(span, final, extra)
        except RecordError as exc:
            sink.quarantine(line, exc.reason, exc.detail, span)
            return
        sink.add(row, line)


def _looks_like_span(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("context"), dict):
        return False
    tid = value["context"].get("trace_id")
    decimal = (isinstance(tid, int) and not isinstance(tid, bool)) or (isinstance(tid, str) and tid.isdigit())
    return decimal and isinstance(value.get("start_time"), int)


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "an object with keys " + ", ".join(sorted(value)[:8])
    return type(value).__name__


_DECIMAL_TRACE_ID_RE = re.compile(r'"context":\s*\{\s*"trace_id":\s*\d{6,}')
def _decimal(value: Any, label: str) -> Any:
    """any-agent ids are decimal integers; a string of digits is one too (never read as hex)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def span_row(span: Any, final: Any = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    if not isinstance(span, dict):
        raise RecordError("not-a-span", f"expected a span object, found {type(span).__name__}")
    context = span.get("context")
    if not isinstance(context, dict):
        raise RecordError("missing-context", "expected a `context` object with trace_id and span_id, found "
                          + ("none" if context is None else type(context).__name__))
    parent = span.get("parent")
    if parent is not None and not isinstance(parent, dict):
        raise RecordError("invalid-id", f"`parent`: expected an object with span_id, found {type(parent).__name__}")
    status = span.get("status") if span.get("status") is not None else {}
    if not isinstance(status, dict):
        raise RecordError("invalid-status", f"expected `status` to be an object, found {status!r:.40}")
    row: dict[str, Any] = {
        "run_id": trace_id(_decimal(context.get("trace_id"), "context.trace_id"), "context.trace_id"),
        "span_id": span_id(_decimal(context.get("span_id"), "context.span_id"), "context.span_id"),
        "parent_id": span_id(_decimal((parent or {}).get("span_id"), "parent.span_id"), "parent.span_id"),
        "name": as_text(span.get("name")),
        "start_time": time_ns(span.get("start_time"), "start_time"),
        "end_time": time_ns(span.get("end_time"), "end_time"),
        "status": status_of(status.get("status_code")),
    }
    if row["status"] == "error" and status.get("description"):
        row["error_message"] = as_text(status["description"])
    attrs = span.get("attributes") if span.get("attributes") is not None else {}
    if not isinstance(attrs, dict):
        raise RecordError("invalid-attribute", f"expected `attributes` to be an object, found {type(attrs).__name__}")
    attrs = dict(attrs)
    if "gen_ai.tool.args" in attrs:
        row["input"] = as_text(attrs.pop("gen_ai.tool.args"))
    events = [
        {"name": e.get("name"), "time": time_ns(e.get("timestamp"), "events.timestamp"), "attributes": e.get("attributes") or {}}
        for e in span.get("events") or [] if isinstance(e, dict)
    ]
    rest = finish_row(row, attrs, events)
    if row.get("kind") is None:
        row["kind"] = "unknown"
    if row["parent_id"] is None:
        if row.get("output") is None and final is not None:
            row["output"] = as_text(final)
            rest["@output_from"] = "final_output"
        if extra:
            rest["@trace"] = extra
            with_outcome(rest, record_outcome(extra))
    rest["@span_kind"] = otel_span_kind(span.get("kind"))
    if span.get("resource"):
        rest["@resource"] = span["resource"]
    if span.get("links"):
        rest["@links"] = span["links"]
    for key in ("trace_state", "trace_flags", "is_remote"):
        value = context.get(key)
        if value not in (None, False, {}, {"value": 0}, {"entries": {}}):
            rest["@" + key] = value
    for key, value in span.items():
        if key not in _KNOWN and value is not None:
            rest["@" + key] = value
    row["attributes"] = rest
    return row
