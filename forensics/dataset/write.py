"""Appending: part files and their commit record written atomically, one append per commit;
runs and findings written back once per policy.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from forensics.errors import InternalError

if TYPE_CHECKING:
    from forensics.classify import Classification
    from forensics.load import LoadResult
from forensics.dataset.atomic import fsync_dir, write_json_atomic
from forensics.dataset.layout import (
    COMMITS_DIR,
    LAYOUT_VERSION,
    ROW_GROUP_ROWS,
    UNKNOWN_DATE,
    DatasetSchemaError,
    PartFile,
    TableSpec,
    _bucket_column,
    _commits,
    _key,
    _open_for_append,
    dataset_info,
    table_spec,
)
from forensics.dataset.read import DateFilter, files


@dataclass(frozen=True)
class AppendResult:
    """What one committed append wrote."""

    append_id: str
    #: Relative paths of the part files, in the order written.
    files: list[str]
    #: Rows per partition, keyed ``<table>/date=.../bucket=NNNN``.
    rows: dict[str, int]
    #: Rows per table.
    tables: dict[str, int] = field(default_factory=dict)
    redacted: bool = True
    #: True when nothing was written because an earlier append (``append_id``) already holds
    #: these results (same spans read, same policy): see :func:`write_results`.
    already_written: bool = False


def _new_append_id() -> str:
    # Sortable by time, unique without coordination.
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:8]}"


class DatasetWriter:
    """One atomic append of any number of tables: ``add`` them, then ``commit``.

    Used as a context manager it commits on a clean exit and removes the files it wrote when the
    block raises. A process that dies before the commit leaves only uncommitted files, which
    readers never see and :func:`repair` removes.
    """

    def __init__(self, root: str | os.PathLike[str], *, n_buckets: int | None = None,
                 redact: bool | None = None, redaction_policy: Any = None) -> None:
        from forensics.redact import redaction_banner, resolve_redaction_policy

        self.root = Path(root)
        self._policy_arg = redaction_policy
        self.info = _open_for_append(
            self.root, n_buckets, redact,
            lambda state: redaction_banner(state, resolve_redaction_policy(redaction_policy) if state else None),
        )
        self.redaction_policy = resolve_redaction_policy(redaction_policy) if self.info.redacted else None
        self.append_id = _new_append_id()
        self._files: list[dict[str, Any]] = []
        self._written: list[Path] = []
        self._committed = False
        #: Extra facts for the commit record (write_results: which spans under which policy).
        self.note: dict[str, Any] = {}

    @property
    def redacted(self) -> bool:
        return self.info.redacted

    def banner(self) -> str:
        from forensics.redact import redaction_banner

        return redaction_banner(self.info.redacted, self.redaction_policy)

    def add(self, table: pa.Table, table_name: str = "spans", *, dates: pl.DataFrame | None = None,
            already_redacted: bool = False) -> None:
        """Write ``table``'s part files (not yet visible to readers).

        ``dates``: an optional ``{_key, _date}`` frame giving the date of each grouping key (the
        findings of a classification take their run's date). ``already_redacted``: the caller
        redacted the table's text columns under this dataset's policy.
        """
        if self._committed:
            raise InternalError("DatasetWriter.add after commit", hint="open a new DatasetWriter per append.")
        spec = table_spec(table_name)
        table = _conform(table, spec, where=f"append to {self.root}/{table_name}")
        if table.num_rows == 0:
            return
        if self.redaction_policy is not None and not already_redacted and spec.redact_columns != ():
            from forensics.redact import redact_table

            wanted = spec.redact_columns if spec.redact_columns is not None else self.redaction_policy.columns
            cols = [c for c in wanted if c in table.column_names]
            if cols:
                table = redact_table(table, self.redaction_policy, columns=cols)
        from forensics.redact import with_redaction_metadata

        table = with_redaction_metadata(table, self.info.redacted, self.redaction_policy)
        plan = _plan(table, spec, self.info.n_buckets, dates)
        ordered = table.take(plan.get_column("_row").to_arrow())
        bounds = (plan.with_row_index("_pos")
                  .group_by(["_date", "_bucket"], maintain_order=True)
                  .agg(pl.col("_pos").first(), pl.len()))
        for d, b, start, length in bounds.iter_rows():
            rel = Path(table_name) / f"date={d}" / f"bucket={b:04d}" / f"part-{self.append_id}-{len(self._files)}.parquet"
            self._write_part(ordered.slice(start, length), rel)
            self._files.append({"table": table_name, "path": rel.as_posix(), "date": d, "bucket": int(b),
                                "rows": int(length)})

    def _write_part(self, part: pa.Table, rel: Path) -> None:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        self._written.append(tmp)
        with open(tmp, "wb") as fh:
            pq.write_table(part, fh, compression="zstd", row_group_size=ROW_GROUP_ROWS)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        self._written.append(target)

    def commit(self) -> AppendResult:
        """Make the append visible: write its commit record (atomically)."""
        if self._committed:
            raise InternalError("DatasetWriter.commit twice", hint="open a new DatasetWriter per append.")
        for directory in {(self.root / f["path"]).parent for f in self._files}:
            fsync_dir(directory)
        rows: dict[str, int] = {}
        tables: dict[str, int] = {}
        for f in self._files:
            part = f"{f['table']}/date={f['date']}/bucket={f['bucket']:04d}"
            rows[part] = rows.get(part, 0) + f["rows"]
            tables[f["table"]] = tables.get(f["table"], 0) + f["rows"]
        if self._files:
            record = {"append_id": self.append_id, "committed": datetime.now(UTC).isoformat(),
                      "layout_version": LAYOUT_VERSION, "redacted": self.info.redacted,
                      "redaction": self.banner(), "tables": tables, "files": self._files,
                      **({"note": self.note} if self.note else {})}
            write_json_atomic(record, self.root / COMMITS_DIR / f"{self.append_id}.json")
        self._committed = True
        return AppendResult(self.append_id, [f["path"] for f in self._files], rows, tables, self.info.redacted)

    def abort(self) -> None:
        """Remove what this append wrote (nothing was committed)."""
        if not self._committed:
            for path in self._written:
                path.unlink(missing_ok=True)
            self._files.clear()
            self._written.clear()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            if not self._committed:
                self.commit()
        else:
            self.abort()


def _conform(table: pa.Table, spec: TableSpec, where: str) -> pa.Table:
    """``table`` with exactly the spec's columns and types, or a clear error."""
    missing = [f.name for f in spec.schema if f.name not in table.column_names]
    if missing:
        raise DatasetSchemaError(
            f"the table lacks column(s) {', '.join(f'`{m}`' for m in missing)} of the {spec.name} schema",
            where=where,
            hint=f"append a table with the {spec.name} schema (forensics.schema); spans come from forensics.load().",
        )
    try:
        return table.select([f.name for f in spec.schema]).cast(spec.schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise DatasetSchemaError(f"the table's columns cannot be cast to the {spec.name} schema: {exc}",
                                 where=where, hint="check the column types against forensics.schema.") from None


def _plan(table: pa.Table, spec: TableSpec, n_buckets: int, dates: pl.DataFrame | None) -> pl.DataFrame:
    """Per row: its date, bucket and position after sorting (``_row`` indexes ``table``)."""
    narrow = pl.from_arrow(table.select(list(spec.narrow)))
    if not isinstance(narrow, pl.DataFrame):  # pragma: no cover - a Table always gives a DataFrame
        raise InternalError("expected a table, got a column")
    narrow = narrow.with_row_index("_row")
    if not spec.keyed:
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        return narrow.with_columns(pl.lit(today).alias("_date"), pl.lit(0, pl.Int32).alias("_bucket")).sort(
            list(spec.sort), nulls_last=True, maintain_order=True)
    narrow = narrow.with_columns(spec.key().alias("_key"))
    own = spec.time().min().over("_key").dt.strftime("%Y-%m-%d")
    if dates is not None:
        narrow = narrow.join(dates.select("_key", pl.col("_date").alias("_given")), on="_key", how="left")
        narrow = narrow.with_columns(pl.coalesce("_given", own).alias("_date")).drop("_given")
    else:
        narrow = narrow.with_columns(own.alias("_date"))
    narrow = narrow.with_columns(pl.col("_date").fill_null(UNKNOWN_DATE))
    narrow = narrow.join(_bucket_column(narrow.get_column("_key"), n_buckets), on="_key", how="left")
    return narrow.sort(["_date", "_bucket", "_key", *spec.sort], nulls_last=True, maintain_order=True)


def append(table: pa.Table, root: str | os.PathLike[str], *, table_name: str = "spans",
           n_buckets: int | None = None, redact: bool | None = None,
           redaction_policy: Any = None) -> AppendResult:
    """Append ``table`` (a ``table_name`` table) to the dataset at ``root``, atomically.

    Creates the dataset when ``root`` is new or empty, with ``n_buckets`` (default 64) and
    redacted unless ``redact=False``; on an existing dataset ``n_buckets`` and ``redact`` must
    agree with it (None: follow it).
    """
    with DatasetWriter(root, n_buckets=n_buckets, redact=redact, redaction_policy=redaction_policy) as w:
        w.add(table, table_name)
        return w.commit()


def append_load(result: LoadResult, root: str | os.PathLike[str], *, n_buckets: int | None = None,
                redact: bool | None = None, redaction_policy: Any = None) -> AppendResult:
    """Append a loader's output (spans and quarantine) to ``root`` in one commit."""
    with DatasetWriter(root, n_buckets=n_buckets, redact=redact, redaction_policy=redaction_policy) as w:
        w.add(result.spans, "spans")
        w.add(result.quarantine, "quarantine")
        return w.commit()


def run_dates(runs: pa.Table) -> pl.DataFrame:
    """``{_key, _date}``: each group's date from a runs table (what its spans were dated by)."""
    frame = pl.from_arrow(runs.select(["run_id", "session_id", "start_time"]))
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover
        raise InternalError("expected a table, got a column")
    return (frame.with_columns(_key(pl.col("session_id")).alias("_key"))
            .group_by("_key").agg(pl.col("start_time").min().dt.strftime("%Y-%m-%d").alias("_date")))


def spans_read_key(root: str | os.PathLike[str], date: DateFilter = None, *,
                   parts: Sequence[PartFile] | None = None) -> str:
    """Identity of what a classification of ``date`` reads (or of ``parts``): a hash of the
    committed span part files (immutable once committed), so new appends give a new key."""
    chosen = files(root, "spans", date=date) if parts is None else parts
    paths = sorted(p.path for p in chosen)
    return hashlib.sha256("\n".join(paths).encode()).hexdigest()


def results_written(root: str | os.PathLike[str], source: str, policy_version: str) -> str | None:
    """The append id of results already written for spans ``source`` under ``policy_version``."""
    for record in _commits(Path(root)):
        note = record.get("note") or {}
        if note.get("source") == source and note.get("policy_version") == policy_version:
            return str(record["append_id"])
    return None


def write_results(classification: Classification, root: str | os.PathLike[str], *,
                  redact: bool | None = None, redaction_policy: Any = None,
                  already_redacted: bool = False, source: str | None = None) -> AppendResult:
    """Append a classification's runs and findings to ``root`` in one commit, partitioned like
    their spans (a finding takes its run's date and bucket).

    ``source`` (:func:`spans_read_key` of what was classified) makes the write idempotent: when
    results for the same spans and policy are already committed, nothing is written and the
    result says ``already_written`` (rerunning a night never duplicates its runs).
    """
    if source is not None:
        earlier = results_written(root, source, classification.policy_version)
        if earlier is not None:
            return AppendResult(earlier, [], {}, {}, dataset_info(root).redacted, already_written=True)
    with DatasetWriter(root, redact=redact, redaction_policy=redaction_policy) as w:
        if source is not None:
            w.note = {"source": source, "policy_version": classification.policy_version}
        w.add(classification.runs, "runs", already_redacted=already_redacted)
        w.add(classification.findings, "findings", dates=run_dates(classification.runs),
              already_redacted=already_redacted)
        return w.commit()
