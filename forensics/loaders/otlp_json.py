"""OTLP/JSON: ``ExportTraceServiceRequest`` (``resourceSpans/scopeSpans/spans``) and log requests
(``resourceLogs/scopeLogs/logRecords``), as one document or one request per line (the collector's
file exporter).

Real-world variants this accepts (see ../shared/formats/otlp_json): hex ids in either case (the
proto example is UPPERCASE), protojson base64 ids (otlp2parquet's testdata), int or enum-string
kinds and status codes, ns times as strings or numbers. Log records become ``event`` rows whose
parent is the span they were emitted in.
"""

from __future__ import annotations

from typing import Any

from ..normalize import as_text, norm_id, to_ns
from .base import Loader, Sample, Source, SpanSink
from .otel_common import (
    RecordError,
    agents_sdk_trace_span,
    any_value,
    as_run_container,
    finish_row,
    key_values,
    otel_span_kind,
    span_id,
    status_of,
    time_ns,
    trace_id,
)

_SEVERITY_ERROR = 17  # OTel severity numbers 17-24 are ERROR and FATAL


class OtlpJsonLoader(Loader):
    name = "otlp-json"
    description = "OTLP/JSON trace and log export requests (resourceSpans / resourceLogs), whole file or one per line"
    sniffs = "a JSON object with `resourceSpans` or `resourceLogs`"
    splittable = True

    def sniff(self, sample: Sample) -> float:
        keys = sample.keys
        if "resourceSpans" in keys or "resourceLogs" in keys or "resource_spans" in keys:
            return 1.0
        head = sample.text[:4096]
        if '"resourceSpans"' in head or '"resourceLogs"' in head:
            return 0.9
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        for line, request in source.records(flatten_arrays=True):
            if not isinstance(request, dict) or not ({"resourceSpans", "resourceLogs", "resource_spans"} & request.keys()):
                sink.quarantine(line, "not-otlp-request",
                                "expected an ExportTraceServiceRequest object with `resourceSpans` (or `resourceLogs`), "
                                f"found {type(request).__name__}", request)
                continue
            for resource_spans in _objects(request.get("resourceSpans", request.get("resource_spans")), "resourceSpans",
                                           line, sink):
                self._read_resource_spans(resource_spans, line, sink)
            for resource_logs in _objects(request.get("resourceLogs"), "resourceLogs", line, sink):
                self._read_resource_logs(resource_logs, line, sink)

    def _read_resource_spans(self, rs: dict[str, Any], line: int, sink: SpanSink) -> None:
        try:
            resource = key_values((rs.get("resource") or {}).get("attributes"))
        except RecordError as exc:
            resource = {"@invalid": exc.detail}
        for scope_spans in _objects(rs.get("scopeSpans", rs.get("instrumentationLibrarySpans")), "scopeSpans", line, sink):
            scope = scope_spans.get("scope", scope_spans.get("instrumentationLibrary")) or {}
            for span in _list(scope_spans.get("spans"), "spans", line, sink):
                try:
                    row = span_row(span, resource, scope, sink.limits.max_attributes)
                except RecordError as exc:
                    sink.quarantine(line, exc.reason, exc.detail, span)
                    continue
                sink.add(row, line)

    def _read_resource_logs(self, rl: dict[str, Any], line: int, sink: SpanSink) -> None:
        try:
            resource = key_values((rl.get("resource") or {}).get("attributes"))
        except RecordError as exc:
            resource = {"@invalid": exc.detail}
        for scope_logs in _objects(rl.get("scopeLogs"), "scopeLogs", line, sink):
            scope = scope_logs.get("scope") or {}
            for k, record in enumerate(_list(scope_logs.get("logRecords"), "logRecords", line, sink)):
                try:
                    row = log_row(record, resource, scope, line, k)
                except RecordError as exc:
                    sink.quarantine(line, exc.reason, exc.detail, record)
                    continue
                sink.add(row, line)


def _list(value: Any, label: str, line: int, sink: SpanSink) -> list[Any]:
    """An OTLP repeated field: a list, or nothing (quarantined, saying what it was instead)."""
    if value is None or isinstance(value, list):
        return value or []
    sink.quarantine(line, "not-otlp-request", f"expected `{label}` to be a list, found {type(value).__name__}", value)
    return []


def _objects(value: Any, label: str, line: int, sink: SpanSink) -> list[dict[str, Any]]:
    """The objects of an OTLP repeated message field; anything else in it is quarantined."""
    out = []
    for item in _list(value, label, line, sink):
        if isinstance(item, dict):
            out.append(item)
        else:
            sink.quarantine(line, "not-otlp-request", f"expected each of `{label}` to be an object, found "
                            f"{type(item).__name__}", item)
    return out


def span_row(span: Any, resource: dict[str, Any], scope: dict[str, Any], max_attributes: int | None = None) -> dict[str, Any]:
    if not isinstance(span, dict):
        raise RecordError("not-a-span", f"expected a span object, found {type(span).__name__}")
    status = span.get("status") or {}
    if not isinstance(status, dict):
        raise RecordError("invalid-status", f"`status`: expected an object {{code, message}}, found "
                          f"{type(status).__name__} {str(status)[:60]!r}")
    try:  # fast path; on a bad value, redo with the checked converters for a specific reason
        row: dict[str, Any] = {
            "run_id": norm_id(span.get("traceId"), "trace"),
            "span_id": norm_id(span.get("spanId"), "span"),
            "parent_id": norm_id(span.get("parentSpanId"), "span"),
            "name": span.get("name"),
            "start_time": to_ns(span.get("startTimeUnixNano")),
            "end_time": to_ns(span.get("endTimeUnixNano")),
            "status": status_of(status.get("code")),
        }
    except ValueError:
        row = {
            "run_id": trace_id(span.get("traceId"), "traceId"),
            "span_id": span_id(span.get("spanId"), "spanId"),
            "parent_id": span_id(span.get("parentSpanId"), "parentSpanId"),
            "name": span.get("name"),
            "start_time": time_ns(span.get("startTimeUnixNano"), "startTimeUnixNano"),
            "end_time": time_ns(span.get("endTimeUnixNano"), "endTimeUnixNano"),
            "status": status_of(status.get("code")),
        }
    if row["status"] == "error" and status.get("message"):
        row["error_message"] = status["message"]
    attrs = key_values(span.get("attributes"), max_attributes)
    events = [
        {"name": e.get("name"), "time": time_ns(e.get("timeUnixNano"), "events.timeUnixNano"),
         "attributes": key_values(e.get("attributes"))}
        for e in span.get("events") or []
    ]
    rest = finish_row(row, attrs, events)
    if row.get("kind") is None:
        row["kind"] = "unknown"
    elif row["kind"] == "agent" and scope and agents_sdk_trace_span(attrs, scope.get("name")):
        as_run_container(row)
    rest["@span_kind"] = otel_span_kind(span.get("kind"))
    if resource:
        rest["@resource"] = resource
    if scope:
        rest["@scope"] = _scope_view(scope)
    if not _EXTRA_KEYS.isdisjoint(span):
        for key in _EXTRA_KEYS_ORDER:
            if span.get(key):
                rest["@" + key] = span[key]
    row["attributes"] = rest
    return row


_EXTRA_KEYS_ORDER = ("links", "traceState", "droppedAttributesCount", "droppedEventsCount", "droppedLinksCount", "flags")
_EXTRA_KEYS = frozenset(_EXTRA_KEYS_ORDER)

#: The last scope decoded and its decoded form: every span of a scopeSpans shares both (the rows
#: only serialise it). Holding the scope itself makes the identity test safe.
_last_scope: tuple[Any, dict[str, Any]] = (None, {})


def _scope_view(scope: dict[str, Any]) -> dict[str, Any]:
    global _last_scope
    if _last_scope[0] is scope:
        return _last_scope[1]
    view = {k: (key_values(v) if k == "attributes" else v) for k, v in scope.items()}
    _last_scope = (scope, view)
    return view


def log_row(record: Any, resource: dict[str, Any], scope: dict[str, Any], line: int, index: int) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise RecordError("not-a-log-record", f"expected a log record object, found {type(record).__name__}")
    parent = span_id(record.get("spanId"), "spanId")
    severity = record.get("severityNumber") or 0
    body = record.get("body")
    text = as_text(any_value(body)) if body is not None else None
    row: dict[str, Any] = {
        "run_id": trace_id(record.get("traceId"), "traceId"),
        # Log records carry no id of their own: name them by where they sit in the file.
        "span_id": f"log-{line}-{index}",
        "parent_id": parent,
        "name": record.get("eventName") or record.get("severityText") or "log",
        "kind": "event",
        "start_time": time_ns(record.get("timeUnixNano") or record.get("observedTimeUnixNano"), "timeUnixNano"),
        "status": "error" if isinstance(severity, int) and severity >= _SEVERITY_ERROR else "unset",
        "output": text,
    }
    row["end_time"] = row["start_time"]
    if row["status"] == "error":
        row["error_message"] = text
    rest = finish_row(row, key_values(record.get("attributes")))
    row["kind"] = "event"
    rest["@severity"] = {"number": severity, "text": record.get("severityText")}
    if resource:
        rest["@resource"] = resource
    if scope:
        rest["@scope"] = {k: (key_values(v) if k == "attributes" else v) for k, v in scope.items()}
    row["attributes"] = rest
    return row
