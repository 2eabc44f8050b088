"""The dataset's layout: partitioning (date x stable bucket of the grouping key), the tables' specs,
``_forensics.json`` (version, buckets, redaction state) and the commit records that name the
files a reader may read.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl
import pyarrow as pa

from forensics.errors import InputError
from forensics.schema import FINDING_SCHEMA, QUARANTINE_SCHEMA, RUN_SCHEMA, SPAN_SCHEMA

if TYPE_CHECKING:
    pass
from forensics.dataset.atomic import write_json_atomic

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
        write_json_atomic(info.as_json(), root / METADATA_FILE, exclusive=True)
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
