"""A vectorised read of the OpenTelemetry SDK span JSON, one span per line (``otel-sdk-json``).

The per-record loader (:mod:`forensics.loaders.otel_sdk_json`) parses each line with orjson and
maps it in Python, ~20 us a span. Here DuckDB parses whole chunks of the file and maps the columns
in SQL on its own threads (issue 15): no Python per record, no process pool.

What the per-record path guarantees, this path keeps by accepting a line only when whole-column
expressions prove the per-record path would make exactly the same row from it; every other line
(and every line of a file this path cannot frame the same way) goes to the per-record path with its
own line number, so its row or its quarantine reason is the one it always was. A line is handed
over when (the SQL and its layout pattern: :mod:`forensics.loaders.vectorised_sql`):

* it is not valid JSON to DuckDB, or not valid UTF-8, or longer than ``_MAX_VECTOR_LINE`` (the
  per-record reader streams a long line past within ``max_line_bytes``);
* it is not laid out as the SDK writes a span: its keys out of the SDK's order or unknown (nested
  children, keys the loader keeps as ``@extras``), an id, a time, the kind or the status in any
  other shape (``0x`` hex, ISO with ``Z`` and 6 fraction digits, ``SpanKind.X``,
  ``UNSET``/``OK``/``ERROR``), events, links or a trace state, an attribute or resource-attribute
  value that is or holds an object, an attribute key starting with ``@``;
* it holds a NaN or Infinity, an integer of 16 digits or more (orjson would round one wider than
  64 bits, and writes a float that big in exponent form), a float in exponent form, a control
  character or its ``\\u00XX`` escape, a lone surrogate escape, a tab or a carriage return;
* it may hold a duplicate key: the layout fixes the keys of every object but the two attribute
  maps, whose keys ``json_keys`` must list distinct (yyjson keeps a repeated key; it decodes escapes);
* a time is outside 1970..2200 or no date; it has Monocle's ``span.type``, split costs,
  ``http.status_code``, or a mapped attribute whose value is not of the column's plain type.

The attribute text is DuckDB's minified JSON of the attributes with the consumed keys' pairs cut
out (string replacement, order kept), then ``@span_kind`` and ``@resource`` appended, which is
byte for byte what orjson writes for the same dict; ``tests/test_load_vectorised.py`` checks the
two paths give identical tables on every real and generated file of the format.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ..schema import QUARANTINE_SCHEMA, SPAN_SCHEMA
from .base import Limits, Source, SpanSink, choose_wrapper, read_sample, skip_line, wrapper_keys
from .vectorised_sql import build_query

#: Bytes of the file parsed per DuckDB query (whole lines). Planning the query (a 7 KB pattern,
#: ~200 expressions) costs ~65 ms a query whatever its size: 32 MB chunks spend ~14% less CPU a
#: byte than 16 MB ones; 64 MB and more gain nothing more and hold more at once.
CHUNK_BYTES = 32 * 1024 * 1024
#: A line longer than this is read by the per-record path (which streams past one over the limit).
_MAX_VECTOR_LINE = 8 * 1024 * 1024

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


_QUERY: str | None = None


def _query() -> str:
    global _QUERY
    if _QUERY is None:
        _QUERY = build_query()
    return _QUERY


def _chunks(path: str) -> Iterator[tuple[int, int, int, memoryview | None]]:
    """``(offset, end, first_line, body)`` of whole lines, CHUNK_BYTES at a time; ``body`` None for
    one line longer than a chunk, skipped here without being held (the per-record reader streams
    past it within ``max_line_bytes``)."""
    with open(path, "rb") as fh:
        offset = 0
        line = 1
        while True:
            fh.seek(offset)
            block = fh.read(CHUNK_BYTES)
            if not block:
                return
            cut = block.rfind(b"\n")
            if cut == -1 and len(block) == CHUNK_BYTES:  # one line longer than a chunk
                del block  # hold none of it while the per-record reader streams past it
                consumed, _ = skip_line(fh)
                end = offset + CHUNK_BYTES + consumed
                yield offset, end, line, None
                offset = end
                line += 1
                continue
            body = memoryview(block) if cut == -1 else memoryview(block)[: cut + 1]  # no copy of the chunk
            size = len(body)
            yield offset, offset + size, line, body
            offset += size
            line += block.count(b"\n", 0, size)
            del body, block  # nothing of this chunk is held while the next is read
            if cut == -1:
                return


def _lines_table(body: memoryview | bytes, first_line: int) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The chunk's lines (newline kept: JSON whitespace) as an Arrow table, with each line's start
    and end offset in the chunk."""
    data = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(data == 10) + 1
    if len(ends) == 0 or ends[-1] != len(body):
        ends = np.append(ends, len(body))
    starts = np.concatenate(([0], ends[:-1]))
    offsets = pa.py_buffer(np.concatenate(([0], ends)).astype(np.int32).tobytes())
    lines = pa.Array.from_buffers(pa.binary(), len(ends), [None, offsets, pa.py_buffer(body)])
    numbers = pa.array(np.arange(first_line, first_line + len(ends), dtype=np.int64))
    try:
        text = lines.cast(pa.string())
    except pa.ArrowInvalid:  # invalid UTF-8 somewhere: those lines (null here) go to the per-record path
        valid = [_utf8(v) for v in lines.to_pylist()]
        text = pa.array([v if ok else None for v, ok in zip(lines.to_pylist(), valid, strict=True)], pa.binary()).cast(pa.string())
    table = pa.table({"line_no": numbers, "line": text})
    # Batches of a few thousand lines: DuckDB scans an Arrow table's batches on its threads.
    return pa.Table.from_batches(table.to_batches(max_chunksize=4096)), starts, ends


def _utf8(raw: bytes | None) -> bool:
    try:
        (raw or b"").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
    """Read an eligible file (see :func:`eligible`) chunk by chunk; within each chunk the lines
    handed over are read by the per-record loader and their rows put back in line order."""
    import duckdb
    import pyarrow.compute as pc

    from .otel_sdk_json import OtelSdkJsonLoader

    loader = OtelSdkJsonLoader()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    query = _query()
    parts: list[pa.Table] = []
    quarantines: list[pa.Table] = []
    constants: dict[str, pa.Array] = {}
    done = Read(SPAN_SCHEMA.empty_table(), QUARANTINE_SCHEMA.empty_table(), 0, 0, 0, Counter(), [], [])
    for offset, end, first_line, body in _chunks(path):
        ranges: list[tuple[int, int, int]] = []
        mapped = SPAN_SCHEMA.empty_table()
        if body is None:
            ranges.append((offset, end, first_line))
        else:
            lines, starts, ends = _lines_table(body, first_line)
            con.register("lines", lines)
            out = con.sql(query).to_arrow_table()
            con.unregister("lines")
            too_big = pc.greater(pc.binary_length(out.column("attributes")), 4 * limits.max_attributes)
            ok = pc.and_(pc.fill_null(out.column("ok"), False), pc.invert(pc.fill_null(too_big, False)))
            if len(body) > limits.max_line_bytes:  # a line over the limit is the per-record path's to report
                length = pc.binary_length(pc.take(lines.column("line"), pc.subtract(out.column("line_no"), first_line)))
                ok = pc.and_(ok, pc.less_equal(length, limits.max_line_bytes + 1))
            mapped = _as_spans(out if pc.all(ok).as_py() else out.filter(ok), shown)  # no copy when all are ok
            del out, lines, ok
            numbers = mapped.column("source_line").to_numpy()
            if len(numbers) > 1 and (np.diff(numbers) < 0).any():  # DuckDB keeps the scan's order; be sure
                mapped = mapped.sort_by("source_line")
                numbers = mapped.column("source_line").to_numpy()
            done.mapped_chunks.append(numbers.astype(np.int64, copy=True))
            taken = np.zeros(len(starts), dtype=bool)
            taken[numbers - first_line] = True
            for i in np.flatnonzero(~taken):  # only the lines handed over (none, on clean input)
                if bytes(body[starts[i]:ends[i]]).strip():  # blank lines are no records, as in the per-record path
                    ranges.append((offset + int(starts[i]), offset + int(ends[i]), first_line + int(i)))
            del body, starts, ends, taken  # the chunk's bytes are not held while its handed-over lines are read
        done.rows += mapped.num_rows
        if ranges:
            sink = SpanSink(FORMAT, shown, limits)
            loader.read(_RangesSource(path, sink, limits, shown, ranges), sink)
            done.rows += sink.rows
            done.quarantined += sink.quarantined
            done.merged += sink.merged_count
            done.reasons.update(sink.reasons)
            done.notes.extend(sink.notes)
            if sink.quarantined:
                quarantines.append(sink.quarantine_table())
            rest = sink.table()
            if rest.num_rows:  # put them back in line order, within this chunk only
                both = pa.concat_tables([mapped, rest])
                mapped = both.take(pc.sort_indices(both, sort_keys=[("source_line", "ascending")]))
        if mapped.num_rows:
            parts.append(_shared_constants(mapped, shown, constants))
    con.close()
    if parts:
        done.spans = pa.concat_tables(parts)
    if quarantines:
        done.quarantine = pa.concat_tables(quarantines)
    return done


def _shared_constants(table: pa.Table, shown: str, cache: dict[str, pa.Array]) -> pa.Table:
    """``source_format`` and ``source_file`` hold one value per file: every chunk's column becomes a
    slice of one array (one buffer for the file) instead of a copy of the text per row (issue 15
    item 5: ~130 MB at 3M spans)."""
    n = table.num_rows
    for name, text in (("source_format", FORMAT), ("source_file", shown)):
        whole = cache.get(name)
        if whole is None or len(whole) < n:
            whole = cache[name] = pa.repeat(pa.scalar(text, pa.string()), max(n, 1 << 15))
        index = SPAN_SCHEMA.get_field_index(name)
        table = table.set_column(index, SPAN_SCHEMA.field(index), whole.slice(0, n))
    return table


def _as_spans(table: pa.Table, shown: str) -> pa.Table:
    """DuckDB's result as span-table columns (the file's constant columns added)."""
    n = table.num_rows
    columns = []
    for field in SPAN_SCHEMA:
        if field.name == "source_format":
            columns.append(pa.array([FORMAT] * n, pa.string()) if n else pa.array([], pa.string()))
        elif field.name == "source_file":
            columns.append(pa.array([shown] * n, pa.string()) if n else pa.array([], pa.string()))
        elif field.name == "source_line":
            columns.append(table.column("line_no").cast(pa.int64()))
        elif field.name in ("start_time", "end_time"):
            columns.append(table.column(field.name).cast(pa.int64()).cast(field.type))
        else:
            columns.append(table.column(field.name).cast(field.type))
    return pa.Table.from_arrays(columns, schema=SPAN_SCHEMA)
