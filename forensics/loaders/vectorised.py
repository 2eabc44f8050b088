"""A vectorised read of the OpenTelemetry SDK span JSON, one span per line (``otel-sdk-json``).

The per-record loader (:mod:`forensics.loaders.otel_sdk_json`) parses each line with orjson and
maps it in Python, ~20 us a span. Here ONE DuckDB query a file parses the lines and maps the
columns in SQL on DuckDB's own threads (issue 15): no Python per record, no process pool. The file
reaches it as a stream of line tables framed chunk by chunk (the layout pattern matched there by
polars), and its result streams back in line order while it works on the next lines.

What the per-record path guarantees, this path keeps by accepting a line only when whole-column
expressions prove the per-record path would make exactly the same row from it; every other line
(and every line of a file this path cannot frame the same way) goes to the per-record path with its
own line number, so its row or its quarantine reason is the one it always was. A line is handed
over when (the SQL and its layout pattern: :mod:`forensics.loaders.vectorised_sql`):

* it is not valid JSON to DuckDB, or not valid UTF-8, or longer than ``vectorised_frames._MAX_VECTOR_LINE`` (the
  per-record reader streams a long line past within ``max_line_bytes``);
* it is not laid out as the SDK writes a span: its keys out of the SDK's order or unknown (nested
  children, keys the loader keeps as ``@extras``), an id, a time, the kind or the status in any
  other shape (lowercase hex with or without ``0x``, ISO with ``Z`` and 6 fraction digits, ``SpanKind.X``,
  ``UNSET``/``OK``/``ERROR``), events in another shape than the SDK's (name, timestamp,
  attributes; an escaped name), links or a trace state, an attribute, event-attribute or
  resource-attribute value that is or holds an object, an attribute key starting with ``@``;
* it has one of Monocle's I/O events (``data.input``, ``data.output``, ``metadata``), an event
  time out of range, an exception event's type or message that is not a string;
* it holds a NaN or Infinity, an integer of 16 digits or more (orjson would round one wider than
  64 bits, and writes a float that big in exponent form), a float in exponent form, a control
  character or its ``\\u00XX`` escape, a lone surrogate escape, a tab or a carriage return;
* it may hold a duplicate key: the layout fixes the keys of every object but the attribute
  maps (the span's, the resource's, each event's), whose keys ``json_keys`` must list distinct
  (yyjson keeps a repeated key; it decodes escapes);
* a time is outside 1970..2200 or no date; it has Monocle's ``span.type``, split costs,
  ``http.status_code``, or a mapped attribute whose value is not of the column's plain type.

The attribute text is DuckDB's minified JSON of the attributes with the consumed keys' pairs cut
out (string replacement, order kept), then ``@events``, ``@span_kind`` and ``@resource`` appended, which is
byte for byte what orjson writes for the same dict; ``tests/test_load_vectorised.py`` checks the
two paths give identical tables on every real and generated file of the format.
"""

from __future__ import annotations

import functools
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InternalError
from ..schema import QUARANTINE_SCHEMA, SPAN_SCHEMA
from .arrow_columns import constant, copied_out, shared_constants
from .base import Limits, Source, SpanSink, choose_wrapper, read_sample, wrapper_keys
from .vectorised_frames import LINES_SCHEMA, _Ahead, _ahead, _Frame, _frames
from .vectorised_sql import build_query

FORMAT = "otel-sdk-json"

#: Files smaller than this are read record by record unless asked (DuckDB's start-up costs more
#: than its threads save on them).
MIN_BYTES = 16 * 1024 * 1024


def wanted(path: str) -> bool:
    """``$FORENSICS_VECTORISED``: ``0`` reads every line with the per-record loader, ``1`` uses this
    path whatever the size; unset, files of ``MIN_BYTES`` or more use it."""
    value = os.environ.get("FORENSICS_VECTORISED", "").strip().lower()
    if value in ("0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    return os.path.getsize(path) >= MIN_BYTES


def eligible(path: str, limits: Limits) -> bool:
    """True when the per-record path would read ``path`` as plain JSON-lines, record by record with
    no wrapper: not gzip, not a document, the first line one complete JSON value, the first record
    an object with no wrapper key."""
    sample = read_sample(path, limits)
    if sample.is_document or sample.head[:2] == b"\x1f\x8b" or not isinstance(sample.first, dict):
        return False
    if wrapper_keys(sample.first):  # a first span with events: is it read through them? (never, today)
        from .otel_sdk_json import OtelSdkJsonLoader

        if choose_wrapper(OtelSdkJsonLoader(), sample)[1] is not None:
            return False
    with open(path, "rb") as fh:
        probe = Source(path, SpanSink(FORMAT, path, limits), limits)
        first = fh.read(4096).lstrip(b" \t\r\n")
        if not first or first[:1] == b"[" or first.startswith(b"\xef\xbb\xbf"):
            return False
        fh.seek(0)
        return probe._looks_like_json_lines(fh)


@functools.cache
def _query() -> str:
    return build_query()


#: Lines in one batch of the stream DuckDB scans (its threads take the batches in turn).
_BATCH_LINES = 4096
#: Rows in one batch of DuckDB's streamed result (what DuckDB may queue ahead of the reader, 32 MB,
#: is set in read() as a literal: the package builds no SQL from strings).
_RESULT_ROWS = 1 << 16
def _ints(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """An int64 column without nulls as numpy, read from its buffers (``to_numpy`` imports pandas)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = [np.frombuffer(c.buffers()[1], dtype=np.int64, count=len(c), offset=8 * c.offset) for c in chunks if len(c)]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _bools(column: pa.ChunkedArray) -> np.ndarray:
    """A boolean column without nulls as numpy (its bits unpacked)."""
    parts = [np.unpackbits(np.frombuffer(c.buffers()[1], dtype=np.uint8), bitorder="little")[c.offset:c.offset + len(c)]
             .astype(bool) for c in column.chunks if len(c)]
    return np.concatenate(parts) if parts else np.zeros(0, bool)


def empty(schema: pa.Schema) -> pa.Table:
    """A table of no rows (``Schema.empty_table`` imports pandas, ~0.4 s of a load)."""
    return pa.Table.from_batches([], schema=schema)


class _RangesSource(Source):
    """A :class:`Source` that frames only the given line ranges, as the per-record path frames
    JSON-lines (same line numbers, same reasons), never through a wrapper."""

    def __init__(self, path: str, sink: SpanSink, limits: Limits, display: str,
                 ranges: list[tuple[int, int, int]]) -> None:
        super().__init__(path, sink, limits, display=display)
        self.ranges = ranges
        self.wrapper = None

    def _framed(self, flatten_arrays: bool) -> Iterator[tuple[int, Any]]:
        with self.open() as fh:
            for start, end, first_line in self.ranges:
                yield from self._line_records(fh, start, end, first_line)


@dataclass
class Read:
    """What :func:`read` made of a file: the span table in line order (the vectorised rows and the
    per-record loader's rows of the lines handed to it), its quarantine and its accounting."""

    spans: pa.Table
    quarantine: pa.Table
    rows: int
    quarantined: int
    merged: int
    reasons: Counter[str]
    notes: list[str]
    #: The lines the vectorised path mapped itself, one array per chunk (the tests check which were
    #: handed over); int64 arrays, not a list of Python ints (~36 bytes a line: 100 MB at 3M spans).
    mapped_chunks: list[np.ndarray]

    @property
    def mapped_lines(self) -> np.ndarray:
        return np.concatenate(self.mapped_chunks) if self.mapped_chunks else np.zeros(0, dtype=np.int64)


def read(path: str, shown: str, limits: Limits) -> Read:
    """Read an eligible file (see :func:`eligible`) with ONE DuckDB query over a stream of its lines
    (:func:`read_lines`); the lines it did not map are read by the per-record loader, put back in order."""

    def take(settle: _Settle, out: pa.Table, final: bool) -> pa.Table | None:
        mapped = _mapped(out, shown, limits, settle.constants)
        numbers = _ints(mapped.column("source_line"))
        if not len(numbers):
            return None
        if not bool((np.diff(numbers) > 0).all()):  # DuckDB keeps the scan's order; be sure
            mapped = mapped.take(pc.sort_indices(mapped, sort_keys=[("source_line", "ascending")]))
            numbers = _ints(mapped.column("source_line"))
        if numbers[0] < settle.next_line:  # a line from before lines already settled: never settle twice
            raise InternalError(f"DuckDB returned line {numbers[0]:,} after line {settle.next_line - 1:,}",
                                where=shown, hint="this is a bug; FORENSICS_VECTORISED=0 reads the file record by record")
        settle.upto(mapped, int(numbers[-1]))
        return None

    # What DuckDB computes ahead of the reader: 32 MB (~50k rows) keeps its threads busy; 96 MB
    # only raised the read's peak (issue 15 item 5).
    return read_lines(path, shown, limits, _Settle(path, shown, limits, deque()), query=_query(), take=take,
                      buffer="SET streaming_buffer_size = '32MB'", batch_lines=_BATCH_LINES, result_rows=_RESULT_ROWS)


def read_lines(path: str, shown: str, limits: Limits, settle: _Settle, *, query: str,
               take: Callable[[_Settle, pa.Table, bool], pa.Table | None], buffer: str, batch_lines: int,
               result_rows: int, pattern: str | None = None) -> Read:
    """The vectorised read both JSON-lines formats share: ``query`` (over table ``lines``: line_no,
    line, fits) planned ONCE a file and run over the stream of its chunks, framed and matched against
    ``pattern`` in a thread of their own (:func:`_frames`, :func:`_ahead`: the Python stages run
    while DuckDB's threads map the lines before; no process pool; issue 15 item 1); the result taken
    back ~``result_rows`` rows at a time by ``take(settle, rows, final)``, which settles them
    (:meth:`_Settle.upto`) and returns the rows it holds back for its next call. ``buffer``: the
    statement setting what DuckDB computes ahead of the reader."""
    ahead = _ahead(_frames(path, limits, pattern))  # framing starts now, before DuckDB is imported
    try:
        return _run_query(ahead, settle, query=query, take=take, buffer=buffer, batch_lines=batch_lines,
                          result_rows=result_rows)
    finally:
        ahead.close()


def _run_query(ahead: _Ahead, settle: _Settle, *, query: str, take: Callable[[_Settle, pa.Table, bool], pa.Table | None],
               buffer: str, batch_lines: int, result_rows: int) -> Read:
    """:func:`read_lines`' query over the chunks ``ahead`` frames."""
    import duckdb

    frames = settle.frames  # appended by the scan (DuckDB's thread), taken by settle
    failed: list[BaseException] = []

    def stream() -> Iterator[pa.RecordBatch]:
        try:
            for frame, table in ahead:
                frames.append(frame)
                if table is not None:
                    yield from table.to_batches(max_chunksize=batch_lines)
        except BaseException as exc:  # DuckDB reports it as its own error: the reader re-raises this one
            failed.append(exc)
            raise

    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(buffer)
        con.register("lines", pa.RecordBatchReader.from_batches(LINES_SCHEMA, stream()))
        pending: list[pa.RecordBatch] = []
        rows = 0
        for batch in chain(con.sql(query).to_arrow_reader(result_rows), [None]):
            # DuckDB streams batches of a few thousand rows: they are settled ~result_rows at a time.
            if batch is not None:
                pending.append(batch)
                rows += batch.num_rows
                if rows < result_rows:
                    continue
            if not pending:
                break
            held = take(settle, pa.Table.from_batches(pending), batch is None)
            pending = [b for b in held.to_batches() if b.num_rows] if held is not None else []
            rows = held.num_rows if held is not None else 0
    except duckdb.Error:
        if failed:
            raise failed[0] from None
        raise
    finally:
        con.close()
    settle.upto(None, frames[-1].last_line if frames else 0)  # the handed-over lines after the last mapped one
    return settle.finish()


class _Settle:
    """Puts each stretch of lines in order: the mapped rows, and the per-record loader's rows of the
    lines between them that DuckDB did not map (the same line numbers and reasons as ever)."""

    def __init__(self, path: str, shown: str, limits: Limits, frames: deque[_Frame], format: str = FORMAT,
                 loader: Any = None) -> None:
        from .otel_sdk_json import OtelSdkJsonLoader

        self.path, self.shown, self.limits, self.frames = path, shown, limits, frames
        self.format = format
        self.loader = loader or OtelSdkJsonLoader()
        self.next_line = 1  # the first line not settled yet
        self.constants: dict[str, pa.Array] = {}
        self.parts: list[pa.Table] = []
        self.quarantines: list[pa.Table] = []
        self.done = Read(empty(SPAN_SCHEMA), empty(QUARANTINE_SCHEMA), 0, 0, 0, Counter(), [], [])

    def upto(self, mapped: pa.Table | None, last: int) -> None:
        """Settle every line from ``next_line`` to ``last``; ``mapped`` holds the mapped rows among them, sorted."""
        numbers = _ints(mapped.column("source_line")) if mapped is not None else np.zeros(0, np.int64)
        if len(numbers):
            self.done.mapped_chunks.append(numbers.astype(np.int64, copy=True))
            self.done.rows += len(numbers)
        free = np.ones(max(last - self.next_line + 1, 0), dtype=bool)
        free[numbers - self.next_line] = False
        handed = np.flatnonzero(free) + self.next_line
        self.next_line = last + 1
        owned = False  # whether the rows are in Arrow's own buffers already (not DuckDB's)
        if len(handed):
            rest = self._per_record(self._ranges(handed))
            if rest.num_rows and mapped is not None:
                mapped, owned = _interleave(mapped, numbers, rest), True
            elif rest.num_rows:
                mapped, owned = rest, True
        while self.frames and self.frames[0].last_line < self.next_line:
            self.frames.popleft()
        if mapped is not None and mapped.num_rows:
            self.parts.append(shared_constants(mapped if owned else copied_out(mapped), self.shown, self.constants, self.format))

    def finish(self) -> Read:
        if self.parts:
            self.done.spans = pa.concat_tables(self.parts)
        if self.quarantines:
            self.done.quarantine = pa.concat_tables(self.quarantines)
        return self.done

    def _ranges(self, handed: np.ndarray) -> list[tuple[int, int, int]]:
        """``(start, end, first line)`` byte ranges of the handed-over lines, a run of consecutive
        lines (within a chunk or across) as one range."""
        ranges: list[tuple[int, int, int]] = []
        k = 0
        for line in handed.tolist():
            while self.frames[k].last_line < line:
                k += 1
            frame = self.frames[k]
            i = line - frame.first_line
            start, end = frame.offset + int(frame.starts[i]), frame.offset + int(frame.ends[i])
            if ranges and ranges[-1][1] == start:
                ranges[-1] = (ranges[-1][0], end, ranges[-1][2])
            else:
                ranges.append((start, end, line))
        return ranges

    def _per_record(self, ranges: list[tuple[int, int, int]]) -> pa.Table:
        sink = SpanSink(self.format, self.shown, self.limits)
        self.loader.read(_RangesSource(self.path, sink, self.limits, self.shown, ranges), sink)
        table = sink.table()  # first: a row its column cannot hold is quarantined when the rows are built
        self.done.rows += sink.rows
        self.done.quarantined += sink.quarantined
        self.done.merged += sink.merged_count
        self.done.reasons.update(sink.reasons)
        self.done.notes.extend(sink.notes)
        if sink.quarantined:
            self.quarantines.append(sink.quarantine_table())
        return table


def _interleave(mapped: pa.Table, numbers: np.ndarray, rest: pa.Table) -> pa.Table:
    """The per-record rows put back between the mapped rows in line order (both sorted): slices of
    the two, concatenated once (a sort and take of the stretch cost ~2x: Arrow's take concatenates
    a chunked column before gathering it)."""
    at = np.searchsorted(numbers, _ints(rest.column("source_line"))).tolist()
    parts, done = [], 0
    for i, position in enumerate(at):
        if position > done:
            parts.append(mapped.slice(done, position - done))
            done = position
        parts.append(rest.slice(i, 1))
    if done < mapped.num_rows:
        parts.append(mapped.slice(done))
    return pa.concat_tables(parts).combine_chunks()


def _mapped(out: pa.Table, shown: str, limits: Limits, constants: dict[str, pa.Array]) -> pa.Table:
    """The rows of a stretch of DuckDB's result it mapped (``ok``), as span-table columns."""
    sizes = pc.binary_length(out.column("attributes")).cast(pa.int64())  # no nulls: the SQL concatenates text
    ok = _bools(out.column("ok")) & (_ints(sizes) <= 4 * limits.max_attributes)
    if ok.all():
        return _as_spans(out, shown, constants)
    mask = pa.Array.from_buffers(pa.bool_(), len(ok), [None, pa.py_buffer(np.packbits(ok, bitorder="little"))])
    return _as_spans(out.filter(mask), shown, constants)


def _as_spans(table: pa.Table, shown: str, constants: dict[str, pa.Array]) -> pa.Table:
    """DuckDB's result as span-table columns (the file's constant columns added as slices of one array)."""
    columns = []
    for field in SPAN_SCHEMA:
        if field.name in ("source_format", "source_file"):
            columns.append(constant(field.name, FORMAT if field.name == "source_format" else shown, table.num_rows, constants))
        elif field.name == "source_line":
            columns.append(table.column("line_no").cast(pa.int64()))
        elif field.name in ("start_time", "end_time"):
            columns.append(table.column(field.name).cast(pa.int64()).cast(field.type))
        else:
            columns.append(table.column(field.name).cast(field.type))
    return pa.Table.from_arrays(columns, schema=SPAN_SCHEMA)
