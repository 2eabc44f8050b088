"""A vectorised read of OTLP/JSON export requests, one per line (``otlp-json``; the collector's file
exporter and our generator's nights).

The per-record loader (:mod:`forensics.loaders.otlp_json`) parses each request with orjson and maps
each span in Python, ~25 us a span. Here ONE DuckDB query a file parses the lines, unnests
``resourceSpans/scopeSpans/spans`` and maps the columns in SQL on DuckDB's threads, the file
framed chunk by chunk as the OTel SDK path frames it (:mod:`forensics.loaders.vectorised`, whose
framing, hand-over and settling this module shares).

A line is mapped only when the layout pattern (:mod:`forensics.loaders.vectorised_otlp_sql`)
proves the per-record loader would make exactly the same rows from it, and when every one of its
spans passes the SQL's checks (``ok``: the SDK path's checks on the mapped attributes, distinct
attribute keys, the attribute text within max_attributes); a line is all mapped or all handed over,
so every line the per-record path would quarantine a span of, or read differently, is read by it,
with its own line number. ``tests/test_load_vectorised_otlp.py`` proves identical tables on every
OTLP/JSON-lines file we hold and on generated nights, and that hostile lines are handed over.
"""

from __future__ import annotations

import os
from collections import deque

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InternalError
from ..schema import SPAN_SCHEMA
from .arrow_columns import constant
from .base import Limits, Source, SpanSink, read_sample
from .vectorised import (
    Read,
    _bools,
    _ints,
    _Settle,
    read_lines,
)
from .vectorised_otlp_sql import FORMAT, build_query, layout

__all__ = ["FORMAT", "eligible", "read", "wanted"]

#: Files smaller than this are read record by record unless asked (DuckDB's start-up costs more than
#: its threads save on them).
MIN_BYTES = 16 * 1024 * 1024
#: Rows of DuckDB's streamed result settled at a time.
_RESULT_ROWS = 1 << 16
#: Lines in one batch of the stream DuckDB scans.
_BATCH_LINES = 1024


def wanted(path: str) -> bool:
    """``$FORENSICS_VECTORISED_OTLP`` (else ``$FORENSICS_VECTORISED``): ``0`` reads every line with
    the per-record loader, ``1`` uses this path whatever the size; unset, files of ``MIN_BYTES`` or
    more use it."""
    value = os.environ.get("FORENSICS_VECTORISED_OTLP", os.environ.get("FORENSICS_VECTORISED", "")).strip().lower()
    if value in ("0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    return os.path.getsize(path) >= MIN_BYTES


def eligible(path: str, limits: Limits) -> bool:
    """True when the per-record path would read ``path`` as plain JSON-lines, one request a line:
    not gzip, not a document, the first line one complete JSON object holding ``resourceSpans``."""
    sample = read_sample(path, limits)
    if sample.is_document or sample.head[:2] == b"\x1f\x8b" or not isinstance(sample.first, dict) \
            or "resourceSpans" not in sample.first:
        return False
    with open(path, "rb") as fh:
        probe = Source(path, SpanSink(FORMAT, path, limits), limits)
        first = fh.read(4096).lstrip(b" \t\r\n")
        if not first or first[:1] != b"{" or first.startswith(b"\xef\xbb\xbf"):
            return False
        fh.seek(0)
        return probe._looks_like_json_lines(fh)


_QUERY: str | None = None
_PATTERN: str | None = None


def _query() -> str:
    global _QUERY
    if _QUERY is None:
        _QUERY = build_query()
    return _QUERY


def _pattern() -> str:
    global _PATTERN
    if _PATTERN is None:
        _PATTERN = "^" + layout() + "$"
    return _PATTERN


def read(path: str, shown: str, limits: Limits) -> Read:
    """Read an eligible file (see :func:`eligible`) with ONE DuckDB query over a stream of its lines
    (the OTel SDK path's reader, :func:`forensics.loaders.vectorised.read_lines`); the lines it
    does not map are read by the per-record loader and put back in line order. A line's spans may
    go on in DuckDB's next result batch: the last line's are held back until its next call."""
    from .otlp_json import OtlpJsonLoader

    def take(settle: _Settle, out: pa.Table, final: bool) -> pa.Table | None:
        numbers = _ints(out.column("line_no"))
        if not len(numbers):
            return None
        if not bool((np.diff(numbers) >= 0).all()):
            raise InternalError("DuckDB returned the spans of a file out of line order", where=shown,
                                hint="this is a bug; FORENSICS_VECTORISED_OTLP=0 reads the file record by record")
        held = None
        if not final:  # the last line's spans may go on in the next batch: held back
            cut = int(np.searchsorted(numbers, numbers[-1]))
            if cut == 0:
                return out
            held, out, numbers = out.slice(cut), out.slice(0, cut), numbers[:cut]
        if numbers[0] < settle.next_line:
            raise InternalError(f"DuckDB returned line {numbers[0]:,} after line {settle.next_line - 1:,}",
                                where=shown, hint="this is a bug; FORENSICS_VECTORISED_OTLP=0 reads the file record by record")
        settle.upto(_mapped(out, numbers, shown, limits, settle.constants), int(numbers[-1]))
        return held

    settle = _Settle(path, shown, limits, deque(), FORMAT, OtlpJsonLoader())
    return read_lines(path, shown, limits, settle, query=_query(), take=take, pattern=_pattern(),
                      buffer="SET streaming_buffer_size = '96MB'", batch_lines=_BATCH_LINES, result_rows=_RESULT_ROWS)


def _mapped(out: pa.Table, numbers: np.ndarray, shown: str, limits: Limits,
            constants: dict[str, pa.Array]) -> pa.Table | None:
    """The spans of the lines whose every span is ``ok`` (and whose attribute text is within
    max_attributes, as the sink counts it), as span-table columns."""
    sizes = _ints(pc.binary_length(out.column("attributes")).cast(pa.int64()))
    ok = _bools(out.column("ok")) & (sizes <= 4 * limits.max_attributes)
    if not ok.all():
        ok &= ~np.isin(numbers, numbers[~ok])
        if not ok.any():
            return None
        mask = pa.Array.from_buffers(pa.bool_(), len(ok), [None, pa.py_buffer(np.packbits(ok, bitorder="little"))])
        out = out.filter(mask)
    columns = []
    for field in SPAN_SCHEMA:
        if field.name in ("source_format", "source_file"):
            columns.append(constant(field.name, FORMAT if field.name == "source_format" else shown, out.num_rows, constants))
        elif field.name == "source_line":
            columns.append(out.column("line_no").cast(pa.int64()))
        else:
            columns.append(out.column(field.name).cast(field.type))
    return pa.Table.from_arrays(columns, schema=SPAN_SCHEMA)
