"""Rows of Arrow columns as numpy, and columns patched at rows: the helpers finalisation
(forensics/finalize.py) and the passes it runs (forensics/graph_node_agents.py) share. Masks and
row numbers, not copies of text columns: a night of spans is never copied whole."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc


def whole(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def numbers(array: pa.Array, dtype: type) -> np.ndarray:
    """A numeric array without nulls as numpy, read from its buffer (``to_numpy`` imports pandas)."""
    size = np.dtype(dtype).itemsize
    if len(array) == 0:
        return np.zeros(0, dtype)
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=size * array.offset)


def bits(buffer: pa.Buffer, offset: int, n: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(buffer, dtype=np.uint8), bitorder="little")[offset:offset + n].astype(bool)


def valid_bits(array: pa.Array) -> np.ndarray | None:
    """Which entries are not null (None when none is)."""
    if array.null_count == 0:
        return None
    return bits(array.buffers()[0], array.offset, len(array))


def mask(condition: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean column as numpy, null read as false (``fill_null`` with a Python value imports
    pandas, through ``pa.scalar``)."""
    array = whole(condition)
    if len(array) == 0:
        return np.zeros(0, bool)
    values = bits(array.buffers()[1], array.offset, len(array))
    valid = valid_bits(array)
    return values if valid is None else values & valid


def repeated_text(text: str, n: int) -> pa.Array:
    """``text`` n times, built from buffers."""
    data = text.encode()
    offsets = np.arange(n + 1, dtype=np.int32) * len(data)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data * n)])


def texts(values: list[str]) -> pa.Array:
    """A string array built from its buffers (``pa.array`` imports pandas)."""
    data = [v.encode() for v in values]
    offsets = np.zeros(len(data) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(d) for d in data])
    return pa.Array.from_buffers(pa.string(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


def arrow_mask(mask: np.ndarray) -> pa.Array:
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(np.packbits(mask, bitorder="little"))])


def chunks_of(column: pa.ChunkedArray | pa.Array) -> list[pa.Array]:
    return list(column.chunks) if isinstance(column, pa.ChunkedArray) else [column]


def chunk_bounds(chunks: list[pa.Array]) -> np.ndarray:
    """Where each chunk starts, and the end."""
    return np.cumsum([0, *(len(c) for c in chunks)]).astype(np.int64)


def gather(column: pa.ChunkedArray | pa.Array, rows: np.ndarray) -> pa.Array:
    """The values at ``rows`` (none negative), taken chunk by chunk and put back in ``rows``' order:
    ``take`` on a chunked column concatenates its chunks first, a copy of the whole column."""
    chunks = chunks_of(column)
    if not chunks or not len(rows):
        return pa.nulls(0, column.type)  # (``pa.array`` imports pandas)
    bounds = chunk_bounds(chunks)
    which = np.searchsorted(bounds, rows, side="right") - 1
    order = np.argsort(which, kind="stable")
    starts = np.searchsorted(which[order], np.arange(len(chunks) + 1))
    parts = [chunk.take(indices(rows[order[lo:hi]] - bounds[i]))
             for i, (chunk, lo, hi) in enumerate(zip(chunks, starts[:-1], starts[1:], strict=True)) if hi > lo]
    inverse = np.empty(len(order), np.int64)
    inverse[order] = np.arange(len(order))
    return pa.concat_arrays(parts).take(indices(inverse))


def patch(column: pa.ChunkedArray | pa.Array, rows: np.ndarray, values: Callable[[int, int], pa.Array]) -> pa.ChunkedArray:
    """The column with new values at ``rows`` (ascending, unique), rewritten chunk by chunk; the
    values at ``rows[lo:hi]`` are ``values(lo, hi)``, made for one chunk at a time (not a column of
    them all, as large as the column when most rows change). A chunk without a changed row is kept
    as it is. The read's chunks are views of DuckDB's record batches,
    and an imported batch is released only when every column of it is (Arrow's C data interface: one
    release callback per batch, arrow/cpp/src/arrow/c/bridge.cc ``ImportedArrayData``), so a
    replaced chunk is not freed while the table lives: only the chunks that change are new memory."""
    chunks = chunks_of(column)
    bounds = chunk_bounds(chunks)
    starts = np.searchsorted(rows, bounds)
    out = []
    for i, chunk in enumerate(chunks):
        lo, hi = int(starts[i]), int(starts[i + 1])
        if hi == lo:
            out.append(chunk)
            continue
        where = np.zeros(len(chunk), bool)
        where[rows[lo:hi] - bounds[i]] = True
        out.append(pc.replace_with_mask(chunk, arrow_mask(where), values(lo, hi).cast(chunk.type)))
    return pa.chunked_array(out, column.type)


def indices(rows: np.ndarray) -> pa.Array:
    """Row numbers (``-1`` for none) as an int64 Arrow array with nulls, for ``take``."""
    valid = rows >= 0
    data = np.where(valid, rows, 0).astype(np.int64)
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.int64(), len(rows), [bitmap, pa.py_buffer(data)])


def nullable(values: np.ndarray) -> pl.Series:
    """Codes (``-1`` for none) as a polars column with nulls."""
    valid = values >= 0
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pl.Series(pa.Array.from_buffers(pa.int64(), len(values), [bitmap, pa.py_buffer(np.ascontiguousarray(values, dtype=np.int64))]))
