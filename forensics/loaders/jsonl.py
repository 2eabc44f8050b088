"""Generic structured JSON-lines application logs, mapped by a small declarative field map.

Each line is one span or event. Which key holds what is a :data:`DEFAULT_FIELD_MAP` of common key
names, overridable per column: ``load(path, format="jsonl", options={"field_map": {"run_id":
"job", "agent": ["actor", "meta.agent"]}})``. Dotted names reach into nested objects. Set
``run_id`` to ``"@file"`` when a file holds one run and its lines carry no run id. A line without a
span id gets ``L<line>``; a line with neither ``kind`` nor a hint is an ``event``. An event or handoff
line with no end and no duration ends at its own timestamp (:data:`POINT_KINDS`); other kinds stay open.

An instant event is a line that reports a moment, not work: no end, no duration, and no kind of
work said (``kind``) or shown. A ``model`` key alone shows none (a budget check naming the model it
checks): such a line is an event, closed at its timestamp, the model left in its attributes; a
line that names a model and holds something of a call (its input, output, tokens or cost) is a
model call, open until its end. A line that says when its work began (``start_ts``, ``started_at``,
``start_time``) beside the logger's stamp (``ts``, ``timestamp``, ...) was written when the work
ended: the stamp is its end. A step logged twice under one span id, a start line and an end line
(``tool.start`` / ``tool.end``, or a ``phase`` field), is one row (``jsonl_pairs``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InputError
from ..normalize import as_float, as_int, as_text
from ..schema import KINDS
from .base import Loader, Sample, Source, SpanSink
from .jsonl_pairs import StartEndPairs
from .otel_common import RecordError, field_value, span_id, time_ns, trace_id

#: Column → candidate keys, first present wins. Dotted keys reach into nested objects.
DEFAULT_FIELD_MAP: Mapping[str, tuple[str, ...]] = {
    "run_id": ("run_id", "trace_id", "traceId", "trace.id", "execution_id", "task_id", "request_id", "job_id"),
    "span_id": ("span_id", "spanId", "span.id", "event_id", "step_id", "id"),
    "parent_id": ("parent_id", "parent_span_id", "parentSpanId", "parent.id", "parent"),
    "session_id": ("session_id", "sessionId", "session", "thread_id", "conversation_id"),
    "name": ("name", "event", "span_name", "step", "action", "msg", "message"),
    "kind": ("kind", "span_kind", "type", "event_type", "category"),
    "agent": ("agent", "agent_name", "agent.name", "actor"),
    "tool": ("tool", "tool_name", "tool.name", "function", "function_name"),
    "handoff_to": ("handoff_to", "to_agent", "target_agent", "delegate_to"),
    "start_time": ("start_time", "start_ts", "started_at", "timestamp", "ts", "time", "@timestamp", "created_at", "datetime"),
    "end_time": ("end_time", "ended_at", "finished_at", "end"),
    "duration_ms": ("duration_ms", "latency_ms", "elapsed_ms"),
    "level": ("level", "severity", "levelname", "log.level"),
    "status": ("status", "outcome", "result_status", "state"),
    "error_type": ("error_type", "exception_type", "error.type", "error_code", "error.code"),
    "error_message": ("error_message", "error", "exception", "err", "error.message"),
    "model": ("model", "model_name", "llm.model"),
    "input_tokens": ("input_tokens", "prompt_tokens", "usage.input_tokens", "usage.prompt_tokens", "tokens_in"),
    "output_tokens": ("output_tokens", "completion_tokens", "usage.output_tokens", "usage.completion_tokens", "tokens_out"),
    "cost_usd": ("cost_usd", "cost", "total_cost", "usage.cost"),
    "input": ("input", "args", "arguments", "params", "prompt", "request", "query"),
    "output": ("output", "result", "response", "completion", "answer", "reply"),
}

_STATUS_WORDS = {
    "ok": "ok", "success": "ok", "succeeded": "ok", "completed": "ok", "done": "ok", "pass": "ok", "passed": "ok",
    "error": "error", "failed": "error", "failure": "error", "fail": "error", "exception": "error", "crashed": "error",
    "timeout": "error", "timed_out": "error",
    "unset": "unset", "pending": "unset", "running": "unset", "started": "unset", "in_progress": "unset",
}
_ERROR_LEVELS = frozenset({"error", "err", "critical", "fatal", "crit", "alert", "emerg", "emergency"})
_KIND_WORDS = {
    **{k: k for k in KINDS},
    "model": "llm", "llm_call": "llm", "generation": "llm", "completion": "llm", "chat": "llm",
    "tool_call": "tool", "function": "tool", "function_call": "tool", "action": "tool",
    "retrieval": "retriever", "search": "retriever", "delegation": "handoff", "transfer": "handoff",
    "approval": "human", "review": "human", "step": "chain", "workflow": "chain", "log": "event",
}

#: Kinds a line records as a moment, closed at its own timestamp when it gives no end or duration:
#: a plain log event, and a handoff, the passing of control from one agent to another, which does
#: no work of its own (the receiving agent's lines are its work). A tool, model or agent line
#: without an end stays open: one line written when the work started says nothing of its end, and
#: a run that stops inside it never finished it.
POINT_KINDS: frozenset[str] = frozenset({"event", "handoff"})

#: Keys that name when the work a line reports began, as opposed to when the line was written.
_START_KEYS: frozenset[str] = frozenset({"start_time", "start_ts", "started_at"})
#: The stamp a logger puts on every line when it writes it: on a line that also says when its work
#: began (``_START_KEYS``), the line was written when the work ended, and the stamp is its end.
_STAMP_KEYS: tuple[str, ...] = ("timestamp", "ts", "time", "@timestamp")
#: What a line holds of a model call having happened (what it was asked, what it answered, what it
#: used): a line that only names a model (a budget or rate-limit check logging the model it is
#: about) holds none, and is an event about that model, not a call of it.
_CALL_COLUMNS: tuple[str, ...] = ("input", "output", "input_tokens", "output_tokens", "cost_usd")


def _resolve(record: Mapping[str, Any], key: str) -> Any:
    if key in record:
        return record[key]
    if "." in key:
        node: Any = record
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node
    return None


class JsonlLoader(Loader):
    name = "jsonl"
    #: One line is one record, written once: a line that states its outcome was written when its
    #: work was done (read by premature_success: such a line never "never ended").
    records_written_once = True
    description = "Generic structured JSON-lines app logs, mapped by a declarative field map (options: field_map)"
    sniffs = "JSON-lines objects with a time key and a level/event/message key"
    # A step's start line is held until its end line (jsonl_pairs): state across lines.
    splittable = False
    suffixes = (".jsonl", ".ndjson", ".log", ".json")

    def __init__(self, field_map: Mapping[str, str | Sequence[str]] | None = None, **options: Any) -> None:
        super().__init__(**options)
        merged: dict[str, tuple[str, ...]] = dict(DEFAULT_FIELD_MAP)
        for column, keys in (field_map or {}).items():
            if column not in DEFAULT_FIELD_MAP:
                raise InputError(f"field_map names an unknown column `{column}`",
                                 hint=f"use one of: {', '.join(sorted(DEFAULT_FIELD_MAP))}")
            merged[column] = (keys,) if isinstance(keys, str) else tuple(keys)
        self.field_map = merged

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if sample.is_document or not isinstance(first, dict):
            return 0.0
        keys = set(first)
        has_time = bool(keys & set(DEFAULT_FIELD_MAP["start_time"]))
        has_event = bool(keys & {"level", "severity", "levelname", "event", "msg", "message", "name"})
        if not (has_time and has_event):
            return 0.0
        has_run = bool(keys & set(DEFAULT_FIELD_MAP["run_id"]))
        return 0.6 if has_run else 0.5

    def read(self, source: Source, sink: SpanSink) -> None:
        file_run = os.path.splitext(os.path.basename(source.path.removesuffix(".gz")))[0]
        pairs = StartEndPairs(sink)
        for line, record in source.records():
            if not isinstance(record, dict):
                sink.quarantine(line, "not-an-object", f"expected one JSON object per line, found {type(record).__name__}", record)
                continue
            try:
                row = self._row(record, line, file_run)
            except RecordError as exc:
                sink.quarantine(line, exc.reason, exc.detail, record)
                continue
            if not pairs.take(row, record, line, has_span_id=row["span_id"] != f"L{line}"):
                sink.add(row, line)
        pairs.flush()

    def _pick(self, record: Mapping[str, Any], column: str, used: set[str]) -> Any:
        for key in self.field_map[column]:
            value = _resolve(record, key)
            if value is not None:
                if key in record:  # a nested value leaves its parent object in attributes: nothing lost
                    used.add(key)
                return value
        return None

    def _row(self, record: Mapping[str, Any], line: int, file_run: str) -> dict[str, Any]:
        used: set[str] = set()
        run_keys = self.field_map["run_id"]
        run: str | None
        if run_keys == ("@file",):
            run = file_run
        else:
            raw_run = self._pick(record, "run_id", used)
            if raw_run is None:
                raise RecordError("missing-run-id",
                                  f"expected a run id under one of {', '.join(run_keys)}, found none. "
                                  "Hint: pass options={'field_map': {'run_id': '<key>'}}, or {'run_id': '@file'} "
                                  "when the file holds one run")
            run = trace_id(raw_run, "run_id")
        raw_span = self._pick(record, "span_id", used)
        row: dict[str, Any] = {
            "run_id": run,
            "span_id": span_id(raw_span, "span_id") if raw_span is not None else f"L{line}",
            "parent_id": span_id(self._pick(record, "parent_id", used), "parent_id"),
            "session_id": as_text(self._pick(record, "session_id", used)),
            "name": as_text(self._pick(record, "name", used)),
            "agent": as_text(self._pick(record, "agent", used)),
            "tool": as_text(self._pick(record, "tool", used)),
            "handoff_to": as_text(self._pick(record, "handoff_to", used)),
            "model": as_text(self._pick(record, "model", used)),
            "start_time": time_ns(self._pick(record, "start_time", used), "start_time"),
            "end_time": time_ns(self._pick(record, "end_time", used), "end_time"),
            "input_tokens": field_value("invalid-value", "input_tokens", as_int, self._pick(record, "input_tokens", used)),
            "output_tokens": field_value("invalid-value", "output_tokens", as_int, self._pick(record, "output_tokens", used)),
            "cost_usd": field_value("invalid-value", "cost_usd", as_float, self._pick(record, "cost_usd", used)),
            "input": as_text(self._pick(record, "input", used)),
            "output": as_text(self._pick(record, "output", used)),
        }
        duration = field_value("invalid-value", "duration_ms", as_float, self._pick(record, "duration_ms", used))
        if row["end_time"] is None and duration is not None and row["start_time"] is not None:
            row["end_time"] = row["start_time"] + int(duration * 1_000_000)
        if row["end_time"] is None and row["start_time"] is not None:
            row["end_time"] = self._stamped_end(record, row["start_time"], used)
        self._status(record, row, used)
        kind_word = self._pick(record, "kind", used)
        kind = _KIND_WORDS.get(str(kind_word).lower()) if kind_word is not None else None
        if kind is None:
            kind = ("handoff" if row["handoff_to"] else "tool" if row["tool"] else "llm" if row["model"]
                    else "agent" if row["agent"] and not row["name"] else "event")
            if kind == "llm" and row["end_time"] is None and all(row[c] is None for c in _CALL_COLUMNS):
                # Guessed from a model key alone, with no end, duration or anything of a call: an
                # event naming a model (its key stays in attributes), not a call that never ended.
                kind, row["model"] = "event", None
                used -= set(self.field_map["model"])
        if kind in POINT_KINDS and row["end_time"] is None:
            row["end_time"] = row["start_time"]  # a log line is a point in time, not an open span
        row["kind"] = kind
        rest = {k: v for k, v in record.items() if k not in used}
        if kind_word is not None and kind != str(kind_word).lower():
            rest["@kind"] = kind_word
        row["attributes"] = rest
        return row

    def _stamped_end(self, record: Mapping[str, Any], start: int, used: set[str]) -> int | None:
        """The line's stamp as its end (``_STAMP_KEYS``), when its start came from a key that says
        when the work began and the stamp is not before it; else None."""
        start_key = next((k for k in self.field_map["start_time"] if _resolve(record, k) is not None), None)
        if start_key not in _START_KEYS:
            return None
        for key in _STAMP_KEYS:
            if key != start_key and key in record and record[key] is not None:
                try:
                    end = time_ns(record[key], key)
                except RecordError:  # a stamp that is no time stays in attributes; the line loads
                    return None
                if end is not None and end >= start:
                    used.add(key)
                    return end
                return None
        return None

    def _status(self, record: Mapping[str, Any], row: dict[str, Any], used: set[str]) -> None:
        level = self._pick(record, "level", used)
        status_word = self._pick(record, "status", used)
        error = self._pick(record, "error_message", used)
        error_type = self._pick(record, "error_type", used)
        status = _STATUS_WORDS.get(str(status_word).lower()) if status_word is not None else None
        if status is None and level is not None and str(level).lower() in _ERROR_LEVELS:
            status = "error"
        if isinstance(error, Mapping):
            error_type = error_type or error.get("type") or error.get("code")
            error = error.get("message") or as_text(error)
        if status is None:
            status = "error" if error not in (None, "", False) else ("ok" if status_word is not None else "unset")
        row["status"] = status
        row["error_message"] = as_text(error) if error not in (None, "", False) else None
        row["error_type"] = as_text(error_type)
