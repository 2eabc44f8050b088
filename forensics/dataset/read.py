"""Reading: committed files pruned by date and bucket, whole groups bucket by bucket, the fleet
facts, classification bucket by bucket, and repair of what a crashed append left.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from forensics.schema import ADDED_COLUMNS, FINDING_SCHEMA, RUN_SCHEMA

if TYPE_CHECKING:
    from forensics.classify import Classification
from forensics.dataset.layout import (
    COMMITS_DIR,
    METADATA_FILE,
    PARTITIONING,
    TABLE_NAMES,
    DatasetError,
    DatasetInfo,
    DatasetSchemaError,
    PartFile,
    TableSpec,
    bucket_of,
    committed_files,
    dataset_info,
    group_key,
    table_spec,
)

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
FLEET_COLUMNS: Final = ("run_id", "parent_id", "kind", "agent", "source_format", "input", "input_tokens",
                        "output_tokens", "cost_usd", "start_time", "end_time", "source_line", "span_id",
                        "attributes")  # (an agent span's configuration: runaway_cost._agent_identity)


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
