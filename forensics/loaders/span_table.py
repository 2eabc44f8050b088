"""forensics' own span table saved as Parquet, read back as it was written.

``forensics classify --out DIR`` writes ``DIR/spans.parquet``, and a notebook may save
``load(...).spans`` with pyarrow or polars. Reading such a file back lets a night be classified again
under a new policy, handed to a teammate without the original logs, or opened in a postmortem; before
this loader, no registered loader recognised it and ``forensics load out/spans.parquet`` said so.

Round trip: every column keeps its value, the provenance columns included: ``source_format``,
``source_file`` and ``source_line`` keep naming where each span was first read, since detectors read
them (conventions keyed by format), so ``classify(load(saved))`` finds what ``classify(original)`` found
(``tests/loaders/test_loader_span_table.py`` checks both on every sample file).

The checks are whole-column (no Python per row unless a row is bad), each failure a quarantined row
with its reason and its 1-based row number in the file: a type the column cannot hold
(``invalid-value``, the column named), a time outside 1970..2200 (``invalid-time``), a missing run or span id (``missing-run-id``,
``missing-span-id``), a kind, status or provenance outside the schema, an ``attributes`` text that is
not a JSON object, or more attributes than ``Limits.max_attributes``. A file missing one of the
schema's required columns is not a span table: an error names the columns.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..schema import KINDS, SPAN_COLUMNS, SPAN_SCHEMA, STATUSES
from .base import Loader, Sample, Source, SpanSink
from .sink import count_keys

#: The span table's columns that may never be null: a file without one of them is not a span table.
REQUIRED = tuple(f.name for f in SPAN_SCHEMA if not f.nullable)

#: The times every loader takes (normalize.to_ns): 1970..2200. Scalars are made when a file is read, not
#: at import: pyarrow's first pa.scalar imports pandas (~0.4 s), which the load path never needs.
_TIME_RANGE = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))

#: Checks of values a column's type alone does not make: (column, allowed values, what it should be).
_ALLOWED: tuple[tuple[str, tuple[str, ...]], ...] = (("kind", KINDS), ("status", STATUSES))


class SpanTableLoader(Loader):
    name = "span-table"
    description = "forensics' own span table saved as Parquet (`forensics classify --out` writes spans.parquet)"
    sniffs = f"Parquet with the span table's required columns ({', '.join(REQUIRED)})"
    suffixes = (".parquet",)

    def sniff(self, sample: Sample) -> float:
        if not sample.is_parquet:
            return 0.0
        return 1.0 if set(REQUIRED) <= set(sample.parquet_columns) else 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(source.path).names
        except (pa.ArrowException, OSError) as exc:  # not Parquet at all, or a footer cut short
            sink.quarantine(1, "unreadable-file",
                            f"the Parquet file's schema cannot be read: {type(exc).__name__}: {exc}; "
                            "Hint: a damaged or cut-short Parquet file; write the span table again", None)
            return
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise InputError(
                f"not a span table: the Parquet file lacks the required column(s) {', '.join(f'`{c}`' for c in missing)}",
                where=source.display,
                hint="a span table has forensics.SPAN_SCHEMA's columns (save `load(...).spans` whole); "
                     "`forensics sniff FILE` says which format the file looks like",
            )
        extra = [c for c in names if c not in SPAN_COLUMNS]
        if extra:
            sink.note(f"column(s) outside the span table not read: {', '.join(extra)}")
        for first_row, batch in source.parquet_batches():
            kept = conform(batch, first_row, sink)
            if kept.num_rows:
                sink.add_batch(kept)


def conform(batch: pa.RecordBatch, first_row: int, sink: SpanSink) -> pa.RecordBatch:
    """``batch`` as SPAN_SCHEMA rows; every row that fails a check quarantined with its reason."""
    n = batch.num_rows
    faults: dict[int, tuple[str, str]] = {}  # row index -> (reason, detail); the first fault wins
    columns: list[pa.Array] = []
    for field in SPAN_SCHEMA:
        if field.name not in batch.schema.names:
            columns.append(pa.nulls(n, field.type))
            continue
        columns.append(_cast(batch.column(field.name), field, faults))
    table = pa.RecordBatch.from_arrays(columns, schema=SPAN_SCHEMA)

    for name in ("run_id", "span_id"):
        empty = pc.fill_null(pc.equal(pc.utf8_length(table.column(name)), 0), True)
        _mark(faults, empty, f"missing-{name.replace('_', '-')}",
              f"expected a {name.replace('_', ' ')}, found none; Hint: every span names its run and itself")
    for name, allowed in _ALLOWED:
        outside = pc.invert(pc.fill_null(pc.is_in(table.column(name), value_set=pa.array(allowed)), False))
        _mark(faults, outside, "invalid-value", f"`{name}` must be one of {', '.join(allowed)}")
    earliest, latest = (pa.scalar(t, type=SPAN_SCHEMA.field("start_time").type) for t in _TIME_RANGE)
    for name in ("start_time", "end_time"):
        when = table.column(name)
        outside = pc.or_(pc.less(when, earliest), pc.greater_equal(when, latest))
        _mark(faults, pc.fill_null(outside, False), "invalid-time", f"`{name}` is outside 1970..2200")
    for name in ("source_format", "source_file", "source_line"):
        _mark(faults, pc.is_null(table.column(name)), "invalid-value",
              f"`{name}` is null; the span table names where every span was first read")
    _check_attributes(table.column("attributes"), sink, faults)

    if not faults:
        return table
    rows = batch.to_pylist()
    for index in sorted(faults):
        reason, detail = faults[index]
        sink.quarantine(first_row + index, reason, detail, json.dumps(rows[index], default=str))
    keep = pa.array([i not in faults for i in range(n)])
    return table.filter(keep)


def _cast(column: pa.Array, field: pa.Field, faults: dict[int, tuple[str, str]]) -> pa.Array:
    """The column as ``field``'s type; the values it cannot hold become faults (and nulls)."""
    try:
        return pc.cast(column, field.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        pass
    values: list[Any] = []
    for index in range(len(column)):  # only a column that failed whole: find its bad values
        try:
            value = pc.cast(column.slice(index, 1), field.type)[0].as_py()
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            value = column[index].as_py()
            shown = repr(value)
            shown = shown if len(shown) <= 80 else shown[:80] + "…"
            faults.setdefault(index, ("invalid-value", f"the value of `{field.name}` cannot be held as {field.type}: "
                                      f"found {type(value).__name__} {shown}"))
            value = None
        values.append(value)
    return pa.array(values, type=field.type)


def _mark(faults: dict[int, tuple[str, str]], mask: pa.Array, reason: str, detail: str) -> None:
    for index in pc.indices_nonzero(mask).to_pylist():
        faults.setdefault(index, (reason, detail))


def _check_attributes(column: pa.Array, sink: SpanSink, faults: dict[int, tuple[str, str]]) -> None:
    """``attributes`` is null or a JSON object's text, within ``Limits.max_attributes`` keys."""
    import duckdb

    con = duckdb.connect()
    con.register("attrs", pa.table({"a": column}))
    verdict = con.sql(
        "SELECT CASE WHEN a IS NULL THEN true WHEN json_valid(a) THEN json_type(a) = 'OBJECT' ELSE false END "
        "AS ok FROM attrs"
    ).to_arrow_table()
    con.close()
    _mark(faults, pc.invert(verdict.column("ok")), "invalid-value",
          "`attributes` must be the text of a JSON object (or null)")
    # Every key takes at least 4 characters (`"k":0`): only a longer text can hold too many; few do.
    long = pc.fill_null(pc.greater(pc.utf8_length(column), 4 * sink.limits.max_attributes), False)
    for index in pc.indices_nonzero(long).to_pylist():
        if index in faults:
            continue
        keys = count_keys(json.loads(column[index].as_py()))
        if keys > sink.limits.max_attributes:
            faults[index] = ("too-many-attributes",
                             f"the record's attributes hold {keys:,} keys, over max_attributes="
                             f"{sink.limits.max_attributes:,}; Hint: raise Limits.max_attributes if the record is genuine")
