"""OpenInference / Arize Phoenix spans: the REST API's span JSON and JSONL, exported dataframes
(JSON records with dotted ``context.span_id`` / ``attributes.llm.model_name`` columns), and a
``get_spans_dataframe()`` saved as Parquet.

Kinds come from ``span_kind`` (== ``openinference.span.kind``); ``llm.*``, ``tool.*``,
``session.id`` and ``input.value``/``output.value`` map through :mod:`forensics.semconv`. Nested
attribute objects (``{"llm": {"model_name": ...}}``) are flattened to the dotted keys the
convention defines; lists stay lists.
"""

from __future__ import annotations

from typing import Any

from ..normalize import norm_id, to_ns
from .base import Loader, Sample, Source, SpanSink
from .otel_common import (
    RecordError,
    as_run_container,
    finish_row,
    kind_only_root,
    span_id,
    status_of,
    time_ns,
    trace_id,
    unscoped_agents_sdk_trace_span,
)
from .otel_sdk_json import iter_tree

_KNOWN = frozenset({"name", "context", "span_kind", "parent_id", "start_time", "end_time", "status_code",
                    "status_message", "attributes", "events", "id", "child_spans", "children",
                    "context.trace_id", "context.span_id", "span_id", "trace_id", "conversation"})


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts into dotted keys (lists are values, as OpenInference defines them)."""
    if not prefix and value.__class__ is dict and value and not any(isinstance(v, dict) and v for v in value.values()):
        # Already flat (the common case): the walk below would give its keys, last first.
        return {str(k): v for k, v in reversed(value.items())}
    out: dict[str, Any] = {}
    if not prefix and isinstance(value, dict) and not value:
        return out  # no attributes at all (not one attribute named "" holding {})
    stack: list[tuple[str, Any]] = [(prefix, value)]
    while stack:
        key, item = stack.pop()
        if isinstance(item, dict) and item:
            for k, v in item.items():
                stack.append((f"{key}.{k}" if key else str(k), v))
        else:
            out[key] = item
    return out


class OpenInferenceLoader(Loader):
    name = "openinference"
    description = "Arize Phoenix / OpenInference span JSON, JSONL, exported dataframes and Parquet"
    sniffs = "objects with `span_kind` and `context.span_id` (nested or dotted), or Parquet with those columns"
    splittable = True
    suffixes = (".json", ".jsonl", ".parquet")

    def sniff(self, sample: Sample) -> float:
        if sample.is_parquet:
            cols = set(sample.parquet_columns)
            return 1.0 if "context.span_id" in cols and ("span_kind" in cols or "attributes.openinference.span.kind" in cols) else 0.0
        first = sample.first
        if isinstance(first, dict) and isinstance(first.get("data"), list) and first["data"]:
            first = first["data"][0]  # the REST API wraps spans in {"data": [...], "next_cursor": ...}
        if not isinstance(first, dict):
            return 0.0
        has_context = isinstance(first.get("context"), dict) or "context.span_id" in first
        if has_context and "span_kind" in first:
            return 1.0
        attrs = first.get("attributes")
        if has_context and isinstance(attrs, dict) and ("openinference.span.kind" in attrs or "openinference" in attrs):
            return 0.95
        if has_context and "status_code" in first:
            return 0.6
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        self._workflows = _Workflows()
        self._read(source, sink)
        self._workflows.settle(sink)

    def _read(self, source: Source, sink: SpanSink) -> None:
        if source.path.endswith(".parquet") or _is_parquet(source.path):
            for first_row, batch in source.parquet_batches():
                for offset, record in enumerate(batch.to_pylist()):
                    self._one(record, first_row + offset, sink)
            return
        for line, record in source.records():
            if isinstance(record, dict) and isinstance(record.get("data"), list) and "context" not in record:
                # REST API page: {"data": [spans], "next_cursor": ...}; each span is a record.
                for index, item in enumerate(record["data"], start=1):
                    for span, nested_parent in iter_tree(item):
                        self._one(span, index, sink, nested_parent)
                continue
            if record.__class__ is dict and "child_spans" not in record and "children" not in record:
                self._one(record, line, sink)  # no nested children (the usual line): no tree walk
                continue
            for span, nested_parent in iter_tree(record):
                self._one(span, line, sink, nested_parent)

    def _one(self, record: Any, line: int, sink: SpanSink, nested_parent: str | None = None) -> None:
        try:
            row = openinference_row(record, nested_parent, self._workflows)
        except RecordError as exc:
            sink.quarantine(line, exc.reason, exc.detail, record)
            return
        if not self._workflows.held_back(row, line):
            sink.add(row, line)


class _Workflows:
    """An OpenAI Agents SDK trace's span under a workflow name of the run's own (openai-agents
    src/agents/run.py RunConfig.workflow_name; OpenInference's _processor.py on_trace_start names the
    span by it, with its kind only): a root AGENT span with nothing but its kind is held back until the
    file is read, and is the run's container when an AGENT span under it carries ``llm.system``, which
    on_span_start writes on every SDK span. Another framework's bare root agent, whose agents carry no
    ``llm.system``, stays an agent. Memory: only such roots are held."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}
        self.sdk_parents: set[tuple[str, str]] = set()

    def saw(self, attrs: dict[str, Any], row: dict[str, Any]) -> bool:
        """Note an SDK agent's parent; whether the row is a bare root agent to hold back."""
        if row["parent_id"] is not None:
            if "llm.system" in attrs:
                self.sdk_parents.add((row["run_id"], row["parent_id"]))
            return False
        return kind_only_root(attrs, row)

    def held_back(self, row: dict[str, Any], line: int) -> bool:
        if row.pop("@held", None) is None:
            return False
        self.held[(row["run_id"], row["span_id"])] = (row, line)
        return True

    def settle(self, sink: SpanSink) -> None:
        for key, (row, line) in self.held.items():
            if key in self.sdk_parents:
                as_run_container(row)
            sink.add(row, line)
        self.held.clear()


def _is_parquet(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def openinference_row(record: Any, nested_parent: str | None = None, workflows: _Workflows | None = None) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise RecordError("not-a-span", f"expected a span object, found {type(record).__name__}")
    context: dict[str, Any] = record["context"] if isinstance(record.get("context"), dict) else {}
    # Dataframe exports flatten everything: `context.span_id`, `attributes.llm.model_name`.
    dotted_attrs = {k[len("attributes."):]: v for k, v in record.items() if k.startswith("attributes.") and v is not None}
    attrs = flatten(record.get("attributes") or {}) if isinstance(record.get("attributes"), dict) else {}
    attrs.update(flatten(dotted_attrs))
    kind_text = record.get("span_kind") or attrs.get("openinference.span.kind")
    if kind_text is not None:
        attrs.setdefault("openinference.span.kind", kind_text)
    raw_trace = context.get("trace_id") or record.get("context.trace_id") or record.get("trace_id")
    raw_span = context.get("span_id") or record.get("context.span_id") or record.get("span_id")
    try:  # fast path; on a bad value, redo with the checked converters for a specific reason
        row: dict[str, Any] = {
            "run_id": norm_id(raw_trace, "trace"),
            "span_id": norm_id(raw_span, "span"),
            "parent_id": norm_id(record.get("parent_id") or nested_parent, "span"),
            "name": record.get("name"),
            "start_time": to_ns(_time(record.get("start_time"))),
            "end_time": to_ns(_time(record.get("end_time"))),
            "status": status_of(record.get("status_code")),
        }
    except ValueError:
        row = {
            "run_id": trace_id(raw_trace, "context.trace_id"),
            "span_id": span_id(raw_span, "context.span_id"),
            "parent_id": span_id(record.get("parent_id") or nested_parent, "parent_id"),
            "name": record.get("name"),
            "start_time": time_ns(_time(record.get("start_time")), "start_time"),
            "end_time": time_ns(_time(record.get("end_time")), "end_time"),
            "status": status_of(record.get("status_code")),
        }
    if row["status"] == "error" and record.get("status_message"):
        row["error_message"] = record["status_message"]
    events = record.get("events")
    event_list = [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
    rest = finish_row(row, attrs, event_list)
    if row.get("kind") is None:
        row["kind"] = "unknown"
    # The kind key stays (as evidence) only when it says something the kind column does not.
    if str(rest.get("openinference.span.kind", "")).lower() == row["kind"]:
        rest.pop("openinference.span.kind", None)
    if row["kind"] == "agent" and unscoped_agents_sdk_trace_span(attrs, row):
        as_run_container(row)  # an OpenAI Agents SDK trace's span: the run's container, not an agent
    elif row["kind"] == "agent" and workflows is not None and workflows.saw(attrs, row):
        row["@held"] = True  # perhaps that span under a workflow name of its own (_Workflows)
    if row["kind"] == "agent" and row.get("agent") is None:
        row["agent"] = attrs.get("graph.node.id") or row["name"]
    for key, value in record.items():
        if key not in _KNOWN and not key.startswith("attributes.") and value is not None:
            rest["@" + key] = value
    row["attributes"] = rest
    return row


def _time(value: Any) -> Any:
    """Parquet gives datetimes; JSON gives strings; both become ns."""
    if value.__class__ is str:
        return value
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text if getattr(value, "tzinfo", None) else text + "+00:00"
    return value
