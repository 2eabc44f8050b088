"""Reading back: runs, findings and batches as polars frames (filtered in SQL), one batch, table
counts, and the per-class trend behind the fleet chart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from forensics.errors import InputError, StoreError
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA, empty_table
from forensics.store.connection import Store, open_store
from forensics.store.schema import batch_inputs, batches, findings, runs


def _since(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InputError(
                f"`{value}` is not a date or time",
                hint="use ISO 8601, e.g. 2026-11-20 or 2026-11-20T02:00:00+00:00.",
            ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _frame(conn: Connection, query: sa.Select[Any], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    result = conn.execute(query)
    names = list(result.keys())
    data = result.all()
    cols: list[Sequence[Any]] = list(zip(*data, strict=True)) if data else [() for _ in names]
    series = []
    for name, values in zip(names, cols, strict=True):
        dtype = schema[name]
        if isinstance(dtype, pl.Datetime):
            # A naive value (SQLite) is UTC, an aware one (PostgreSQL) is converted: polars does
            # both for the whole column (a Python call per value cost as much as the read).
            s = pl.Series(name, values, dtype=pl.Datetime("us", "UTC"))
            series.append(s.dt.cast_time_unit("ns"))
        elif isinstance(dtype, pl.List):
            s = pl.Series(name, values, dtype=pl.String)
            series.append(s.str.json_decode(dtype))
        elif dtype == pl.String and name in ("inputs", "counts", "problems"):
            series.append(pl.Series(name, [json.dumps(v) if v is not None else None for v in values],
                                    dtype=pl.String))
        else:
            series.append(pl.Series(name, values, dtype=dtype))
    return pl.DataFrame(series)


def _arrow_schema_to_polars(schema: pa.Schema) -> dict[str, pl.DataType]:
    # (schema.empty_table() imports pandas: ~1 s of every nightly job, which needs none.)
    table = pl.from_arrow(empty_table(schema))
    assert isinstance(table, pl.DataFrame)
    return dict(table.schema)


# classifier_version: which classifier stored the row (forensics.classifier_version; NULL before 0003).
_RUN_PL: Final = {"batch_id": pl.Int64(), "input_sha256": pl.String(), **_arrow_schema_to_polars(RUN_SCHEMA),
                  "classifier_version": pl.String()}
_FINDING_PL: Final = {"batch_id": pl.Int64(), "input_sha256": pl.String(),
                      **_arrow_schema_to_polars(FINDING_SCHEMA), "classifier_version": pl.String()}
_BATCH_PL: Final[dict[str, pl.DataType]] = {
    "id": pl.Int64(), "started_at": pl.Datetime("ns", "UTC"), "finished_at": pl.Datetime("ns", "UTC"),
    "heartbeat_at": pl.Datetime("ns", "UTC"), "status": pl.String(), "policy_version": pl.String(),
    "toolkit_version": pl.String(), "forced": pl.Boolean(), "pid": pl.Int64(), "hostname": pl.String(),
    "command": pl.String(), "inputs": pl.String(), "counts": pl.String(), "problems": pl.String(),
    "error": pl.String(), "classifier_version": pl.String(),
}


def _store_of(store: Store | str | None) -> tuple[Store, bool]:
    if isinstance(store, Store):
        return store, False
    return open_store(store), True


def _read(store: Store | str | None, query: sa.Select[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run one read query on ``store`` (a Store, a URL, or None for the default), closing what it opened."""
    st, owned = _store_of(store)
    try:
        with st.engine.connect() as conn:
            return _frame(conn, query, schema)
    finally:
        if owned:
            st.close()


def _window(query: sa.Select[Any], column: sa.ColumnElement[Any], since: datetime | str | None,
            until: datetime | str | None) -> sa.Select[Any]:
    """``since <= column < until``, each bound only when given (dates or ISO times)."""
    lo, hi = _since(since), _since(until)
    if lo is not None:
        query = query.where(column >= lo)
    if hi is not None:
        query = query.where(column < hi)
    return query


def _equal(query: sa.Select[Any], pairs: Iterable[tuple[sa.ColumnElement[Any], Any]]) -> sa.Select[Any]:
    """``column == value`` for every pair whose value is given (None means no filter)."""
    for column, value in pairs:
        if value is not None:
            query = query.where(column == value)
    return query


def read_runs(
    store: Store | str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    run_id: str | None = None,
    *,
    batch_id: int | None = None,
    policy_version: str | None = None,
) -> pl.DataFrame:
    """Stored runs (RUN_SCHEMA columns + ``batch_id``, ``input_sha256``, ``classifier_version``), oldest first.

    ``since``/``until`` bound the run's ``start_time`` (``until`` exclusive); dates or ISO times.
    """
    q = _window(sa.select(*[runs.c[n] for n in _RUN_PL]), runs.c.start_time, since, until)
    q = _equal(q, [(runs.c.run_id, run_id), (runs.c.batch_id, batch_id), (runs.c.policy_version, policy_version)])
    return _read(store, q.order_by(runs.c.start_time, runs.c.run_id, runs.c.batch_id), _RUN_PL)


def read_findings(
    store: Store | str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    run_id: str | None = None,
    *,
    batch_id: int | None = None,
    policy_version: str | None = None,
) -> pl.DataFrame:
    """Stored findings (FINDING_SCHEMA columns + ``batch_id``, ``input_sha256``, ``classifier_version``).

    ``since``/``until`` bound the start time of the finding's run, so a night's findings come with
    the same filter as its runs.
    """
    q = sa.select(*[findings.c[n] for n in _FINDING_PL])
    if since is not None or until is not None:
        q = q.join(runs, sa.and_(runs.c.batch_id == findings.c.batch_id, runs.c.run_id == findings.c.run_id))
        q = _window(q, runs.c.start_time, since, until)
    q = _equal(q, [(findings.c.run_id, run_id), (findings.c.batch_id, batch_id),
                   (findings.c.policy_version, policy_version)])
    return _read(store, q.order_by(findings.c.id), _FINDING_PL)


def read_batches(
    store: Store | str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    *,
    status: str | None = None,
) -> pl.DataFrame:
    """Batch records, oldest first; ``inputs``, ``counts`` and ``problems`` as JSON text."""
    q = _window(sa.select(*[batches.c[n] for n in _BATCH_PL]), batches.c.started_at, since, until)
    q = _equal(q, [(batches.c.status, status)])
    return _read(store, q.order_by(batches.c.id), _BATCH_PL)


def get_batch(store: Store, batch_id: int) -> dict[str, Any]:
    """One batch record as a dict (JSON columns decoded)."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(batches).where(batches.c.id == batch_id)).mappings().one_or_none()
    if row is None:
        raise StoreError(f"no batch {batch_id} in the store", hint="`forensics report` lists the batches.")
    return dict(row)


def table_counts(store: Store) -> dict[str, int]:
    """Row counts of every table (for tests and the summary)."""
    with store.engine.connect() as conn:
        return {
            t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
            for t in (batches, batch_inputs, runs, findings)
        }


def class_trend(
    store: Store | str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    *,
    every: str = "1d",
) -> pl.DataFrame:
    """Findings and affected runs per failure class per period (``every``: a polars duration,
    ``1d`` = per night by the runs' start time): the data behind the fleet trend chart."""
    st, owned = _store_of(store)
    try:
        runs_df = read_runs(st, since=since, until=until)
        finds = read_findings(st, since=since, until=until)
    finally:
        if owned:
            st.close()
    return trend_from_frames(runs_df, finds, every=every)


def trend_from_frames(runs_df: pl.DataFrame, finds: pl.DataFrame, *, every: str = "1d") -> pl.DataFrame:
    """:func:`class_trend` over frames already read (runs and findings with ``batch_id``)."""
    schema: dict[str, pl.DataType] = {"period": pl.Datetime("ns", "UTC"), "failure_class": pl.String(),
                                      "findings": pl.UInt32(), "runs": pl.UInt32(), "runs_in_period": pl.UInt32()}
    if finds.is_empty() or runs_df.is_empty():
        return pl.DataFrame(schema=schema)
    starts = runs_df.select("batch_id", "run_id", pl.col("start_time").dt.truncate(every).alias("period"))
    totals = starts.group_by("period").agg(pl.len().alias("runs_in_period"))
    return (
        finds.join(starts, on=["batch_id", "run_id"], how="inner")
        .group_by("period", "failure_class")
        .agg(pl.len().alias("findings"), pl.col("run_id").n_unique().alias("runs"))
        .join(totals, on="period", how="left")
        .sort("period", "failure_class")
        .cast(schema)  # type: ignore[arg-type,unused-ignore]
    )
