"""Rows of the OpenTelemetry Collector's ClickHouse exporter table (``otel_traces``), exported as
JSON, JSON-lines (``FORMAT JSONEachRow``) or Parquet.

The table (opentelemetry-collector-contrib, exporter/clickhouseexporter/internal/sqltemplates/
traces_table.sql): ``Timestamp`` DateTime64(9) (the span's start), ``TraceId``, ``SpanId``,
``ParentSpanId`` (hex, ``""`` for a root), ``TraceState``, ``SpanName``, ``SpanKind``
(``Internal``/``Server``/...), ``ServiceName``, ``ResourceAttributes`` and ``SpanAttributes``
(``Map(String, String)``; JSON objects in the JSON-typed table), ``ScopeName``/``ScopeVersion``,
``Duration`` (UInt64 ns; ClickHouse quotes 64-bit integers in JSON, and some pipelines write an
ISO-8601 duration such as ``PT1.5S``), ``StatusCode`` (``Unset``/``Ok``/``Error``),
``StatusMessage``, and the nested ``Events`` and ``Links`` (``Events.Timestamp``,
``Events.Name``, ``Events.Attributes`` parallel arrays, or a list of objects). The scope, the trace
state and the links are kept as the OTLP loaders keep them, whatever the row's spelling: ``@scope``
(``{name, version}``), ``@traceState``, ``@links`` (one ``{traceId, spanId, traceState, attributes}``
a link, the ``Links.*`` arrays zipped as ``Events.*`` are into ``@events``).

Some exports join each span's log records (the exporter's ``otel_logs`` table: ``Timestamp``,
``SeverityText``, ``SeverityNumber``, ``Body``, ``LogAttributes``...) onto its row as a ``logs``
list. They are kept under ``@logs``, and a body that is an object fills the span's input, output
and error where its attributes left them empty: the Patronus SDK's ``@traced`` decorator
(patronus-ai/patronus-py, src/patronus/tracing/decorators.py) logs ``{"function.name",
"function.arguments", "function.output"}``, or ``exception.type``/``exception.message``; plain
``input``/``output`` keys are read too. A body written as JSON text is parsed first.

A file may wrap its rows in a document, e.g. ``{"trace_id": ..., "spans": [rows]}`` or
ClickHouse's ``FORMAT JSON`` ``{meta, data: [rows], rows, statistics}``: the shared framing
(:meth:`forensics.loaders.base.Source.records`) reads the rows out of it.

Column names are matched without case or underscores, so ``TraceId``, ``trace_id`` and
``traceid`` are one column. Rows may be flat or nested by ``child_spans``/``children`` (a parent
id missing from a child is taken from the nesting). Attributes go through the same conventions as
every OTel loader (:func:`forensics.loaders.otel_common.finish_row`): OpenInference
``openinference.span.kind``, ``tool.name``, ``llm.*`` and GenAI ``gen_ai.*`` keys fill the columns;
nested JSON-typed attributes are flattened to their dotted keys first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from ..normalize import as_text, duration_to_ns
from .base import Loader, Sample, Source, SpanSink
from .otel_common import (
    RecordError,
    agents_sdk_trace_span,
    as_run_container,
    field_value,
    finish_row,
    json_text,
    otel_span_kind,
    span_id,
    status_of,
    time_ns,
    trace_id,
)

_CHILD_KEYS = ("childspans", "children")
#: Normalised column name → role. Everything else on a row is kept in attributes under ``@<name>``.
_COLUMNS = {
    "timestamp": "start", "traceid": "trace", "spanid": "span", "parentspanid": "parent", "spanname": "name",
    "spankind": "kind", "servicename": "service", "resourceattributes": "resource",
    "spanattributes": "attributes", "duration": "duration", "statuscode": "status",
    "statusmessage": "status_message", "events": "events", "eventstimestamp": "events.timestamp",
    "eventsname": "events.name", "eventsattributes": "events.attributes", "logs": "logs",
    "scopename": "scope_name", "scopeversion": "scope_version", "tracestate": "trace_state", "links": "links",
    "linkstraceid": "links.traceid", "linksspanid": "links.spanid", "linkstracestate": "links.tracestate",
    "linksattributes": "links.attributes",
}
#: A link's fields as the exporter's ``Links`` Nested columns name them (normalised) → the OTLP/JSON
#: field each is kept under in ``@links``, so a link reads alike whatever table or request it came from.
_LINK_FIELDS = (("traceid", "traceId"), ("spanid", "spanId"), ("tracestate", "traceState"),
                ("attributes", "attributes"))
#: Keys of a log body that hold the span's input, output, error type and error message, best first.
_BODY_INPUT = ("function.arguments", "input", "inputs", "input.value", "arguments", "args")
_BODY_OUTPUT = ("function.output", "output", "outputs", "output.value", "result", "return_value")
_BODY_ERROR_TYPE = ("exception.type", "error.type")
_BODY_ERROR_MESSAGE = ("exception.message", "error.message", "error")


def _when(value: Any, label: str) -> int | None:
    """Times as text or numbers, or as the datetimes Parquet gives (naive = UTC, as ClickHouse
    stores DateTime64); pandas' Timestamp keeps its nanoseconds in ``.value``."""
    if isinstance(value, datetime):
        ns = getattr(value, "value", None)
        if isinstance(ns, int):
            return ns
        text = value.isoformat()
        return time_ns(text if value.tzinfo else text + "+00:00", label)
    return time_ns(value, label)


def _duration(value: Any, label: str) -> int | None:
    if isinstance(value, timedelta):
        ns = getattr(value, "value", None)  # pandas Timedelta
        return ns if isinstance(ns, int) else (value.days * 86_400 + value.seconds) * 1_000_000_000 + value.microseconds * 1_000
    return field_value("invalid-duration", label, duration_to_ns, value)


def _norm(name: str) -> str:
    return name.replace("_", "").replace(".", "").lower()


def _looks_like_row(keys: set[str]) -> bool:
    normal = {_norm(k) for k in keys}
    return {"traceid", "spanid"} <= normal and bool(normal & {"spanname", "servicename", "spanattributes", "duration"})


class OtelClickHouseLoader(Loader):
    name = "otel-clickhouse"
    description = "OpenTelemetry Collector ClickHouse exporter rows (otel_traces) as JSON, JSON-lines or Parquet"
    sniffs = "rows with TraceId/SpanId and SpanName/ServiceName/SpanAttributes/Duration (any case, snake_case too)"
    suffixes = (".json", ".jsonl", ".ndjson", ".parquet")
    #: JSONEachRow rows stand alone (a row's children are nested inside it), so a big file splits.
    splittable = True

    def sniff(self, sample: Sample) -> float:
        if sample.is_parquet:
            return 1.0 if _looks_like_row(set(sample.parquet_columns)) else 0.0
        first = sample.first
        if isinstance(first, dict) and _looks_like_row(set(first)):
            return 1.0
        return 0.0  # wrapped rows ({"trace_id", "spans": [...]}, FORMAT JSON's data) are seen through the wrapper

    def read(self, source: Source, sink: SpanSink) -> None:
        if source.path.lower().endswith(".parquet") or _is_parquet(source):
            for first_row, batch in source.parquet_batches():
                for offset, record in enumerate(batch.to_pylist()):
                    self._record(first_row + offset, record, sink)
            return
        for line, record in source.records():
            self._record(line, record, sink)

    def _record(self, line: int, record: Any, sink: SpanSink) -> None:
        if not isinstance(record, dict):
            sink.quarantine(line, "not-an-object", f"expected one otel_traces row object, found {type(record).__name__}", record)
            return
        for span, nested_parent in _tree(record):
            try:
                row = clickhouse_row(span, nested_parent)
            except RecordError as exc:
                sink.quarantine(line, exc.reason, exc.detail, span)
                continue
            sink.add(row, line)


def _is_parquet(source: Source) -> bool:
    with open(source.path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def _tree(record: dict[str, Any]) -> Iterator[tuple[Any, str | None]]:
    stack: list[tuple[Any, str | None]] = [(record, None)]
    while stack:
        span, parent = stack.pop()
        yield span, parent
        if not isinstance(span, dict):
            continue
        own = next((v for k, v in span.items() if _norm(k) == "spanid"), None)
        for key, value in span.items():
            if _norm(key) in _CHILD_KEYS and isinstance(value, list):
                stack.extend((child, as_text(own)) for child in reversed(value))


def _as_map(value: Any, label: str) -> dict[str, Any]:
    """A ClickHouse Map as JSON (object), as Parquet (list of pairs), or JSON text; nested JSON-typed
    objects are flattened to dotted keys."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        import orjson

        try:
            value = json_text(value, label)
        except orjson.JSONDecodeError:
            raise RecordError("invalid-attribute", f"`{label}`: expected a map, found text {value!r:.60}") from None
    if isinstance(value, list) and all(isinstance(p, list | tuple) and len(p) == 2 for p in value):
        value = {str(k): v for k, v in value}
    if not isinstance(value, dict):
        raise RecordError("invalid-attribute", f"`{label}`: expected a map of attributes, found {type(value).__name__}")
    flat: dict[str, Any] = {}
    stack: list[tuple[str, dict[str, Any]]] = [("", value)]
    while stack:
        prefix, node = stack.pop()
        for key, item in node.items():
            name = f"{prefix}{key}"
            if isinstance(item, dict) and item:
                stack.append((name + ".", item))
            else:
                flat[name] = item
    return flat


def _events(columns: dict[str, Any], label_of: dict[str, str]) -> list[dict[str, Any]]:
    events = columns.get("events")
    if isinstance(events, dict):  # nested as an object of parallel arrays
        columns = {**columns, **{f"events.{_norm(k)}": v for k, v in events.items()}}
        events = None
    if isinstance(events, list):
        out = []
        for e in events:
            if not isinstance(e, dict):
                raise RecordError("invalid-event", f"`{label_of.get('events', 'Events')}`: expected event objects, found {e!r:.60}")
            fields = {_norm(k): v for k, v in e.items()}
            out.append({"name": as_text(fields.get("name")),
                        "time": _when(fields.get("timestamp"), "Events.Timestamp"),
                        "attributes": _as_map(fields.get("attributes"), "Events.Attributes")})
        return out
    names = columns.get("events.name") or []
    times = columns.get("events.timestamp") or []
    attrs = columns.get("events.attributes") or []
    if not (isinstance(names, list) and isinstance(times, list) and isinstance(attrs, list)):
        raise RecordError("invalid-event", "expected `Events.Name`, `Events.Timestamp`, `Events.Attributes` as arrays")
    if (attrs and len(attrs) != len(names)) or (times and len(times) != len(names)):
        raise RecordError("invalid-event", f"the Events arrays differ in length: {len(names)} names, "
                          f"{len(times)} timestamps, {len(attrs)} attribute maps")
    return [{"name": as_text(n), "time": _when(times[i] if times else None, "Events.Timestamp"),
             "attributes": _as_map(attrs[i] if attrs else None, "Events.Attributes")} for i, n in enumerate(names)]


def _links(columns: dict[str, Any], label_of: dict[str, str]) -> list[dict[str, Any]]:
    """The exporter's ``Links.TraceId``/``.SpanId``/``.TraceState``/``.Attributes`` parallel arrays (or a
    list of link objects, or an object of the arrays) zipped into one object a link, as ``_events`` zips
    ``Events.*``: OTLP/JSON's field names, the attributes a map."""
    links = columns.get("links")
    if isinstance(links, dict):  # nested as an object of parallel arrays
        columns = {**columns, **{f"links.{_norm(k)}": v for k, v in links.items()}}
        links = None
    if isinstance(links, list):
        out = []
        for link in links:
            if not isinstance(link, dict):
                raise RecordError("invalid-link", f"`{label_of.get('links', 'Links')}`: expected link objects, found {link!r:.60}")
            fields = {_norm(k): v for k, v in link.items()}
            out.append(_link(fields))
        return out
    arrays = {field: columns.get(f"links.{field}") or [] for field, _ in _LINK_FIELDS}
    if not all(isinstance(a, list) for a in arrays.values()):
        raise RecordError("invalid-link", "expected `Links.TraceId`, `Links.SpanId`, `Links.TraceState`, "
                          "`Links.Attributes` as arrays")
    count = max(len(a) for a in arrays.values())
    if any(a and len(a) != count for a in arrays.values()):
        raise RecordError("invalid-link", "the Links arrays differ in length: "
                          + ", ".join(f"{len(a)} {field}" for field, a in arrays.items()))
    return [_link({field: a[i] if a else None for field, a in arrays.items()}) for i in range(count)]


def _link(fields: dict[str, Any]) -> dict[str, Any]:
    link = {name: fields.get(field) for field, name in _LINK_FIELDS if fields.get(field) not in (None, "")}
    if "attributes" in link:
        link["attributes"] = _as_map(link["attributes"], "Links.Attributes")
    return link


def _status(raw: Any) -> str:
    """The exporter writes ``Unset``/``Ok``/``Error``; other writers the OTLP spellings."""
    try:
        return status_of(raw)
    except RecordError:
        if isinstance(raw, str) and raw.upper() != raw:
            try:
                return status_of(raw.upper())
            except RecordError:
                pass
        raise


def clickhouse_row(span: Any, nested_parent: str | None = None) -> dict[str, Any]:
    """One otel_traces row (any column-name case) → one span-table row."""
    if not isinstance(span, dict):
        raise RecordError("not-an-object", f"expected a row object, found {type(span).__name__}")
    columns: dict[str, Any] = {}
    label_of: dict[str, str] = {}
    extra: dict[str, Any] = {}
    for key, value in span.items():
        normal = _norm(key)
        role = _COLUMNS.get(normal)
        if role is not None:
            columns[role] = value
            label_of[role] = key
        elif normal not in _CHILD_KEYS:
            extra["@" + key] = value
    if columns.get("span") in (None, ""):
        raise RecordError("missing-span-id", "expected a `SpanId` (or span_id) column, found none")
    start = _when(columns.get("start"), label_of.get("start", "Timestamp"))
    duration = _duration(columns.get("duration"), label_of.get("duration", "Duration"))
    if duration is not None and duration < 0:
        raise RecordError("invalid-duration", f"`{label_of['duration']}`: a duration cannot be negative, found {duration}")
    raw_status = columns.get("status")
    row: dict[str, Any] = {
        "run_id": trace_id(columns.get("trace"), label_of.get("trace", "TraceId")),
        "span_id": span_id(columns.get("span"), label_of.get("span", "SpanId")),
        "parent_id": span_id(columns.get("parent") or nested_parent, label_of.get("parent", "ParentSpanId")),
        "name": as_text(columns.get("name")),
        "start_time": start,
        "end_time": start + duration if start is not None and duration is not None else None,
        "status": _status(raw_status),
    }
    if row["status"] == "error" and columns.get("status_message"):
        row["error_message"] = as_text(columns["status_message"])
    elif columns.get("status_message"):
        extra["StatusMessage"] = columns["status_message"]
    attrs = _as_map(columns.get("attributes"), label_of.get("attributes", "SpanAttributes"))
    events = _events(columns, label_of)
    rest = finish_row(row, attrs, events)
    logs = columns.get("logs")
    if logs not in (None, ""):
        _apply_logs(row, logs, label_of.get("logs", "logs"))
        rest["@logs"] = logs
    if row.get("kind") is None:
        row["kind"] = "unknown"
    # The instrumentation scope under OTLP/JSON's ``@scope`` ({name, version}), whatever the row's
    # spelling (ScopeName, scope_name): conventions read it there (conventions/replies.py), and the OpenAI
    # Agents SDK trace's AGENT span is told by it as otlp_json does.
    scope = {field: as_text(columns[role]) for field, role in (("name", "scope_name"), ("version", "scope_version"))
             if columns.get(role) not in (None, "")}
    if row["kind"] == "agent" and agents_sdk_trace_span(attrs, scope.get("name")):
        as_run_container(row)
    rest["@span_kind"] = otel_span_kind(columns.get("kind")) if columns.get("kind") not in (None, "") else None
    resource = _as_map(columns.get("resource"), label_of.get("resource", "ResourceAttributes"))
    if columns.get("service") not in (None, ""):
        resource.setdefault("service.name", columns["service"])
    if resource:
        rest["@resource"] = resource
    if scope:
        rest["@scope"] = scope
    if columns.get("trace_state") not in (None, ""):
        rest["@traceState"] = columns["trace_state"]
    links = _links(columns, label_of)
    if links:
        rest["@links"] = links
    if duration is not None and start is None:
        rest["@duration_ns"] = duration  # no start: the duration alone is still evidence
    rest.update(extra)
    row["attributes"] = rest
    return row


def _apply_logs(row: dict[str, Any], logs: Any, label: str) -> None:
    """Fill input, output and error columns left empty from the log bodies (first body that has each)."""
    if not isinstance(logs, list):
        raise RecordError("invalid-log", f"`{label}`: expected a list of log records, found {type(logs).__name__}")
    for entry in logs:
        if not isinstance(entry, dict):
            raise RecordError("invalid-log", f"`{label}`: expected log record objects, found {entry!r:.60}")
        body = next((v for k, v in entry.items() if _norm(k) == "body"), None)
        if isinstance(body, str) and body[:1] == "{":
            import orjson

            try:
                body = json_text(body, f"{label}.body")
            except orjson.JSONDecodeError:
                continue  # a text body that only looks like JSON: kept as written under @logs
        if not isinstance(body, dict):
            continue
        for column, keys in (("input", _BODY_INPUT), ("output", _BODY_OUTPUT),
                             ("error_type", _BODY_ERROR_TYPE), ("error_message", _BODY_ERROR_MESSAGE)):
            if column.startswith("error") and row.get("status") != "error":
                continue  # an exception logged by a span that did not fail stays under @logs only
            if row.get(column) is None:
                found = next((body[k] for k in keys if body.get(k) not in (None, "")), None)
                if found is not None:
                    row[column] = as_text(found)
