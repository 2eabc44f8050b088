"""A step written as two JSON lines, one when it starts and one when it ends, under one span id.

App logs that trace their own steps often log a step twice: ``{"event": "tool.start", "span_id": s,
...}`` when it begins and ``{"event": "tool.end", "span_id": s, ...}`` (or a ``phase`` of start/end)
when it is done, the end holding the result, the status and the usage. The RAAF start/end pairs are
the same record twice (``event_pairs``); here the two lines are read by the ``jsonl`` field map and
folded into one row: the start's start time and fields, the end's time, status and what it adds
(``sink.merged(end_line)``; the row keeps the start's line). Before, the end line was a second span
with the same id and finalize quarantined it as ``duplicate-span-id``: the step's result was lost.

Only a pair is folded: a start line, then an end line of the same run and span id and the same event
stem (``tool.start`` / ``tool.end``, or one ``phase`` field). Two starts, two ends, or two lines of
one span id that say no phase stay what they were (a real duplicate is still quarantined). A start
whose end never came is kept as it was read.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

from .base import SpanSink
from .otel_common import RecordError, time_ns

#: The field some logs say the phase in, beside the event's name.
_PHASE_KEYS: Final = ("phase",)
_START_WORDS: Final = frozenset({"start", "started", "begin", "began", "starting"})
_END_WORDS: Final = frozenset({"end", "ended", "finish", "finished", "complete", "completed", "done", "stop", "stopped"})
#: An event name ending in a phase word after a separator (``tool.start``, ``step_completed``), or
#: the word alone; ``backend`` ends in no phase.
_PHASE_SUFFIX: Final = re.compile(
    r"^(?:(?P<stem>.*)[._:\-\s])?(?P<word>" + "|".join(sorted(_START_WORDS | _END_WORDS)) + r")$", re.IGNORECASE
)
#: Keys that say when an end line's work ended: its own end, else the stamp the logger put on it.
_END_KEYS: Final = ("end_time", "ended_at", "finished_at", "end", "timestamp", "ts", "time", "@timestamp")
#: Columns the end line does not overwrite: the start's identity, its start and its name.
_KEPT: Final = frozenset({"run_id", "span_id", "parent_id", "name", "start_time", "attributes", "kind"})
#: Starts held at once; the oldest is written as it was read beyond this (a file of starts only).
OPEN_MEMORY: Final = 1 << 16


def phase(row: Mapping[str, Any], record: Mapping[str, Any]) -> tuple[str, bool] | None:
    """``(stem, is_start)`` when the line says it starts or ends its step, else None."""
    for key in _PHASE_KEYS:
        word = record.get(key)
        if isinstance(word, str) and word.lower() in _START_WORDS | _END_WORDS:
            return (row.get("name") or "", word.lower() in _START_WORDS)
    name = row.get("name")
    found = _PHASE_SUFFIX.match(name) if isinstance(name, str) else None
    if found is None:
        return None
    return ((found["stem"] or "").lower(), found["word"].lower() in _START_WORDS)


def _end_time(record: Mapping[str, Any], fallback: int | None) -> int | None:
    for key in _END_KEYS:
        if record.get(key) is not None:
            try:
                return time_ns(record[key], key)
            except RecordError:
                return fallback
    return fallback


def fold(start: dict[str, Any], end: dict[str, Any], end_record: Mapping[str, Any]) -> dict[str, Any]:
    """The step's one row: the start's, with the end's time, status and every field the end adds."""
    row = dict(start)
    for column, value in end.items():
        if column not in _KEPT and value is not None:
            row[column] = value
    row["end_time"] = _end_time(end_record, end.get("start_time"))
    if start.get("kind") == "event":
        row["kind"] = end.get("kind")  # a start line says no kind of work; the end's result may
    attributes = dict(start.get("attributes") or {})
    replaced = {k: attributes[k] for k, v in (end.get("attributes") or {}).items() if k in attributes and attributes[k] != v}
    attributes.update(end.get("attributes") or {})
    if replaced:
        attributes["@start"] = replaced  # what the start said that the end says otherwise: kept
    if end.get("name") != start.get("name"):
        attributes["@end_name"] = end.get("name")
    row["attributes"] = attributes
    return row


class StartEndPairs:
    """Holds each start line until its end line comes, then adds the folded row (see the module)."""

    def __init__(self, sink: SpanSink) -> None:
        self.sink = sink
        self.open: OrderedDict[tuple[str, str], tuple[int, dict[str, Any], str]] = OrderedDict()

    def take(self, row: dict[str, Any], record: Mapping[str, Any], line: int, has_span_id: bool) -> bool:
        """Whether the line was held or folded (the caller adds it otherwise)."""
        said = phase(row, record) if has_span_id else None
        if said is None:
            return False
        stem, is_start = said
        key = (row["run_id"], row["span_id"])
        if is_start:
            if key in self.open:
                return False  # a second start of one span: no pair, a duplicate as before
            self.open[key] = (line, row, stem)
            if len(self.open) > OPEN_MEMORY:
                _, (old_line, old_row, _) = self.open.popitem(last=False)
                self.sink.add(old_row, old_line)
            return True
        held = self.open.get(key)
        if held is None or held[2] != stem:
            return False
        del self.open[key]
        self.sink.add(fold(held[1], row, record), held[0])
        self.sink.merged(line)
        return True

    def flush(self) -> None:
        """The starts no end came for, as they were read."""
        for line, row, _ in self.open.values():
            self.sink.add(row, line)
        self.open.clear()
