"""The :class:`SpanSink`: rows into Arrow batches, bad records into the quarantine, and the
accounting (every record read is a row, a quarantined record or merged)."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from typing import Any

import orjson
import pyarrow as pa

from ..schema import KINDS, QUARANTINE_SCHEMA, SPAN_COLUMNS, SPAN_SCHEMA, STATUSES
from .limits import DEFAULT_LIMITS, Limits


class SpanSink:
    """Collects one file's rows into Arrow batches and its bad records into the quarantine.

    Accounting: every record a loader reads ends in exactly one of :meth:`add`,
    :meth:`quarantine` or :meth:`merged`, so ``records_read == rows + quarantined + merged``.
    """

    def __init__(self, source_format: str, source_file: str, limits: Limits = DEFAULT_LIMITS) -> None:
        self.source_format = source_format
        self.source_file = source_file
        self.limits = limits
        self.rows = 0
        self.quarantined = 0
        self.merged_count = 0
        self.reasons: Counter[str] = Counter()
        #: What the loader wants the reader of the accounting to know (auto-json's guessed mapping).
        self.notes: list[str] = []
        self._pending: list[tuple[Any, ...]] = []
        self._batches: list[pa.RecordBatch] = []
        self._quarantine: list[dict[str, Any]] = []

    @property
    def records_read(self) -> int:
        return self.rows + self.quarantined + self.merged_count

    def add(self, row: dict[str, Any], line: int) -> None:
        """Add one span. Required: run_id, span_id; kind/status default to unknown/unset."""
        if not row.get("run_id"):
            self.quarantine(line, "missing-run-id", "expected a run/trace id, found none; "
                            "Hint: every span must say which run it belongs to", row)
            return
        if not row.get("span_id"):
            self.quarantine(line, "missing-span-id", "expected a span id, found none", row)
            return
        kind = row.get("kind") or "unknown"
        if kind not in KINDS:
            extra = dict(row.get("attributes") or {}) if isinstance(row.get("attributes"), dict) else None
            if extra is not None:
                extra["@kind"] = kind
                row["attributes"] = extra
            kind = "unknown"
        row["kind"] = kind
        status = row.get("status") or "unset"
        if status not in STATUSES:
            raise ValueError(f"loader {self.source_format} produced status {status!r}; expected one of {STATUSES}")
        row["status"] = status
        attrs = row.get("attributes")
        if isinstance(attrs, dict):
            if len(attrs) > self.limits.max_attributes:
                own = sum(1 for key in attrs if not str(key).startswith("@"))  # not our structural extras
                self.quarantine(line, "too-many-attributes",
                                f"the record has {own:,} attributes, over max_attributes={self.limits.max_attributes:,}; "
                                "Hint: raise Limits.max_attributes if the record is genuine", None)
                return
            text = _dumps(attrs) if attrs else None
            # Nested objects count too (a LangSmith `extra`, a Langfuse `metadata`): every key takes at
            # least 4 characters of the JSON text, so only a large blob is counted, and only exactly
            # when the quick count of `":` says it may be over the limit.
            if text is not None and len(text) > 4 * self.limits.max_attributes \
                    and text.count('":') > self.limits.max_attributes:
                nested = count_keys(attrs)
                if nested > self.limits.max_attributes:
                    self.quarantine(line, "too-many-attributes",
                                    f"the record's attributes hold {nested:,} keys, nested objects included, over "
                                    f"max_attributes={self.limits.max_attributes:,}; "
                                    "Hint: raise Limits.max_attributes if the record is genuine", None)
                    return
            row["attributes"] = text
        row["source_format"] = self.source_format
        row["source_file"] = self.source_file
        row["source_line"] = line
        self._pending.append(tuple(map(row.get, SPAN_COLUMNS)))
        self.rows += 1
        if len(self._pending) >= self.limits.batch_rows:
            self._flush()

    def add_batch(self, batch: pa.RecordBatch) -> None:
        """Add rows already in SPAN_SCHEMA and checked whole-column by their loader (the span-table
        loader): they keep their own provenance columns (where each span was first read)."""
        if not batch.schema.equals(SPAN_SCHEMA, check_metadata=False):
            raise ValueError(f"loader {self.source_format} passed a batch that is not in SPAN_SCHEMA: {batch.schema}")
        self._flush()  # rows keep the order they were read in
        self._batches.append(pa.RecordBatch.from_arrays(batch.columns, schema=SPAN_SCHEMA))
        self.rows += batch.num_rows

    def quarantine(self, line: int, reason: str, detail: str, raw: Any) -> None:
        """Record one record that could not become a row, with a stable reason code."""
        if isinstance(raw, dict) and len(raw) > _RAW_KEYS_KEPT:  # a million keys: keep a head, not all
            raw = {**dict(itertools.islice(raw.items(), _RAW_KEYS_KEPT)), "…": f"[cut: {len(raw):,} keys in all]"}
        text = raw if isinstance(raw, str) else (raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes | bytearray) else _dumps(raw))
        if text is not None and len(text) > self.limits.max_raw_chars:
            text = text[: self.limits.max_raw_chars] + f"…[cut: {len(text):,} chars in all]"
        self._quarantine.append(
            {"source_file": self.source_file, "source_line": line, "source_format": self.source_format,
             "reason": reason, "detail": detail, "raw": text}
        )
        self.quarantined += 1
        self.reasons[reason] += 1

    def note(self, text: str) -> None:
        """Say something about the whole file in its accounting (one line)."""
        self.notes.append(text)

    def merged(self, line: int) -> None:
        """Record one record folded into another record's row (a patch, the end of a start/end pair)."""
        self.merged_count += 1

    def _flush(self) -> None:
        if not self._pending:
            return
        columns = list(zip(*self._pending, strict=True))
        try:
            arrays = [pa.array(col, type=f.type) for col, f in zip(columns, SPAN_SCHEMA, strict=True)]
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            # A value the column cannot hold (a number as a span name, a token count wider than 64
            # bits): find the rows, quarantine them with the column named, keep the rest.
            self._quarantine_unfit_rows(columns)
            if not self._pending:
                return
            columns = list(zip(*self._pending, strict=True))
            arrays = [pa.array(col, type=f.type) for col, f in zip(columns, SPAN_SCHEMA, strict=True)]
        self._batches.append(pa.RecordBatch.from_arrays(arrays, schema=SPAN_SCHEMA))
        self._pending = []

    def _quarantine_unfit_rows(self, columns: list[tuple[Any, ...]]) -> None:
        """Move every pending row holding a value its column's type cannot take to the quarantine
        (reason ``invalid-value``), checking value by value only the columns that failed whole."""
        unfit: dict[int, str] = {}
        for index, (col, column) in enumerate(zip(columns, SPAN_SCHEMA, strict=True)):
            try:
                pa.array(col, type=column.type)
                continue
            except (pa.ArrowException, OverflowError, TypeError, ValueError):
                pass
            for i, value in enumerate(col):
                if i in unfit:
                    continue
                try:
                    pa.array([value], type=column.type)
                except (pa.ArrowException, OverflowError, TypeError, ValueError):
                    shown = repr(value)
                    shown = shown if len(shown) <= 80 else shown[:80] + "…"
                    unfit[i] = (f"the value of `{SPAN_COLUMNS[index]}` cannot be held as {column.type}: found "
                                f"{type(value).__name__} {shown}; Hint: the exporter wrote a value of the "
                                "wrong type or range for this field")
        line_at = SPAN_COLUMNS.index("source_line")
        kept = []
        for i, row in enumerate(self._pending):
            if i not in unfit:
                kept.append(row)
                continue
            raw = json.dumps(dict(zip(SPAN_COLUMNS, row, strict=True)), default=str)
            self.rows -= 1
            self.quarantine(row[line_at], "invalid-value", unfit[i], raw)
        self._pending = kept

    def table(self) -> pa.Table:
        self._flush()
        return pa.Table.from_batches(self._batches, schema=SPAN_SCHEMA)

    def quarantine_table(self) -> pa.Table:
        return pa.Table.from_pylist(self._quarantine, schema=QUARANTINE_SCHEMA)


#: Keys of a quarantined object kept in its raw text (the text is cut at max_raw_chars anyway).
_RAW_KEYS_KEPT = 10_000


def count_keys(value: Any) -> int:
    """Keys in ``value``, nested objects and objects inside lists included."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += len(item)
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))
    return count


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value, default=str, ensure_ascii=False)
