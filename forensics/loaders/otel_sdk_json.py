"""The OpenTelemetry Python SDK's span JSON (``ReadableSpan.to_json()``, ConsoleSpanExporter,
file exporters): ``context.trace_id``, ``parent_id``, ISO times, ``"SpanKind.INTERNAL"``.

Accepted framings: a JSON array, one object per line, or pretty-printed objects one after another
(what ConsoleSpanExporter writes). Monocle's agentic spans (see the Monocle samples in
../shared/formats) map through :mod:`forensics.semconv`: ``entity.1.name`` names the agent on
``agentic.invocation`` spans and the tool on tool invocations; delegation spans are handoffs.
Nested ``child_spans``/``children`` trees are flattened with their parent links kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..normalize import norm_id, to_ns
from .base import Loader, Sample, Source, SpanSink
from .otel_common import (
    RecordError,
    as_run_container,
    finish_row,
    otel_span_kind,
    span_id,
    status_of,
    time_ns,
    trace_id,
    unscoped_agents_sdk_trace_span,
)

CHILD_KEYS = ("child_spans", "children")
_KNOWN_KEYS = frozenset({"name", "context", "kind", "parent_id", "start_time", "end_time", "status",
                         "attributes", "events", "links", "resource", *CHILD_KEYS})


def iter_tree(record: Any, parent: str | None = None) -> Iterator[tuple[Any, str | None]]:
    """Flatten a span and its nested children; yields ``(span, parent_id_from_nesting)``."""
    stack: list[tuple[Any, str | None]] = [(record, parent)]
    while stack:
        span, nested_parent = stack.pop()
        yield span, nested_parent
        if isinstance(span, dict):
            for key in CHILD_KEYS:
                children = span.get(key)
                if isinstance(children, list):
                    own = (span.get("context") or {}).get("span_id") if isinstance(span.get("context"), dict) else None
                    own = own or span.get("span_id") or span.get("id")
                    stack.extend((child, own) for child in reversed(children))


class OtelSdkJsonLoader(Loader):
    name = "otel-sdk-json"
    description = "OpenTelemetry SDK span JSON (to_json / ConsoleSpanExporter), incl. Monocle agentic spans"
    sniffs = "objects with `context.trace_id`, `kind` like `SpanKind.X`, ISO `start_time`"
    splittable = True

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if not isinstance(first, dict):
            return 0.0
        context = first.get("context")
        if not isinstance(context, dict) or "span_id" not in context:
            return 0.0
        if "span_kind" in first or "status_code" in first:
            return 0.3  # Phoenix/OpenInference has the same context but its own kind/status keys
        if str(first.get("kind", "")).startswith("SpanKind."):
            return 1.0
        if isinstance(first.get("start_time"), str) and isinstance(context.get("trace_id"), str):
            return 0.7
        return 0.2

    def read(self, source: Source, sink: SpanSink) -> None:
        for line, record in source.records():
            # A span without nested children (the usual line) skips the tree walk's generator.
            spans = ((record, None),) if record.__class__ is dict and "child_spans" not in record \
                and "children" not in record else iter_tree(record)
            for span, nested_parent in spans:
                try:
                    row = sdk_span_row(span, nested_parent)
                except RecordError as exc:
                    sink.quarantine(line, exc.reason, exc.detail, span)
                    continue
                sink.add(row, line)


def sdk_span_row(span: Any, nested_parent: str | None = None) -> dict[str, Any]:
    if not isinstance(span, dict):
        raise RecordError("not-a-span", f"expected a span object, found {type(span).__name__}")
    context = span.get("context")
    if not isinstance(context, dict):
        raise RecordError("missing-context", "expected a `context` object with trace_id and span_id, found "
                          + ("none" if context is None else type(context).__name__))
    status = span.get("status") or {}
    if not isinstance(status, dict):
        raise RecordError("invalid-status", f"expected `status` to be an object, found {status!r:.40}")
    try:  # fast path; on a bad value, redo with the checked converters for a specific reason
        row: dict[str, Any] = {
            "run_id": norm_id(context.get("trace_id"), "trace"),
            "span_id": norm_id(context.get("span_id"), "span"),
            "parent_id": norm_id(span.get("parent_id") or nested_parent, "span"),
            "start_time": to_ns(span.get("start_time")),
            "end_time": to_ns(span.get("end_time")),
        }
    except ValueError:
        row = {
            "run_id": trace_id(context.get("trace_id"), "context.trace_id"),
            "span_id": span_id(context.get("span_id"), "context.span_id"),
            "parent_id": span_id(span.get("parent_id") or nested_parent, "parent_id"),
            "start_time": time_ns(span.get("start_time"), "start_time"),
            "end_time": time_ns(span.get("end_time"), "end_time"),
        }
    row["name"] = span.get("name")
    row["status"] = status_of(status.get("status_code"))
    if row["status"] == "error" and status.get("description"):
        row["error_message"] = status["description"]
    attrs = span.get("attributes") or {}
    if not isinstance(attrs, dict):
        raise RecordError("invalid-attribute", f"expected `attributes` to be an object, found {type(attrs).__name__}")
    raw_events = span.get("events")
    events = [
        {"name": e.get("name"), "time": time_ns(e.get("timestamp"), "events.timestamp"), "attributes": e.get("attributes") or {}}
        for e in raw_events if isinstance(e, dict)
    ] if raw_events else []
    rest = finish_row(row, attrs, events)
    if row.get("kind") is None:
        row["kind"] = "unknown"
    elif row["kind"] == "agent" and unscoped_agents_sdk_trace_span(attrs, row):
        # OpenInference's span of an OpenAI Agents SDK trace, as to_json() writes it (no scope kept).
        as_run_container(row)
    rest["@span_kind"] = otel_span_kind(span.get("kind"))
    resource = span.get("resource")
    if resource:
        rest["@resource"] = resource
    links = span.get("links")
    if links:
        rest["@links"] = links
    if not _KNOWN_KEYS.issuperset(span):  # one C-level test for the usual span of known keys only
        for key, value in span.items():
            if key not in _KNOWN_KEYS:
                rest["@" + key] = value
    if context.get("trace_state") not in (None, "", "[]"):
        rest["@trace_state"] = context["trace_state"]
    row["attributes"] = rest
    return row
