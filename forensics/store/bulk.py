"""Arrow results -> database rows: runs and findings attributed to their input file, then inserted
in bulk by the fastest writer each dialect has (the driver's executemany on SQLite, COPY on
PostgreSQL, SQLAlchemy's executemany elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from forensics.errors import InternalError
from forensics.store.schema import _LIST_COLUMNS

if TYPE_CHECKING:
    from forensics.store.batch_writes import InputFile


def _path_keys(path: str) -> list[str]:
    p = Path(path)
    # The loader records paths relative to the cwd when they are under it (display_path).
    keys = {path, str(p), os.path.abspath(path), os.path.relpath(path)}
    try:
        keys.add(str(p.resolve()))
    except OSError:
        pass
    return sorted(keys)


def _attach_inputs(runs_table: pa.Table, inputs: Sequence[InputFile]) -> pl.DataFrame:
    """Runs as a polars frame with ``input_sha256`` from the input holding ``source_file``."""
    df = pl.from_arrow(runs_table)
    assert isinstance(df, pl.DataFrame)
    mapping = pl.DataFrame(
        [(k, i.sha256) for i in inputs for k in _path_keys(i.path)],
        schema={"source_file": pl.String, "input_sha256": pl.String},
        orient="row",
    ).unique("source_file", keep="first")
    out = df.join(mapping, on="source_file", how="left")
    if out.height and out["input_sha256"].null_count():
        orphans = out.filter(pl.col("input_sha256").is_null())["source_file"].unique().to_list()[:5]
        raise InternalError(
            f"runs name source files that are not inputs of this batch: {orphans}",
            hint="every run's source_file must be one of the paths given to the batch.",
        )
    return out


def _findings_with_inputs(findings_table: pa.Table, runs_df: pl.DataFrame) -> pl.DataFrame:
    df = pl.from_arrow(findings_table)
    assert isinstance(df, pl.DataFrame)
    out = df.join(runs_df.select("run_id", "input_sha256"), on="run_id", how="left")
    if out.height and out["input_sha256"].null_count():
        orphans = out.filter(pl.col("input_sha256").is_null())["run_id"].unique().to_list()[:5]
        raise InternalError(f"findings name runs that are not in the runs table: {orphans}")
    return out


def _db_rows(df: pl.DataFrame, batch_id: int, columns: Sequence[str],
             classifier_version: str | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and row tuples ready for executemany (timestamps as datetimes, lists as JSON);
    every row records the batch and, when given, the classifier version that produced it."""
    exprs: list[pl.Expr] = [pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"), pl.col("input_sha256")]
    if classifier_version is not None:
        exprs.append(pl.lit(classifier_version, dtype=pl.String).alias("classifier_version"))
    for name in columns:
        dtype = df.schema[name]
        if name in _LIST_COLUMNS:
            # JSON text via a struct round-trip: columnar, and the same escaping as any JSON encoder.
            exprs.append(
                pl.struct(pl.col(name).fill_null([]).alias("v")).struct.json_encode()
                .str.slice(5).str.head(-1).alias(name)
            )
        elif isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.cast_time_unit("us").alias(name))
        else:
            exprs.append(pl.col(name))
    out = df.select(exprs)
    names = out.columns
    return names, out.rows()


def _bulk_insert(conn: Connection, table: sa.Table, rows: tuple[list[str], list[tuple[Any, ...]]]) -> None:
    names, data = rows
    if not data:
        return
    writer = _BULK_WRITERS.get(conn.dialect.name, _bulk_insert_generic)
    writer(conn, table, names, data)


def _bulk_insert_generic(conn: Connection, table: sa.Table, names: list[str], data: list[tuple[Any, ...]]) -> None:
    conn.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in data])


def _bulk_insert_sqlite(conn: Connection, table: sa.Table, names: list[str], data: list[tuple[Any, ...]]) -> None:
    # The driver's executemany directly: SQLAlchemy's per-row parameter processing costs more
    # than the insert itself at a night's volume. Datetimes go in as SQLAlchemy's SQLite format.
    ts_cols = [i for i, n in enumerate(names) if isinstance(table.c[n].type, sa.DateTime)]
    if ts_cols:
        data = [_sqlite_ts_row(row, ts_cols) for row in data]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    conn.exec_driver_sql(sql, data)


def _sqlite_ts_row(row: tuple[Any, ...], ts_cols: list[int]) -> tuple[Any, ...]:
    out = list(row)
    for i in ts_cols:
        v = out[i]
        if v is not None:
            out[i] = v.strftime("%Y-%m-%d %H:%M:%S.%f")
    return tuple(out)


def _bulk_insert_postgres(conn: Connection, table: sa.Table, names: list[str], data: list[tuple[Any, ...]]) -> None:
    # COPY: the fastest way into PostgreSQL, inside the same transaction as everything else.
    dbapi = conn.connection.driver_connection
    with dbapi.cursor() as cur:  # type: ignore[union-attr]
        with cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)


_BULK_WRITERS: Final[dict[str, Callable[[Connection, sa.Table, list[str], list[tuple[Any, ...]]], None]]] = {
    "sqlite": _bulk_insert_sqlite,
}


def _register_postgres_writer() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:  # pragma: no cover
        return
    _BULK_WRITERS["postgresql"] = _bulk_insert_postgres


_register_postgres_writer()
