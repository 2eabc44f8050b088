"""Build small inline span tables for detector tests: name only the columns that matter.

Times are seconds after 2024-01-01T02:13:00Z, so explanations read 02:13:SS. Tables go through
the loaders' own finalisation (agent inheritance, transfer_to_* handoffs), so they look exactly
like loaded ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pyarrow as pa

from forensics.classify import Classification, classify
from forensics.load import finalize
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


def span(span_id: str, start: float = 0.0, end: float | None | str = "auto", **kw: Any) -> dict[str, Any]:
    """One row. ``start``/``end`` are seconds after T0; ``end=None`` means never ended; the
    default end is start + 0.5 s."""
    row: dict[str, Any] = {"span_id": span_id, **_DEFAULTS, **kw}
    row["start_time"] = at(start)
    row["end_time"] = at(start + 0.5) if end == "auto" else at(end)  # type: ignore[arg-type]
    return row


def spans(*rows: dict[str, Any], run_id: str = "r1") -> pa.Table:
    """A finalised SPAN_SCHEMA table; every row gets ``run_id`` unless it names its own."""
    unknown = {k for r in rows for k in r} - set(SPAN_SCHEMA.names)
    if unknown:
        raise KeyError(f"not span columns: {sorted(unknown)}")
    filled = []
    for i, r in enumerate(rows, start=1):
        r = {"run_id": run_id, "source_line": i, **r}
        filled.append({f.name: r.get(f.name) for f in SPAN_SCHEMA})
    table, quarantined = finalize(pa.Table.from_pylist(filled, schema=SPAN_SCHEMA))
    if quarantined.num_rows:
        raise ValueError(f"test table has bad rows: {quarantined.to_pylist()}")
    return table


def concat(*tables: pa.Table) -> pa.Table:
    return pa.concat_tables(tables)


def run(*rows: dict[str, Any], **kw: Any) -> Classification:
    """Classify one inline run with every detector."""
    return classify(spans(*rows), **kw)


def findings(c: Classification, detector: str | None = None) -> list[dict[str, Any]]:
    df = pl.DataFrame(pl.from_arrow(c.findings))
    if detector is not None:
        df = df.filter(pl.col("detector") == detector)
    return df.to_dicts()


def detectors(c: Classification) -> set[str]:
    """The detectors that raised a finding (strong or weak); hints, which set no class, are not."""
    return {f["detector"] for f in findings(c) if f.get("strength") != "hint"}


def raised(c: Classification) -> set[str]:
    """What a reviewer is shown, findings and hints: for a guard's tests (was the act taken as
    approved?) where the act is irreversible by its name alone, a hint (irreversible_evidence)."""
    return {f["detector"] for f in findings(c)}


def hints(c: Classification) -> set[str]:
    """The detectors that raised only a hint (schema.STRENGTHS: shown, setting no class)."""
    return {f["detector"] for f in findings(c) if f.get("strength") == "hint"}


def run_row(c: Classification, run_id: str = "r1") -> dict[str, Any]:
    df = pl.DataFrame(pl.from_arrow(c.runs)).filter(pl.col("run_id") == run_id)
    (row,) = df.to_dicts()
    return row


def one(c: Classification, detector: str) -> dict[str, Any]:
    """The single finding of ``detector`` (fails if it fired zero or several times)."""
    hits = findings(c, detector)
    assert len(hits) == 1, f"{detector} fired {len(hits)} times: {findings(c)}"
    return hits[0]
