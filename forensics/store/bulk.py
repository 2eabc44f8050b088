"""Arrow results -> database rows: runs and findings attributed to their input file, then inserted
in bulk by the fastest writer each dialect has (the driver's executemany on SQLite, one CSV COPY
on PostgreSQL, SQLAlchemy's executemany elsewhere), from frames converted column by column.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

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
        [(k, i.sha256) for i in inputs for k in [*_path_keys(i.path), *i.sources]],
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


def _db_frame(df: pl.DataFrame, batch_id: int, columns: Sequence[str],
              classifier_version: str | None = None) -> pl.DataFrame:
    """The rows to insert, as a frame (timestamps in µs, lists as JSON text); every row records
    the batch and, when given, the classifier version that produced it."""
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
    return df.select(exprs)


def _bulk_insert(conn: Connection, table: sa.Table, rows: pl.DataFrame) -> None:
    if rows.height == 0:
        return
    writer = _BULK_WRITERS.get(conn.dialect.name, _bulk_insert_generic)
    writer(conn, table, rows)


def _bulk_insert_generic(conn: Connection, table: sa.Table, rows: pl.DataFrame) -> None:
    conn.execute(table.insert(), rows.to_dicts())


#: A timestamp as text: SQLAlchemy's SQLite ``DATETIME`` storage format (UTC wall time, no
#: offset; PostgreSQL's COPY gets it with ``+00:00``), written by polars for a whole column.
_DATETIME_TEXT: Final = "%Y-%m-%d %H:%M:%S.%6f"


def _bulk_insert_sqlite(conn: Connection, table: sa.Table, rows: pl.DataFrame) -> None:
    # The driver's executemany directly: SQLAlchemy's per-row parameter processing costs more
    # than the insert itself at a night's volume. Timestamps go in as SQLAlchemy's SQLite text,
    # formatted column by column (a strftime per value took a third of the write).
    text = rows.with_columns(
        pl.col(n).dt.convert_time_zone("UTC").dt.strftime(_DATETIME_TEXT)
        for n, dtype in rows.schema.items() if isinstance(dtype, pl.Datetime)
    )
    sql = f"INSERT INTO {table.name} ({', '.join(text.columns)}) VALUES ({', '.join('?' for _ in text.columns)})"
    conn.exec_driver_sql(sql, text.rows())


def _bulk_insert_postgres(conn: Connection, table: sa.Table, rows: pl.DataFrame) -> None:
    # COPY: the fastest way into PostgreSQL, inside the same transaction as everything else. The
    # rows go as one CSV text written by polars over whole columns, not a write_row per row. In
    # PostgreSQL's CSV format an unquoted empty field is NULL and a quoted one ("") the empty
    # string, which is how polars writes null and "" (every text field quoted: non_numeric).
    text = rows.with_columns(
        pl.col(n).dt.convert_time_zone("UTC").dt.strftime(f"{_DATETIME_TEXT}+00:00")
        for n, dtype in rows.schema.items() if isinstance(dtype, pl.Datetime)
    )
    data = text.write_csv(include_header=False, quote_style="non_numeric", line_terminator="\n")
    dbapi = conn.connection.driver_connection
    with dbapi.cursor() as cur:  # type: ignore[union-attr]
        with cur.copy(f"COPY {table.name} ({', '.join(text.columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(data.encode("utf-8"))


_BULK_WRITERS: Final[dict[str, Callable[[Connection, sa.Table, pl.DataFrame], None]]] = {
    "sqlite": _bulk_insert_sqlite,
}


def _register_postgres_writer() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:  # pragma: no cover
        return
    _BULK_WRITERS["postgresql"] = _bulk_insert_postgres


_register_postgres_writer()
