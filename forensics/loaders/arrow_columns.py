"""The span table's Arrow columns built from an engine's result batches: copied out of DuckDB's
buffers into exact-size ones (:func:`copied_out`), and the columns that hold one value a file shared as
slices of one array (:func:`shared_constants`), for the vectorised readers (vectorised.py,
vectorised_otlp.py)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..schema import SPAN_SCHEMA


def copied_out(table: pa.Table) -> pa.Table:
    """The rows copied out of DuckDB's result batches into exact-size buffers from Arrow's pool, one
    chunk a column (the file's constant columns are set after, as slices of one array).

    DuckDB exports a batch's buffers with malloc/realloc at power-of-two capacities (ArrowBuffer::
    reserve, duckdb src/include/duckdb/common/arrow/arrow_buffer.hpp) and frees them only when
    every column of the batch is released (one release callback a batch, arrow/cpp/src/arrow/c/
    bridge.cc ImportedArrayData): held for the table's life they kept their slack and the heap's
    holes between them (glibc's in-use bytes 1,416 MB for 1,771 MB of table buffers plus 1,254 MB
    mmapped at 3M spans), and a column finalize rewrites kept its old buffers beside the new ones.
    Copied, the batches go back to the heap at once, and the copies are taken from the same heap
    (the system allocator, not Arrow's mimalloc pool, which would keep its pages beside the heap's
    freed ones: +115 MB peak at 584k spans), so DuckDB's next batches and the copies reuse it."""
    pool = pa.system_memory_pool()
    return pa.Table.from_arrays(
        [column if name in CONSTANT_COLUMNS or not column.num_chunks else pa.concat_arrays(column.chunks, memory_pool=pool)
         for name, column in zip(table.column_names, table.columns, strict=True)], schema=table.schema)


#: Columns holding one value a file (see shared_constants).
CONSTANT_COLUMNS = ("source_format", "source_file")


def shared_constants(table: pa.Table, shown: str, cache: dict[str, pa.Array], format: str) -> pa.Table:
    """``source_format`` and ``source_file`` hold one value per file: every chunk's column becomes a
    slice of one array (one buffer for the file) instead of a copy of the text per row (issue 15
    item 5: ~130 MB at 3M spans)."""
    for name, text in (("source_format", format), ("source_file", shown)):
        index = SPAN_SCHEMA.get_field_index(name)
        table = table.set_column(index, SPAN_SCHEMA.field(index), constant(name, text, table.num_rows, cache))
    return table


def constant(name: str, text: str, n: int, cache: dict[str, pa.Array]) -> pa.Array:
    whole = cache.get(name)
    if whole is None or len(whole) < n:
        whole = cache[name] = repeat_text(text, max(n, 1 << 15))
    return whole.slice(0, n)


def repeat_text(text: str, n: int) -> pa.Array:
    """``text`` n times as a string array, built from its buffers (``pa.repeat`` imports pandas)."""
    data = text.encode()
    offsets = np.arange(n + 1, dtype=np.int32) * len(data)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data * n)])
