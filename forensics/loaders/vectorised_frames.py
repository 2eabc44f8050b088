"""Framing a JSON-lines file for the vectorised readers (:mod:`forensics.loaders.vectorised`,
:mod:`forensics.loaders.vectorised_otlp`): the file read a chunk of whole lines at a time into Arrow's
pool, its newlines found with numpy, each chunk made a table of (line_no, line, fits) zero-copy over
the chunk, with the lines the SQL must not see (invalid UTF-8, too long) null and whether each line
matches the layout whole; all of it on a thread of its own ahead of DuckDB's scan (:class:`_Ahead`)."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .base import Limits, skip_line
from .vectorised_sql import layout

#: Bytes of the file framed at a time (whole lines): read, its newlines found, matched against the
#: layout, and handed to DuckDB's scan as batches of _BATCH_LINES lines. Up to four chunks are held
#: at once (the one DuckDB scans, two queued by _ahead, the one being framed); the query is planned
#: once a file, so a smaller chunk costs only its framing calls.
CHUNK_BYTES = 16 * 1024 * 1024
#: A line longer than this is read by the per-record path (which streams past one over the limit).
_MAX_VECTOR_LINE = 8 * 1024 * 1024

#: Newlines are found this many bytes at a time (a temporary that stays in the allocator's cache).
_SCAN_BYTES = 1 << 20

LINES_SCHEMA = pa.schema([("line_no", pa.int64()), ("line", pa.string()), ("fits", pa.bool_())])


@dataclass
class _Frame:
    """Where one chunk's lines are: the chunk's offset in the file, its first line number, and
    each line's start and end in the chunk (one line from 0 to its end for a line longer than a chunk)."""

    offset: int
    first_line: int
    starts: np.ndarray
    ends: np.ndarray

    @property
    def last_line(self) -> int:
        return self.first_line + len(self.ends) - 1


def _read_at(fh: Any, offset: int, size: int) -> pa.Buffer:
    """``size`` bytes (fewer at the end of the file) read into a buffer from Arrow's pool (its
    allocator reuses the memory of the chunks before: no fresh pages to fault in a chunk)."""
    buffer = pa.allocate_buffer(size)
    view = memoryview(buffer)
    fh.seek(offset)
    got = 0
    while got < size:
        n = fh.readinto(view[got:])
        if not n:
            break
        got += n
    del view
    return buffer if got == size else buffer.slice(0, got)


def _newlines(data: np.ndarray) -> np.ndarray:
    """Offsets of the newlines in ``data`` (int64), found a block at a time."""
    found = [np.flatnonzero(data[i:i + _SCAN_BYTES] == 10) + i for i in range(0, len(data), _SCAN_BYTES)]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _frames(path: str, limits: Limits, pattern: str | None = None) -> Iterator[tuple[_Frame, pa.Table | None]]:
    """The file's whole lines, CHUNK_BYTES at a time, each chunk as a table of (line_no, line) with
    the lines the SQL must not see null (so handed over); None for one line longer than a chunk,
    skipped here without being held (the per-record reader streams past it within max_line_bytes).
    ``pattern``: the layout a line must match whole (``fits``); the SDK span JSON's by default."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:  # buffered: skip_line reads a line in pieces
        offset, line = 0, 1
        while offset < size:
            block = _read_at(fh, offset, min(CHUNK_BYTES, size - offset))
            if block.size == 0:  # the file shrank while read
                return
            newlines = _newlines(np.frombuffer(block, dtype=np.uint8))
            if len(newlines) == 0 and block.size == CHUNK_BYTES and offset + CHUNK_BYTES < size:
                del block  # one line longer than a chunk: hold none of it
                fh.seek(offset + CHUNK_BYTES)
                end = offset + CHUNK_BYTES + skip_line(fh)[0]
                yield _Frame(offset, line, np.zeros(1, np.int64), np.array([end - offset], np.int64)), None
                offset, line = end, line + 1
                continue
            # Whole lines only (the rest is read again with the next chunk); the file may end without a newline.
            ends = newlines + 1 if len(newlines) else np.array([block.size], dtype=np.int64)
            body = block.slice(0, int(ends[-1]))
            del block
            starts = np.concatenate(([0], ends[:-1]))
            yield _Frame(offset, line, starts, ends), _lines_table(body, starts, ends, line, limits, pattern)
            offset += body.size
            line += len(ends)


def _ahead(items: Iterator[Any], depth: int = 2) -> _Ahead:
    """``items`` made in a thread of their own, up to ``depth`` ahead of the reader (see :class:`_Ahead`)."""
    return _Ahead(items, depth)


class _Ahead:
    """``items`` made in a thread of their own, up to ``depth`` ahead of the reader: the next chunk
    is read, framed and matched (numpy, Arrow and polars release the GIL) while DuckDB's threads map
    the one before, instead of one of them waiting under the scan's lock (issue 15 item 1). The
    thread starts when this is made, so the first chunks are framed while DuckDB is imported and
    plans the query (~0.4 s of one core that waited). An error is raised here, in the reader;
    :meth:`close` (a reader that stops early) stops the thread."""

    _DONE = object()

    def __init__(self, items: Iterator[Any], depth: int = 2) -> None:
        import queue
        import threading

        self._ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._finished = False
        self._worker = threading.Thread(target=self._make, args=(items,), name="forensics-frames", daemon=True)
        self._worker.start()

    def _put(self, item: Any) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _make(self, items: Iterator[Any]) -> None:
        try:
            for item in items:
                if not self._put((item, None)):
                    return
        except BaseException as exc:  # handed to the reader, which raises it
            self._put((None, exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # the file is closed in this thread, not whenever the generator is collected
        self._put((self._DONE, None))

    def __iter__(self) -> _Ahead:
        return self

    def __next__(self) -> Any:
        if self._finished:
            raise StopIteration
        item, error = self._ready.get()
        if error is not None:
            self.close()
            raise error
        if item is self._DONE:
            self.close()
            raise StopIteration
        return item

    def close(self) -> None:
        self._finished = True
        self._stop.set()
        self._worker.join()


def _lines_table(body: pa.Buffer, starts: np.ndarray, ends: np.ndarray, first_line: int, limits: Limits,
                 pattern: str | None = None) -> pa.Table:
    """The chunk's lines (newline kept: JSON whitespace) as text, zero-copy over ``body``; a line that
    is not valid UTF-8, or longer than the per-record reader takes whole or than _MAX_VECTOR_LINE,
    is null (the SQL drops it: the per-record path reads it)."""
    n = len(ends)
    offsets = np.empty(n + 1, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = ends
    lines = pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), body])
    long = (ends - starts) > min(limits.max_line_bytes + 1, _MAX_VECTOR_LINE)
    try:
        text = lines.cast(pa.string())
        bad = long if long.any() else None
    except pa.ArrowInvalid:  # invalid UTF-8 somewhere: find those lines by halving (a cast validates)
        bad = long | ~_utf8_mask(lines)
    if bad is not None:  # the bad lines made null by a validity bitmap over the same buffers (the cast skips them)
        valid = pa.py_buffer(np.packbits(~bad, bitorder="little"))
        text = pa.Array.from_buffers(pa.binary(), n, [valid, pa.py_buffer(offsets), body]).cast(pa.string())
    numbers = _numpy_array(np.arange(first_line, first_line + n, dtype=np.int64))
    return pa.Table.from_arrays([numbers, text, _fits(text, pattern)], schema=LINES_SCHEMA)


def _numpy_array(values: np.ndarray) -> pa.Array:
    """An int64 Arrow array over a numpy array's buffer (``pa.array`` would import pandas, ~0.4 s)."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def _fits(text: pa.Array, pattern: str | None = None) -> pa.Array:
    """Whether each line matches ``pattern`` whole (the SDK's layout, vectorised_sql.layout, by
    default), false for a null line.

    Matched here by polars (Rust's regex crate), not by RE2 in the SQL: the same pattern costs
    ~115 ms CPU a 32 MB chunk here against ~200 in DuckDB (issue 15 item 2), and it runs while
    DuckDB maps the lines before. A line holding one of otel_common.PER_RECORD_MARKS (a rule of the
    per-record loader the SQL does not map: the OpenAI Agents SDK trace span, read by its
    instrumentation scope) does not fit: the per-record loader reads it. The marks are looked for as
    one regex alternation of literals (the regex crate's SIMD literal search, ~4 ms a 16 MB chunk),
    not with ``str.contains_any`` (Aho-Corasick, ~80 ms a chunk: more than the layout regex itself)."""
    import polars as pl

    lines = pl.Series(values=text)
    return (lines.str.contains(pattern or _pattern()) & ~lines.str.contains(_marks_pattern())).fill_null(
        False).to_arrow()


@functools.cache
def _pattern() -> str:
    return "^" + layout() + "$"


@functools.cache
def _marks_pattern() -> str:
    """otel_common.PER_RECORD_MARKS as one alternation of literals (each mark's regex metacharacters escaped)."""
    from .otel_common import PER_RECORD_MARKS

    return "|".join(re.sub(r"([\\.+*?()|\[\]{}^$#&\-~])", r"\\\1", mark) for mark in PER_RECORD_MARKS)


def _utf8_mask(lines: pa.Array) -> np.ndarray:
    """Which lines are valid UTF-8: Arrow's cast validates a whole slice at once, so the slices that
    fail are halved until the bad lines are single (about 2 log2(n) casts a bad line)."""
    ok = np.ones(len(lines), dtype=bool)
    todo = [(0, len(lines))]
    while todo:
        lo, hi = todo.pop()
        try:
            lines.slice(lo, hi - lo).cast(pa.string())
        except pa.ArrowInvalid:
            if hi - lo == 1:
                ok[lo] = False
            else:
                mid = (lo + hi) // 2
                todo += [(mid, hi), (lo, mid)]
    return ok
