"""A Hive-partitioned Parquet dataset of spans, runs, findings and quarantine.

Layout (version 1)::

    ROOT/_forensics.json                       layout version, n_buckets, redaction state
    ROOT/_commits/<append-id>.json             one record per committed append: its files and rows
    ROOT/<table>/date=YYYY-MM-DD/bucket=NNNN/part-<append-id>-<n>.parquet

``table`` is ``spans``, ``runs``, ``findings`` or ``quarantine``. A part file holds exactly the
table's schema columns (``SPAN_SCHEMA`` ...); ``date`` and ``bucket`` come from the path.

* **Grouping key**: ``coalesce(session_id, "run:" || run_id)``, where a run's session is the
  first non-null ``session_id`` among its spans (the classifier's ``scope_key``). Every detector
  looks within a run or a session, so a bucket holds whole groups and can be classified alone.
* **bucket** = ``int.from_bytes(blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")
  % n_buckets``: stable across machines, Python and library versions (unlike polars' or Spark's
  hash), so a dataset written today is read with the same pruning in a year. Computed once per
  distinct key and joined back to the rows.
* **date**: the UTC date of the group's earliest ``coalesce(start_time, end_time)`` in the
  append (runs: ``start_time``; findings: their run's date; quarantine: the append's UTC date,
  bucket 0), so a whole run or session lands in one date. ``unknown`` when it has no time.
* Rows inside a file are sorted by (key, run_id, start time) and written in row groups of
  :data:`ROW_GROUP_ROWS`, so the row-group statistics of ``run_id`` prune a one-run read.

Appends are atomic: part files are written under hidden temporary names and renamed, then the
commit record is written the same way; readers only read files named by a commit record, so an
append that crashed midway is never read (its leftovers are removed by :func:`repair`).

Redaction (the batch job's rule): a dataset is either redacted or in clear, said on its face in
``_forensics.json`` and in each part file's footer (``forensics.redaction``). A new dataset is
redacted unless the first append passes ``redact=False``; later appends follow the dataset, and
asking for the other state is an error. Detectors need the text as logged, so classifying a
redacted dataset's spans is refused unless explicitly allowed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from forensics.errors import InputError, InternalError
from forensics.schema import ADDED_COLUMNS, FINDING_SCHEMA, QUARANTINE_SCHEMA, RUN_SCHEMA, SPAN_SCHEMA

if TYPE_CHECKING:
    from forensics.classify import Classification
    from forensics.load import LoadResult

LAYOUT_VERSION: Final = 1
DEFAULT_N_BUCKETS: Final = 64
METADATA_FILE: Final = "_forensics.json"
COMMITS_DIR: Final = "_commits"
#: Rows per Parquet row group: small enough that ``run_id`` statistics prune a one-run read to a
#: few row groups, big enough that the per-group overhead stays negligible.
ROW_GROUP_ROWS: Final = 16_384
UNKNOWN_DATE: Final = "unknown"
BUCKET_HASH: Final = "blake2b(utf-8 key, digest_size=8) as big-endian unsigned int, mod n_buckets"
GROUPING_KEY: Final = "coalesce(session_id of the run, 'run:' || run_id)"
#: The partition columns every table gets from its paths.
PARTITIONING: Final = pa.schema([("date", pa.string()), ("bucket", pa.int32())])


class DatasetError(InputError):
    """A dataset cannot be read or written as asked."""


class NotADatasetError(DatasetError):
    """The directory is not a forensics dataset."""


class LayoutVersionError(DatasetError):
    """The dataset was written in a layout this version cannot read."""


class DatasetSchemaError(DatasetError):
    """A part file's columns are not the table's schema."""


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _run_session() -> pl.Expr:
    # load() fills a run's session on all its spans; a table built by hand may not, and a run
    # must never be split between buckets.
    return pl.col("session_id").drop_nulls().first().over("run_id")


def _key(session: pl.Expr) -> pl.Expr:
    return pl.coalesce(session, pl.concat_str([pl.lit("run:"), pl.col("run_id")]))


@dataclass(frozen=True)
class TableSpec:
    """How one table is keyed, dated, sorted and redacted."""

    name: str
    schema: pa.Schema
    #: Narrow columns needed to key, date and sort.
    narrow: tuple[str, ...]
    #: Sort inside a file, after the key.
    sort: tuple[str, ...]
    #: Text columns the redaction policy rewrites (None: the policy's span columns).
    redact_columns: tuple[str, ...] | None
    keyed: bool = True

    def key(self) -> pl.Expr:
        session = _run_session() if self.name == "spans" else pl.col("session_id")
        return _key(session)

    def time(self) -> pl.Expr:
        """The time whose per-group minimum dates the group."""
        if self.name == "spans":
            return pl.coalesce("start_time", "end_time")
        if self.name == "runs":
            return pl.col("start_time")
        return pl.col("decisive_time")


def _specs() -> dict[str, TableSpec]:
    from forensics.redact import FINDING_TEXT_COLUMNS, QUARANTINE_COLUMNS

    return {
        "spans": TableSpec("spans", SPAN_SCHEMA, ("run_id", "session_id", "start_time", "end_time"),
                           ("run_id", "start_time"), None),
        "runs": TableSpec("runs", RUN_SCHEMA, ("run_id", "session_id", "start_time"), ("run_id",), ()),
        "findings": TableSpec("findings", FINDING_SCHEMA, ("run_id", "session_id", "decisive_time"),
                              ("run_id", "decisive_time"), tuple(FINDING_TEXT_COLUMNS)),
        "quarantine": TableSpec("quarantine", QUARANTINE_SCHEMA, ("source_file", "source_line"),
                                ("source_file", "source_line"), tuple(QUARANTINE_COLUMNS), keyed=False),
    }


TABLE_NAMES: Final = ("spans", "runs", "findings", "quarantine")


def table_spec(name: str) -> TableSpec:
    specs = _specs()
    if name not in specs:
        raise DatasetError(f"no dataset table named `{name}`",
                           hint=f"tables: {', '.join(f'`{t}`' for t in TABLE_NAMES)}.")
    return specs[name]


# --------------------------------------------------------------------------------------------
# Buckets
# --------------------------------------------------------------------------------------------


def bucket_of(key: str, n_buckets: int) -> int:
    """The bucket of one grouping key (see the module docstring; stable forever for layout 1)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n_buckets


def group_key(run_id: str, session_id: str | None = None) -> str:
    """The grouping key of a run: its session, else ``run:<run_id>``."""
    return session_id if session_id is not None else f"run:{run_id}"


def _bucket_column(keys: pl.Series, n_buckets: int) -> pl.DataFrame:
    """``{_key, _bucket}`` for each distinct key: the hash runs once per key, never per row."""
    distinct = keys.unique()
    return pl.DataFrame({
        "_key": distinct,
        "_bucket": pl.Series([bucket_of(k, n_buckets) for k in distinct.to_list()], dtype=pl.Int32),
    })


# --------------------------------------------------------------------------------------------
# Metadata and commits
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetInfo:
    """What ``ROOT/_forensics.json`` says."""

    root: Path
    layout_version: int
    n_buckets: int
    redacted: bool
    redaction: str

    def as_json(self) -> dict[str, Any]:
        return {
            "format": "agent-forensics dataset",
            "layout_version": self.layout_version,
            "n_buckets": self.n_buckets,
            "grouping_key": GROUPING_KEY,
            "bucket_hash": BUCKET_HASH,
            "partitions": "<table>/date=YYYY-MM-DD/bucket=NNNN (date: UTC date of the group's earliest span)",
            "redacted": self.redacted,
            "redaction": self.redaction,
        }


def _write_json_atomic(data: Mapping[str, Any], target: Path, *, exclusive: bool = False) -> bool:
    """Write ``data`` to a hidden temp file, fsync, then rename (or link, when ``exclusive``, so an
    existing file is never replaced). Returns False when ``exclusive`` and the target existed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(json.dumps(data, indent=2, sort_keys=True).encode())
        fh.flush()
        os.fsync(fh.fileno())
    try:
        if exclusive:
            try:
                os.link(tmp, target)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(target.parent)
    return True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def dataset_info(root: str | os.PathLike[str]) -> DatasetInfo:
    """Read and validate ``ROOT/_forensics.json``; raise a :class:`DatasetError` subclass if it
    is not a dataset this version can read."""
    root = Path(root)
    meta = root / METADATA_FILE
    if not meta.is_file():
        what = "does not exist" if not root.exists() else f"has no {METADATA_FILE}"
        raise NotADatasetError(
            f"not a forensics dataset: the directory {what}", where=str(root),
            hint="create one with `forensics load FILES --dataset DIR` (or forensics.dataset.append), "
                 "or pass the directory that holds _forensics.json.",
        )
    try:
        raw = json.loads(meta.read_text(encoding="utf-8"))
        version = raw["layout_version"]
        n_buckets = raw["n_buckets"]
        redacted = raw["redacted"]
    except (ValueError, KeyError, TypeError) as exc:
        raise NotADatasetError(
            f"{METADATA_FILE} is not a dataset description ({type(exc).__name__}: {exc})", where=str(meta),
            hint="it must be the JSON object forensics wrote (layout_version, n_buckets, redacted); "
                 "restore it from the dataset's origin.",
        ) from None
    if version != LAYOUT_VERSION:
        raise LayoutVersionError(
            f"dataset layout version {version!r}; this version of forensics reads layout {LAYOUT_VERSION}",
            where=str(meta),
            hint="read it with the forensics version that wrote it, or rewrite it: read() each table "
                 "with that version and append() into a new directory with this one.",
        )
    if not isinstance(n_buckets, int) or n_buckets < 1 or not isinstance(redacted, bool):
        raise NotADatasetError(f"n_buckets={n_buckets!r}, redacted={redacted!r} are not valid", where=str(meta),
                               hint="n_buckets must be a positive integer and redacted true or false.")
    return DatasetInfo(root, version, n_buckets, redacted, str(raw.get("redaction", "")))


def _open_for_append(root: Path, n_buckets: int | None, redact: bool | None,
                     redaction_banner: Any) -> DatasetInfo:
    """The dataset at ``root``, created when the directory is new or empty."""
    if not (root / METADATA_FILE).exists():
        check_append(root)
        n = DEFAULT_N_BUCKETS if n_buckets is None else n_buckets
        if n < 1:
            raise DatasetError(f"n_buckets={n}", where=str(root), hint="use a positive number of buckets, e.g. 64.")
        state = True if redact is None else redact
        info = DatasetInfo(root, LAYOUT_VERSION, n, state, redaction_banner(state))
        root.mkdir(parents=True, exist_ok=True)
        # Exclusive: two first appends racing agree on one description (the loser validates it).
        _write_json_atomic(info.as_json(), root / METADATA_FILE, exclusive=True)
    check_append(root, n_buckets=n_buckets, redact=redact)
    info = dataset_info(root)
    return info


def check_append(root: str | os.PathLike[str], *, n_buckets: int | None = None, redact: bool | None = None) -> None:
    """Raise the error an append with these settings would raise, without writing anything (a
    nightly job checks before it loads, not after it stored)."""
    root = Path(root)
    if not (root / METADATA_FILE).exists():
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise NotADatasetError(
                "the directory is not empty and is not a forensics dataset", where=str(root),
                hint="choose a new or empty directory for a dataset (no _forensics.json here).",
            )
        return
    info = dataset_info(root)
    if n_buckets is not None and n_buckets != info.n_buckets:
        raise DatasetError(f"append with n_buckets={n_buckets}, but the dataset has {info.n_buckets} buckets",
                           where=str(root / METADATA_FILE), hint=f"omit n_buckets (or pass {info.n_buckets}).")
    if redact is not None and redact != info.redacted:
        said = "redacted" if info.redacted else "NOT redacted (written in clear)"
        flag = "drop --no-redact" if info.redacted else "pass --no-redact"
        raise DatasetError(
            f"the dataset is {said}; this run would write it {'redacted' if redact else 'in clear'}",
            where=str(root / METADATA_FILE),
            hint=f"a dataset is either redacted or in clear, never a mix: {flag} (library: redact=None follows "
                 "the dataset), or write into another directory.",
        )


def _commits(root: Path) -> list[dict[str, Any]]:
    """Every commit record, oldest first."""
    directory = root / COMMITS_DIR
    if not directory.is_dir():
        return []
    out = []
    for path in sorted(directory.glob("*.json")):
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:
            raise DatasetError(
                f"commit record is not JSON ({exc})", where=str(path),
                hint="commit records are written atomically; a damaged one means the disk or a person "
                     "changed it: restore it, or delete it to drop that append (then run repair).",
            ) from None
    return out


@dataclass(frozen=True)
class PartFile:
    """One committed part file."""

    table: str
    path: str  # relative to ROOT
    date: str
    bucket: int
    rows: int


def committed_files(root: str | os.PathLike[str], table_name: str | None = None) -> list[PartFile]:
    """Every committed part file (of ``table_name``, or all tables), in commit order."""
    root = Path(root)
    dataset_info(root)
    return [
        PartFile(f["table"], f["path"], f["date"], int(f["bucket"]), int(f["rows"]))
        for c in _commits(root) for f in c["files"]
        if table_name is None or f["table"] == table_name
    ]


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


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
            _fsync_dir(directory)
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
            _write_json_atomic(record, self.root / COMMITS_DIR / f"{self.append_id}.json")
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


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

DateFilter = str | Date | tuple[str | Date, str | Date] | None


def _date_text(value: str | Date, where: str) -> str:
    if isinstance(value, Date):
        return value.isoformat()
    try:
        return Date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise DatasetError(f"date {value!r} is not YYYY-MM-DD", where=where,
                           hint="pass date='2025-11-20' or date=('2025-11-20', '2025-11-22') (both ends included).") from None


def _date_range(date: DateFilter, where: str) -> tuple[str, str] | None:
    if date is None:
        return None
    if isinstance(date, tuple):
        if len(date) != 2:
            raise DatasetError(f"date {date!r} is not (start, end)", where=where,
                               hint="pass one date or a (start, end) pair, both ends included.")
        return _date_text(date[0], where), _date_text(date[1], where)
    d = _date_text(date, where)
    return d, d


def files(root: str | os.PathLike[str], table_name: str = "spans", *, date: DateFilter = None,
          run_id: str | None = None, session_id: str | None = None, all_buckets: bool = False) -> list[PartFile]:
    """The committed part files a read with these filters opens: partition pruning by path.

    ``session_id`` (or ``run_id`` of a run without a session) picks one bucket; ``date`` one
    night or a range. ``all_buckets``: ignore the bucket (a run whose session is unknown).
    """
    root = Path(root)
    info = dataset_info(root)
    spec = table_spec(table_name)
    span = _date_range(date, str(root))
    bucket: int | None = None
    if not all_buckets and spec.keyed and (session_id is not None or run_id is not None):
        bucket = bucket_of(group_key(run_id or "", session_id), info.n_buckets)
    return [
        f for f in committed_files(root, table_name)
        if (span is None or span[0] <= f.date <= span[1]) and (bucket is None or f.bucket == bucket)
    ]


def _check_schema(root: Path, parts: Sequence[PartFile], spec: TableSpec) -> None:
    want = [(f.name, f.type) for f in spec.schema]
    for part in parts:
        path = root / part.path
        try:
            got = pq.read_schema(path)
        except FileNotFoundError:
            raise DatasetError(
                "a committed part file is missing", where=str(path),
                hint="the dataset was changed by hand or the disk lost it; restore the file, or delete the "
                     "commit record that names it (ROOT/_commits) to drop that append.",
            ) from None
        except (OSError, pa.ArrowInvalid) as exc:
            raise DatasetError(f"a committed part file cannot be read: {exc}", where=str(path),
                               hint="restore the file from a backup or drop its append (ROOT/_commits).") from None
        have = [(f.name, f.type) for f in got]
        # A part written before columns were added to the schema: the same columns in order, less
        # those (they are filled when read).
        added = ADDED_COLUMNS.get(spec.name, {})
        if have != want and have == [(n, t) for n, t in want if n not in added]:
            continue
        if have != want:
            types = dict(have)
            wanted = dict(want)
            problems = [f"unexpected {', '.join(f'`{n}`' for n in types if n not in wanted)}",
                        f"missing {', '.join(f'`{n}`' for n in wanted if n not in types)}",
                        "wrong type " + ", ".join(f"`{n}` {types[n]} (expected {t})" for n, t in wanted.items()
                                                  if n in types and types[n] != t)]
            said = "; ".join(p for p in problems if not p.endswith(("unexpected ", "missing ", "wrong type ")))
            raise DatasetSchemaError(
                f"part file columns are not the {spec.name} schema: {said or 'columns out of order'}",
                where=str(path),
                hint=f"every part file holds exactly forensics.schema's {spec.name} columns; it was written by "
                     "something else. Remove it and its commit record, then append the data again.",
            )


def _fill_added(table: pa.Table, table_name: str) -> pa.Table:
    """Columns added to the schema after a part was written read as their documented defaults
    (schema.ADDED_COLUMNS) instead of null; a finding's strength is its detector's default."""
    added = ADDED_COLUMNS.get(table_name, {})
    names = [n for n in added if n in table.column_names]
    if not names or not any(table.column(n).null_count for n in names):
        return table
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    fills: list[pl.Expr] = []
    for name in names:
        if table_name == "findings" and name == "strength" and "detector" in frame.columns:
            from forensics.detectors.registry import all_detectors

            defaults = {d.name: getattr(d, "strength", "strong") for d in all_detectors()}
            fills.append(pl.col(name).fill_null(pl.col("detector").replace_strict(defaults, default="strong")))
        elif added[name] is not None:
            fills.append(pl.col(name).fill_null(pl.lit(added[name])))
    return frame.with_columns(fills).to_arrow() if fills else table


def _scan(root: Path, parts: Sequence[PartFile], spec: TableSpec, flt: Any, columns: Sequence[str] | None
          ) -> pa.Table:
    import pyarrow.dataset as ds

    names = list(columns) if columns is not None else [f.name for f in spec.schema]
    known = {f.name for f in spec.schema} | {"date", "bucket"}
    unknown = [c for c in names if c not in known]
    if unknown:
        raise DatasetError(f"no column(s) {', '.join(f'`{c}`' for c in unknown)} in the {spec.name} table",
                           where=str(root), hint=f"columns: {', '.join(sorted(known))}.")
    full = pa.schema(list(spec.schema) + list(PARTITIONING))
    out_schema = pa.schema([full.field(c) for c in names])
    if not parts:
        return out_schema.empty_table()
    _check_schema(root, parts, spec)
    dataset = ds.dataset([str(root / p.path) for p in parts], schema=full, format="parquet",
                         partitioning=ds.partitioning(PARTITIONING, flavor="hive"),
                         partition_base_dir=str(root / spec.name))
    table = dataset.to_table(columns=names, filter=flt)
    return _fill_added(table, spec.name).cast(out_schema)


def read(root: str | os.PathLike[str], table_name: str = "spans", *, date: DateFilter = None,
         run_id: str | None = None, session_id: str | None = None,
         columns: Sequence[str] | None = None) -> pa.Table:
    """Read a table back, opening only the partitions the filters allow.

    Returns the table's schema columns (``columns`` picks some, ``date`` and ``bucket`` too).
    A ``run_id`` is looked up in the bucket of ``run:<run_id>`` first; when the run is not there
    (it belongs to a session: pass ``session_id`` to go straight to it) every bucket of the date
    filter is searched, with row-group statistics on ``run_id`` skipping most of each file.
    """
    import pyarrow.dataset as ds

    root = Path(root)
    spec = table_spec(table_name)
    if not spec.keyed and (run_id is not None or session_id is not None):
        raise DatasetError(f"the {table_name} table has no run_id/session_id to filter on", where=str(root),
                           hint="filter it by date only.")
    flt = None
    if run_id is not None:
        flt = ds.field("run_id") == run_id
    if session_id is not None:
        s = ds.field("session_id") == session_id
        flt = s if flt is None else flt & s
    parts = files(root, table_name, date=date, run_id=run_id, session_id=session_id)
    table = _scan(root, parts, spec, flt, columns)
    if table.num_rows == 0 and run_id is not None and session_id is None:
        table = _scan(root, files(root, table_name, date=date, all_buckets=True), spec, flt, columns)
    return table


def buckets(root: str | os.PathLike[str], table_name: str = "spans", *, date: DateFilter = None
            ) -> dict[int, list[PartFile]]:
    """Committed part files per bucket (within the date filter), buckets in order."""
    out: dict[int, list[PartFile]] = {}
    for part in files(root, table_name, date=date):
        out.setdefault(part.bucket, []).append(part)
    return dict(sorted(out.items()))


def iter_groups(root: str | os.PathLike[str], table_name: str = "spans", *, date: DateFilter = None
                ) -> Iterator[pa.Table]:
    """One table per bucket (every date of the filter), each holding whole runs and sessions:
    classify bucket by bucket and peak memory is one bucket, not the dataset."""
    root = Path(root)
    spec = table_spec(table_name)
    for parts in buckets(root, table_name, date=date).values():
        yield _scan(root, parts, spec, None, None)


#: The span columns fleet-relative budgets read (forensics.detectors.runaway_cost.fleet_facts).
FLEET_COLUMNS: Final = ("run_id", "parent_id", "agent", "input", "input_tokens", "output_tokens", "cost_usd",
                        "start_time", "end_time", "source_line", "span_id")


def fleet_of(root: str | os.PathLike[str], *, date: DateFilter = None, policy: Any = None) -> pl.DataFrame | None:
    """The whole dataset's per-run facts for fleet-relative budgets (one pass over a few span
    columns, bucket by bucket), so a run is judged against the same fleet whichever bucket holds
    it; None when the policy needs no fleet (its own budgets, or fleet budgets off)."""
    from forensics.detectors.runaway_cost import fleet_facts
    from forensics.policy import resolve_policy

    pol = resolve_policy(policy)
    if not pol.fleet_factor or (pol.max_tokens_per_run and pol.max_cost_usd_per_run):
        return None
    root = Path(root)
    spec = table_spec("spans")
    facts = []
    for parts in buckets(root, "spans", date=date).values():
        part = pl.from_arrow(_scan(root, parts, spec, None, list(FLEET_COLUMNS)))
        assert isinstance(part, pl.DataFrame)
        facts.append(fleet_facts(part))
    return pl.concat(facts) if facts else None


def classify_dataset(root: str | os.PathLike[str], *, date: DateFilter = None, policy: Any = None,
                     detectors: Iterable[Any] | None = None, allow_redacted: bool = False) -> Classification:
    """Classify the dataset's spans on this machine, bucket by bucket (results are not written:
    :func:`write_results` appends them)."""
    from forensics.classify import Classification, classify
    from forensics.policy import resolve_policy

    pol = resolve_policy(policy)
    refuse_redacted(root, allow_redacted)
    chosen = list(detectors) if detectors is not None else None
    runs: list[pa.Table] = []
    findings: list[pa.Table] = []
    fleet = fleet_of(root, date=date, policy=pol)
    for spans in iter_groups(root, "spans", date=date):
        result = classify(spans, policy=pol, detectors=chosen, fleet=fleet)
        runs.append(result.runs)
        findings.append(result.findings)
        del spans, result
    runs_t = pa.concat_tables(runs) if runs else RUN_SCHEMA.empty_table()
    findings_t = pa.concat_tables(findings) if findings else FINDING_SCHEMA.empty_table()
    return Classification(findings=findings_t, runs=runs_t.sort_by("run_id"), policy_version=pol.version)


def refuse_redacted(root: str | os.PathLike[str], allow_redacted: bool) -> DatasetInfo:
    """The dataset's description; a :class:`DatasetError` when its spans are redacted and the
    caller did not say that is fine (detectors read tool names, errors and answers as logged)."""
    info = dataset_info(root)
    if info.redacted and not allow_redacted:
        raise DatasetError(
            f"the dataset's spans are redacted ({info.redaction}); detectors need the text as logged",
            where=str(Path(root) / METADATA_FILE),
            hint="classify a dataset written with redact=False (CLI: --no-redact), or pass "
                 "allow_redacted=True to classify the redacted text anyway (findings may differ).",
        )
    return info


# --------------------------------------------------------------------------------------------
# Repair
# --------------------------------------------------------------------------------------------


def repair(root: str | os.PathLike[str], *, older_than_seconds: float = 3600.0) -> list[str]:
    """Delete part files no commit names (left by appends that crashed) and temp files, older
    than ``older_than_seconds`` (an append still running is younger than that). Returns the
    relative paths removed."""
    root = Path(root)
    dataset_info(root)
    named = {f.path for f in committed_files(root)}
    cutoff = time.time() - older_than_seconds
    removed: list[str] = []
    for directory in [root / t for t in TABLE_NAMES] + [root / COMMITS_DIR]:
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            orphan = path.name.endswith(".tmp") or (directory.name != COMMITS_DIR and rel not in named)
            if orphan and path.stat().st_mtime <= cutoff:
                path.unlink()
                removed.append(rel)
    return removed
