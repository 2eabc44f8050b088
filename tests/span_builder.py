"""Build small inline span tables for detector tests: name only the columns that matter.

Times are given as seconds after 2024-01-01T02:13:00Z, so explanations read 02:13:SS.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from forensics.schema import SPAN_SCHEMA

T0 = datetime(2024, 1, 1, 2, 13, 0, tzinfo=UTC)
_DEFAULTS: dict[str, Any] = {
    "kind": "unknown",
    "status": "ok",
    "source_format": "test",
    "source_file": "inline",
}


def at(seconds: float | None) -> datetime | None:
    return None if seconds is None else T0 + timedelta(seconds=seconds)


def span(span_id: str, **kw: Any) -> dict[str, Any]:
    """One row. ``start``/``end`` are seconds after T0 (``end=None`` means never ended);
    an omitted ``end`` defaults to start + 1 s."""
    row: dict[str, Any] = {"span_id": span_id, **_DEFAULTS}
    start = kw.pop("start", 0.0)
    end = kw.pop("end", "default")
    row["start_time"] = at(start)
    row["end_time"] = (
        at(start + 1.0) if end == "default" and start is not None else at(end) if end != "default" else None
    )
    row.update(kw)
    return row


def spans(*rows: dict[str, Any], run_id: str = "r1") -> pa.Table:
    """A SPAN_SCHEMA table; every row gets ``run_id`` unless it names its own."""
    filled = []
    for i, r in enumerate(rows, start=1):
        r = {"run_id": run_id, "source_line": i, **r}
        filled.append({f.name: r.get(f.name) for f in SPAN_SCHEMA})
    unknown = {k for r in rows for k in r} - set(SPAN_SCHEMA.names)
    if unknown:
        raise KeyError(f"not span columns: {sorted(unknown)}")
    return pa.Table.from_pylist(filled, schema=SPAN_SCHEMA)


def concat(*tables: pa.Table) -> pa.Table:
    return pa.concat_tables(tables)
