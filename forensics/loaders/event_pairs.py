"""Start/end event-pair JSON-lines (RAAF, the Ruby port of the OpenAI Agents SDK, and writers like
it): each line is ``{"event": "start"|"end", "timestamp", "span": {...}}`` and a span is written
twice, once when it opens and once when it closes.

Pairing: a dict of open spans keyed by ``(trace_id, span_id)`` holds each start until its end
arrives, so a big file streams in one pass and memory holds only the spans open at that moment.
The end record is the complete span (it repeats the start's fields and adds ``end_time``,
``duration_ms``, the final status, usage and exception events); it is folded into the start's
row (``sink.merged(end_line)``; the row keeps the start's line). A start whose end never came is
kept as an open span: ``end_time`` null and status ``unset`` (the start record's ``status: ok`` is
only the writer's default before the work ran, so it is kept as ``@start_status`` rather than
believed). An end with no start is still a complete span, because the end repeats everything the
start said: it becomes a row of its own (a file cut at the head, or a start written to another
file by log rotation) rather than a quarantined record.

Mapping (see ../shared/formats/jsonl_app_logs/raaf_traces.jsonl): ``span.kind`` agent/llm/tool/
handoff; agent from ``attributes."agent.name"``; tool from ``tool.name``/``function.name``; status
from ``span.status`` with ``status.description`` and ``exception`` events as the error.
``agent.handoffs`` on agent spans is the list of handoffs the agent *could* take (RAAF writes it
from the agent's configuration; it is ``[]`` throughout the real file), so it never makes a
handoff: a handoff is only recorded when one was taken, by a ``handoff`` span (``handoff.from``/
``handoff.to``, RAAF's ``handoff_span``) or a ``transfer_to_<agent>`` tool call (finalisation).

Parents: a span that started after its recorded parent ended is not inside it. RAAF's
``SpanTracer#start_span`` (lib/openai_agents/tracing/spans.rb, at the file's commit 9d84a24c) ends a
block span with ``@context.finish_span(span)``, and ``SpanContext#finish_span(span)`` pops the span
stack only when called with no span: the stack never shrinks, so every span's ``parent_id`` is the
last span STARTED, closed or not. A tool call reads as the child of the model call before it, and
the runner's next turn (a new ``agent.<name>`` span, after the first turn's agent span ended ok) as
the child of the last tool, so a turn that raised looked like a failure swallowed under a root that
reported success. Such a span is given the innermost span of its trace still open when its start
record was read (none: it is a root); the recorded parent is kept as ``@recorded_parent_id``. The
ends are remembered for the last :data:`ENDED_MEMORY` spans only, so memory stays bounded.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache
from typing import Any

from ..normalize import as_int, as_text, norm_id, to_ns
from .base import Loader, Sample, Source, SpanSink
from .otel_common import RecordError, field_value, finish_row, status_of

#: RAAF's own attribute keys → columns, first present wins (the OTel/OpenInference keys go
#: through semconv afterwards).
_RAAF_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tool", ("function.name",)),
    ("model", ("llm.request.model", "llm.model")),
    ("input", ("tool.arguments", "function.input", "llm.request.messages", "agent.input")),
    ("output", ("tool.result", "function.output", "llm.response.content", "agent.output")),
    ("handoff_to", ("handoff.to",)),
)
_RAAF_TOKENS = (("input_tokens", "llm.usage.prompt_tokens"), ("output_tokens", "llm.usage.completion_tokens"))
#: How many ended spans are remembered to tell a stale parent (ended before its child started) from
#: one never seen (its records in another file): the same bound as the id caches.
ENDED_MEMORY = 1 << 16
_SPAN_KEYS = frozenset({"span_id", "trace_id", "parent_id", "name", "kind", "start_time", "end_time",
                        "status", "attributes", "events"})


class EventPairsLoader(Loader):
    name = "raaf"
    description = "Start/end event-pair JSON-lines (RAAF and similar): start and end records of a span paired into one row"
    sniffs = "JSON-lines objects with `event` start|end and a `span` object holding `span_id`"
    suffixes = (".jsonl", ".ndjson", ".log")

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if not isinstance(first, dict) or first.get("event") not in ("start", "end"):
            return 0.0
        span = first.get("span")
        if isinstance(span, dict) and "span_id" in span:
            return 1.0
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        # (run, span) → (line of the start, start record). Only spans open right now live here.
        open_spans: dict[tuple[str | None, str], tuple[int, dict[str, Any]]] = {}
        parents = _Parents()
        for line, record in source.records():
            try:
                event, span, key = _check(record)
            except RecordError as exc:
                sink.quarantine(line, exc.reason, exc.detail, record)
                continue
            if event == "start":
                if key in open_spans:
                    first_line = open_spans[key][0]
                    sink.quarantine(line, "duplicate-start",
                                    f"span {key[1]} starts again while still open (first start at line {first_line}); "
                                    "the first start is kept. Hint: the writer logged the same start twice", record)
                    continue
                open_spans[key] = (line, record)
                parents.started(key, record["span"].get("parent_id"))
                continue
            started = open_spans.pop(key, None)
            try:
                row = parents.fix(key, pair_row(started[1] if started else None, record))
            except RecordError as exc:
                sink.quarantine(line, exc.reason, exc.detail, record)
                if started:  # the start still is a span: keep it open rather than lose it
                    open_spans[key] = started
                continue
            parents.ended(key)
            if started is None:
                sink.add(row, line)
            else:
                sink.add(row, started[0])
                sink.merged(line)
        for key, (start_line, start) in open_spans.items():
            try:
                row = parents.fix(key, pair_row(start, None))
            except RecordError as exc:
                sink.quarantine(start_line, exc.reason, exc.detail, start)
                continue
            sink.add(row, start_line)


class _Parents:
    """The enclosing span of each span at its start record (see the module doc: RAAF's stale parents)."""

    def __init__(self) -> None:
        # trace → its open spans in start order (a dict: an end removes its span in O(1), and the
        # innermost open span is the last key).
        self._open: dict[str | None, dict[str, None]] = {}
        self._ended: OrderedDict[tuple[str | None, str], None] = OrderedDict()
        self._moved: dict[tuple[str | None, str], str | None] = {}  # span → the parent it is given

    def started(self, key: tuple[str | None, str], recorded: Any) -> None:
        trace, sid = key
        stack = self._open.setdefault(trace, {})
        if recorded not in (None, "") and (trace, str(recorded)) in self._ended:
            self._moved[key] = next(reversed(stack)) if stack else None
        stack[sid] = None

    def ended(self, key: tuple[str | None, str]) -> None:
        trace, sid = key
        stack = self._open.get(trace)
        if stack is not None and sid in stack:
            del stack[sid]
            if not stack:
                del self._open[trace]
        self._ended[key] = None
        if len(self._ended) > ENDED_MEMORY:
            self._ended.popitem(last=False)

    def fix(self, key: tuple[str | None, str], row: dict[str, Any]) -> dict[str, Any]:
        if key not in self._moved:
            return row
        parent = self._moved.pop(key)
        attrs = row["attributes"]
        attrs["@recorded_parent_id"] = row["parent_id"]
        row["parent_id"] = None if parent is None else _id(parent, "span.parent_id", "span")
        return row


# A trace id, a parent id and a second-resolution time repeat on many lines: normalise each
# distinct value once (bench/bench_event_pairs.py: a third of the per-line cost otherwise).
_norm_id_cached = lru_cache(maxsize=1 << 16)(norm_id)
_to_ns_cached = lru_cache(maxsize=1 << 16)(to_ns)


def _id(value: Any, label: str, width: str) -> str | None:
    try:
        if isinstance(value, str):
            return _norm_id_cached(value, width)
        return norm_id(value, width)  # type: ignore[arg-type]
    except ValueError as exc:
        raise RecordError("invalid-id", f"`{label}`: {exc}") from None


def _time(value: Any, label: str) -> int | None:
    try:
        return _to_ns_cached(value) if isinstance(value, str) else to_ns(value)
    except ValueError as exc:
        raise RecordError("invalid-time", f"`{label}`: {exc}") from None


def _check(record: Any) -> tuple[str, dict[str, Any], tuple[str | None, str]]:
    if not isinstance(record, dict):
        raise RecordError("not-an-object", f"expected a {{event, timestamp, span}} object, found {type(record).__name__}")
    event = record.get("event")
    if event not in ("start", "end"):
        raise RecordError("unknown-event", f"expected `event` to be \"start\" or \"end\", found {event!r:.40}")
    span = record.get("span")
    if not isinstance(span, dict):
        raise RecordError("missing-span", "expected a `span` object, found "
                          + ("none" if span is None else type(span).__name__))
    sid = span.get("span_id")
    if sid in (None, ""):
        raise RecordError("missing-span-id", "expected `span.span_id`, found none; the start and end of a span "
                          "cannot be paired without it")
    return event, span, (as_text(span.get("trace_id")), str(sid))


def pair_row(start: dict[str, Any] | None, end: dict[str, Any] | None) -> dict[str, Any]:
    """One row from a start record, an end record, or both (the end's fields win)."""
    start_span: dict[str, Any] = (start or {}).get("span") or {}
    end_span: dict[str, Any] = (end or {}).get("span") or {}
    span = {**start_span, **end_span}
    for part in (start_span, end_span):
        if not isinstance(part.get("attributes") or {}, dict):
            raise RecordError("invalid-attribute", f"expected `span.attributes` to be an object, found {part['attributes']!r:.60}")
        if not isinstance(part.get("events") or [], list):
            raise RecordError("invalid-event", f"expected `span.events` to be a list, found {part['events']!r:.60}")
    attrs = {**(start_span.get("attributes") or {}), **(end_span.get("attributes") or {})}
    events = list(end_span.get("events") or [])
    events = [e for e in start_span.get("events") or [] if e not in events] + events
    row: dict[str, Any] = {
        "run_id": _id(span.get("trace_id"), "span.trace_id", "trace"),
        "span_id": _id(span.get("span_id"), "span.span_id", "span"),
        "parent_id": _id(span.get("parent_id"), "span.parent_id", "span"),
        "name": as_text(span.get("name")),
        "kind": as_text(span.get("kind")),
        "start_time": _time(span.get("start_time") or (start or {}).get("timestamp"), "span.start_time"),
        "end_time": _time(end_span.get("end_time") or (end or {}).get("timestamp"), "span.end_time") if end else None,
        "status": status_of(end_span.get("status")) if end else "unset",
    }
    rest: dict[str, Any] = {}
    for column, keys in _RAAF_KEYS:
        for key in keys:
            if attrs.get(key) is not None and row.get(column) is None:
                row[column] = as_text(attrs.pop(key))
    for column, key in _RAAF_TOKENS:
        if attrs.get(key) is not None:
            row[column] = field_value("invalid-value", f"attributes.{key}", as_int, attrs.pop(key))
    if row["status"] == "error":
        row["error_message"] = as_text(attrs.pop("status.description", None))
    typed_events = [
        {"name": e.get("name"), "time": _time(e.get("timestamp"), "span.events.timestamp"),
         "attributes": e.get("attributes") or {}}
        for e in events if isinstance(e, dict)
    ]
    rest = finish_row(row, attrs, typed_events)
    if row["status"] == "error" and row.get("error_message") is None and row.get("error_type") is not None:
        row["error_message"] = row["error_type"]
    if start is not None:
        rest["@start_event_time"] = start.get("timestamp")
        if end is None:
            rest["@start_status"] = start_span.get("status")
            rest["@open"] = True
    if end is not None:
        rest["@end_event_time"] = end.get("timestamp")
    for key, value in span.items():
        if key not in _SPAN_KEYS:
            rest["@" + key] = value
    for rec in (start, end):
        for key, value in (rec or {}).items():
            if key not in ("event", "timestamp", "span"):
                rest["@" + key] = value
    row["attributes"] = rest
    return row
