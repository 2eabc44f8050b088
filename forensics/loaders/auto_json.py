"""Any JSON with spans in it: the fallback for documents no specific loader claims.

It walks every record's tree for span-like objects: an object with an id, a name, and a start
and an end or a duration (a parent reference or nesting places it in the tree; none makes it a
root). Every object of a list that holds span-like objects is a record of its own: a row, or
quarantined as ``not-span-like`` naming what it lacks. A record with no span-like object anywhere
is quarantined as ``no-spans-found``. Fields go through the same normalisers as every loader
(:mod:`forensics.normalize`), and the mapping it guessed (which keys became which columns, and
how often) is reported in the file's accounting (``LoadReport``, ``forensics load``).

It is never chosen by sniffing (its ``sniff`` is 0): only ``format="auto-json"`` (CLI
``--format auto-json``) runs it, and a sniff that finds no loader suggests it when the file holds
span-like objects.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

from ..normalize import as_float, as_int, as_text, duration_to_ns, norm_id, to_ns
from .base import SNIFF_RECORDS, Loader, Sample, Source, SpanSink
from .otel_common import RecordError, field_value

#: Column → candidate keys, best first, compared without case, ``_``, ``-`` or ``.``.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "span_id": ("spanid", "id", "uuid", "observationid", "runid", "stepid", "nodeid", "eventid"),
    "parent_id": ("parentspanid", "parentid", "parentobservationid", "parentrunid", "parentuuid", "parent",
                  "parentstepid"),
    "run_id": ("traceid", "trace", "rootrunid", "conversationid", "threadid", "sessionid"),
    "name": ("name", "spanname", "operationname", "operation", "title", "action", "tool", "toolname"),
    "start_time": ("starttime", "start", "startedat", "starttimestamp", "begin", "starttimeunixnano", "startts",
                   "timestamp", "createdat", "time", "ts"),
    "end_time": ("endtime", "end", "endedat", "endtimestamp", "finishedat", "completedat", "endtimeunixnano",
                 "endts", "stoppedat"),
    "duration": ("duration", "durationns", "durationus", "durationms", "durations", "durationseconds",
                 "latency", "latencyms", "elapsed", "elapsedms"),
    "kind": ("kind", "spankind", "runtype", "observationtype", "type", "spantype", "category"),
    "status": ("status", "statuscode", "state", "outcome"),
    "error_message": ("error", "errormessage", "exception", "statusmessage"),
    "input": ("input", "inputs", "args", "arguments", "prompt", "request", "query"),
    "output": ("output", "outputs", "result", "response", "completion", "answer"),
    "model": ("model", "modelname", "llmmodel"),
    "agent": ("agent", "agentname"),
    "input_tokens": ("inputtokens", "prompttokens"),
    "output_tokens": ("outputtokens", "completiontokens"),
    "cost_usd": ("costusd", "cost", "totalcost"),
}
#: Nanoseconds per unit, for a duration key that names its unit (a bare number is nanoseconds).
_DURATION_UNITS = {"durationus": 1_000, "durationms": 1_000_000, "latencyms": 1_000_000, "elapsedms": 1_000_000,
                   "durations": 1_000_000_000, "durationseconds": 1_000_000_000}
_KIND_ALIASES = {"generation": "llm", "chat": "llm", "model": "llm", "completion": "llm", "llmcall": "llm",
                 "function": "tool", "toolcall": "tool", "retrieval": "retriever"}
_OK = frozenset({"ok", "success", "succeeded", "completed", "complete", "done", "passed", "true"})
_ERROR = frozenset({"error", "failed", "failure", "fail", "exception", "errored", "crashed", "false"})
_ALL_KEYS = {key for keys in CANDIDATES.values() for key in keys}


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").replace(".", "").lower()


def _fields(obj: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Column → (the object's own key, its value), for the first candidate key present with a value."""
    by_norm: dict[str, tuple[str, Any]] = {}
    for key, value in obj.items():
        if isinstance(key, str):
            by_norm.setdefault(_norm(key), (key, value))
    found: dict[str, tuple[str, Any]] = {}
    for column, keys in CANDIDATES.items():
        # An id that is an object or a list is still the object's id, and wrong: `invalid-id`, not "no id".
        structured = column in ("input", "output", "error_message", "span_id")
        for key in keys:
            hit = by_norm.get(key)
            if hit is None or hit[1] in (None, "") or (not structured and isinstance(hit[1], dict | list)):
                continue
            found[column] = hit
            break
    return found


def _missing(fields: dict[str, tuple[str, Any]]) -> list[str]:
    """What an object lacks to be span-like (empty when it is)."""
    lacks = []
    if "span_id" not in fields:
        lacks.append("an id")
    if "name" not in fields:
        lacks.append("a name")
    if "start_time" not in fields and "duration" not in fields:
        lacks.append("a start time or a duration")
    elif "start_time" in fields and "end_time" not in fields and "duration" not in fields:
        lacks.append("an end time or a duration")
    return lacks


def span_like(obj: Any) -> bool:
    """An object with an id, a name, and a start and an end, or a duration."""
    return isinstance(obj, dict) and not _missing(_fields(obj))


def suggest(sample: Sample) -> str | None:
    """For the sniff error: where the sample's first records hold span-like objects, in a few words."""
    found: Counter[str] = Counter()
    for record in sample.records[:SNIFF_RECORDS]:
        for path, obj in _objects(record, "$"):
            if span_like(obj):
                found[path] += 1
    if not found:
        return None
    path, count = found.most_common(1)[0]
    return f"{count} span-like object{'s' if count != 1 else ''} at {path} in the first records"


def _objects(node: Any, path: str, depth: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in ``node``'s tree with a path in which list positions read ``[]``."""
    if depth > 64:
        return
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from _objects(value, f"{path}.{key}", depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _objects(item, f"{path}[]", depth + 1)


class AutoJsonLoader(Loader):
    name = "auto-json"
    description = "any JSON holding span-like objects (id, name, start/end or duration): a fallback, only when asked"
    sniffs = "never chosen by sniffing; suggested when no loader claims a JSON file that holds span-like objects"
    suffixes = (".json", ".jsonl", ".ndjson")
    chosen_by_sniffing = False  # chosen only when asked: a guess must never be silent

    def sniff(self, sample: Sample) -> float:
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        self.default_run = os.path.splitext(os.path.basename(source.path.removesuffix(".gz")))[0]
        self.mapping: dict[str, Counter[str]] = {}
        self.runs_from_file = 0
        for line, record in source.records():
            before = sink.rows + sink.quarantined
            self._walk(record, line, sink, parent=None, run=None, depth=0)
            if sink.rows + sink.quarantined == before:
                sink.quarantine(line, "no-spans-found",
                                "expected span-like objects (an id, a name, and a start and an end or a duration) "
                                "somewhere in the record, found none", record)
        if self.mapping:
            parts = []
            for column in CANDIDATES:  # in the span table's order, not the order first met
                keys = self.mapping.get(column)
                if keys:
                    used = " or ".join(_shown(k) + (f" ({n:,})" if len(keys) > 1 else "") for k, n in keys.most_common())
                    parts.append(f"{column} <- {used}")
            sink.note("auto-json mapping: " + "; ".join(parts))
        if self.runs_from_file:
            sink.note(f"auto-json mapping: run_id <- the file name `{self.default_run}` for {self.runs_from_file:,} "
                      "span(s) with no trace id of their own or of an enclosing object")
        if not self.mapping:
            sink.note("auto-json mapping: no span-like objects found")

    def _walk(self, node: Any, line: int, sink: SpanSink, parent: str | None, run: tuple[str, str] | None,
              depth: int) -> None:
        if depth > 64:
            return
        if isinstance(node, list):
            for item in node:
                self._walk(item, line, sink, parent, run, depth + 1)
            return
        if not isinstance(node, dict):
            return
        run = self._run_of(node) or run  # an enclosing object's trace id holds for what it holds
        own = parent
        if span_like(node):
            row_id = self._emit(node, line, sink, parent, run)
            own = row_id if row_id is not None else parent
        for key, value in node.items():
            if isinstance(value, list) and any(span_like(item) for item in value):
                for item in value:
                    if span_like(item):
                        self._walk(item, line, sink, own, run, depth + 1)
                    else:
                        lacks = _missing(_fields(item)) if isinstance(item, dict) else ["to be an object"]
                        sink.quarantine(line, "not-span-like",
                                        f"an element of `{key}`, a list of span-like objects, lacks {', '.join(lacks)}",
                                        item)
            elif isinstance(value, list) or (isinstance(value, dict) and not (isinstance(key, str) and _norm(key) in _ALL_KEYS)):
                self._walk(value, line, sink, own, run, depth + 1)

    @staticmethod
    def _run_of(obj: dict[str, Any]) -> tuple[str, str] | None:
        """The object's trace id and the key it is under."""
        hit = _fields(obj).get("run_id")
        if hit is None or not isinstance(hit[1], str | int) or isinstance(hit[1], bool):
            return None
        return str(hit[1]), hit[0]

    def _emit(self, obj: dict[str, Any], line: int, sink: SpanSink, parent: str | None,
              run: tuple[str, str] | None) -> str | None:
        fields = _fields(obj)
        if "run_id" not in fields:
            if run is None:
                self.runs_from_file += 1
            else:
                self.mapping.setdefault("run_id", Counter())[_ENCLOSING + run[1]] += 1
        try:
            row = self._row(fields, parent, None if run is None else run[0], self.default_run)
        except RecordError as exc:
            sink.quarantine(line, exc.reason, exc.detail, obj)
            return None
        used = {key for key, _ in fields.values()}
        attrs = {k: v for k, v in obj.items() if k not in used and not (isinstance(v, list) and any(span_like(i) for i in v))}
        row["attributes"] = attrs
        for column, (key, _) in fields.items():
            self.mapping.setdefault(column, Counter())[key] += 1
        sink.add(row, line)
        return str(row["span_id"])

    def _row(self, fields: dict[str, tuple[str, Any]], parent: str | None, run: str | None,
             default_run: str) -> dict[str, Any]:
        def value(column: str) -> Any:
            hit = fields.get(column)
            return None if hit is None else hit[1]

        def label(column: str) -> str:
            return fields[column][0] if column in fields else column

        start = field_value("invalid-time", label("start_time"), to_ns, value("start_time"))
        end = field_value("invalid-time", label("end_time"), to_ns, value("end_time"))
        if end is None and value("duration") is not None:
            raw = value("duration")
            ns = field_value("invalid-duration", label("duration"), duration_to_ns, raw)
            scale = _DURATION_UNITS.get(_norm(label("duration")), 1)
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                ns = int(round(float(raw) * scale))
            if ns is not None and ns < 0:
                raise RecordError("invalid-duration", f"`{label('duration')}`: a duration cannot be negative, found {raw}")
            end = start + ns if start is not None and ns is not None else None
        own_run = value("run_id")
        row: dict[str, Any] = {
            "run_id": _id(own_run, label("run_id")) if own_run is not None else (run or default_run),
            "span_id": _id(value("span_id"), label("span_id")),
            "parent_id": _id(value("parent_id"), label("parent_id")) if value("parent_id") is not None else parent,
            "name": as_text(value("name")),
            "start_time": start,
            "end_time": end,
            "status": _status(value("status"), value("error_message")),
            "input": as_text(value("input")),
            "output": as_text(value("output")),
            "model": as_text(value("model")),
            "agent": as_text(value("agent")),
            "input_tokens": field_value("invalid-value", label("input_tokens"), as_int, value("input_tokens")),
            "output_tokens": field_value("invalid-value", label("output_tokens"), as_int, value("output_tokens")),
            "cost_usd": field_value("invalid-value", label("cost_usd"), as_float, value("cost_usd")),
        }
        if row["status"] == "error":
            row["error_message"] = as_text(value("error_message"))
        kind = value("kind")
        if isinstance(kind, str):
            lowered = _norm(kind)
            row["kind"] = _KIND_ALIASES.get(lowered, lowered)
            if row["kind"] == "tool":
                row["tool"] = row["name"]
        return row


#: Marks a mapping key taken from an enclosing object (a run's trace id above its steps).
_ENCLOSING = "\x00"


def _shown(key: str) -> str:
    return f"`{key[1:]}` of an enclosing object" if key.startswith(_ENCLOSING) else f"`{key}`"


def _id(value: Any, label: str) -> str | None:
    """Hex ids normalised as every loader does; other ids (uuids, names, numbers) kept as written."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError("invalid-id", f"`{label}`: expected an id (text or a whole number), found {type(value).__name__}")
    try:
        normal = norm_id(value)
    except ValueError:
        normal = None
    return normal or str(value)


def _status(raw: Any, error: Any) -> str:
    if isinstance(raw, bool):
        return "ok" if raw else "error"
    text = _norm(str(raw)) if raw is not None else ""
    if text in _ERROR or text.startswith(("error", "fail")):
        return "error"
    if text in _OK:
        return "ok"
    if error not in (None, "", False, [], {}):
        return "error"
    return "unset"  # running, pending, unknown, or a word we do not know: not a verdict
