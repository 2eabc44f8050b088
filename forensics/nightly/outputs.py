"""Outputs: Parquet files written atomically and redacted, the results of inputs stored before
replayed from the store for ``--out``, and the night appended to a partitioned dataset.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from forensics.dataset.atomic import fsync_dir, write_parquet_atomic
from forensics.nightly.buckets import SpanBuckets, _frame
from forensics.nightly.intake import FileOutcome, Progress, _load_one
from forensics.schema import FINDING_SCHEMA, QUARANTINE_SCHEMA, RUN_SCHEMA, SPAN_SCHEMA, empty_table
from forensics.store import Problem

if TYPE_CHECKING:
    from forensics.nightly.job import BatchSummary

PARQUET_OUTPUTS: Final = ("spans", "findings", "runs", "quarantine")



@dataclass(frozen=True)
class Redaction:
    """What the batch does to log content before it leaves the process: ``policy`` None means
    the explicit opt-out (written in clear, said so in every file)."""

    policy: Any = None

    @property
    def redacted(self) -> bool:
        return self.policy is not None

    def banner(self) -> str:
        from forensics.redact import redaction_banner

        return redaction_banner(self.redacted, self.policy)

    def redact(self, table: pa.Table, columns: Sequence[str] | None = None) -> pa.Table:
        """``table`` with its text ``columns`` (default: the policy's, those present) redacted."""
        if self.policy is None or table.num_rows == 0:
            return table
        from forensics.redact import redact_table

        wanted = self.policy.columns if columns is None else columns
        cols = [c for c in wanted if c in table.column_names]
        return redact_table(table, self.policy, columns=cols) if cols else table


#: The explicit opt-out (``redact=False``): written in clear, and said so in every file.
NO_REDACTION: Final = Redaction(None)


def with_banner(table: pa.Table, redaction: Redaction) -> pa.Table:
    """``table`` with the redaction banner in its Parquet footer metadata."""
    from forensics.redact import with_redaction_metadata

    return with_redaction_metadata(table, redaction.redacted, redaction.policy)


class _SpansParquet:
    """spans.parquet written file by file to a temp name, renamed into place after the commit."""

    def __init__(self, target: Path, redaction: Redaction) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        self.target, self.tmp = target, Path(tmp)
        self.redaction = redaction
        self.schema = with_banner(empty_table(SPAN_SCHEMA), redaction).schema
        self.writer: pq.ParquetWriter | None = pq.ParquetWriter(self.tmp, self.schema, compression="zstd")

    def write(self, spans: pa.Table) -> None:
        if self.writer is not None:
            spans = spans.cast(SPAN_SCHEMA)
            if self.redaction.policy is not None:
                spans = self.redaction.redact(spans)
            self.writer.write_table(spans.replace_schema_metadata(self.schema.metadata))

    def finish(self, keep_files: list[str] | None) -> None:
        """Close, keep only ``keep_files``' spans when given, fsync and rename."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if keep_files is not None:
            import pyarrow.dataset as ds

            filtered = self.tmp.with_name(self.tmp.name + ".f")
            scanner = ds.dataset(self.tmp).scanner(filter=ds.field("source_file").isin(keep_files))
            with pq.ParquetWriter(filtered, self.schema, compression="zstd") as w:
                for b in scanner.to_batches():
                    w.write_batch(b)
            os.replace(filtered, self.tmp)
        with open(self.tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp, self.target)
        fsync_dir(self.target.parent)

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.tmp.unlink(missing_ok=True)
        self.tmp.with_name(self.tmp.name + ".f").unlink(missing_ok=True)



def _write_outputs(out_dir: Path, summary: BatchSummary, spans_out: _SpansParquet | None, runs: pl.DataFrame,
                   findings: pl.DataFrame, quarantine: pa.Table, keep_files: list[str] | None,
                   redaction: Redaction, tick: Progress) -> None:
    """The four Parquet outputs (spans streamed already; the others written whole, atomically)."""
    from forensics.redact import QUARANTINE_COLUMNS

    tables: dict[str, Callable[[], pa.Table]] = {
        "findings": lambda: with_banner(findings.to_arrow().cast(FINDING_SCHEMA), redaction),
        "runs": lambda: with_banner(runs.to_arrow().cast(RUN_SCHEMA), redaction),
        "quarantine": lambda: with_banner(redaction.redact(quarantine, QUARANTINE_COLUMNS), redaction),
    }
    tick("write", 0, len(tables) + 1, "spans")
    if spans_out is not None:
        spans_out.finish(keep_files)
        summary.outputs["spans"] = str(out_dir / "spans.parquet")
    for i, (name, build) in enumerate(tables.items(), start=1):
        tick("write", i, len(tables) + 1, name)
        target = out_dir / f"{name}.parquet"
        write_parquet_atomic(build(), target)
        summary.outputs[name] = str(target)


@dataclass
class _Replayed:
    """Inputs stored before, made ready for --out: their stored runs and findings, and the spans
    and quarantine re-read from their files (the store keeps neither)."""

    inputs: int
    runs: pl.DataFrame
    findings: pl.DataFrame
    quarantine: pa.Table
    keys: list[str]


def read_stored_results(store: Any, batch_ids: Iterable[int], hashes: set[str],
                        policy_version: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored runs and findings (RUN_SCHEMA / FINDING_SCHEMA columns) of the inputs with these
    content hashes, under this policy, from the batches that stored them."""
    from forensics.store import read_findings, read_runs

    runs, finds = [], []
    for batch_id in sorted(set(batch_ids)):
        runs.append(read_runs(store, batch_id=batch_id, policy_version=policy_version))
        finds.append(read_findings(store, batch_id=batch_id, policy_version=policy_version))
    wanted = pl.col("input_sha256").is_in(sorted(hashes))
    if not runs:
        return _frame(empty_table(RUN_SCHEMA)), _frame(empty_table(FINDING_SCHEMA))
    run_frame, find_frame = pl.concat(runs).filter(wanted), pl.concat(finds).filter(wanted)
    return run_frame.select(RUN_SCHEMA.names), find_frame.select(FINDING_SCHEMA.names)


def _replay_stored(outcomes: list[FileOutcome], replay: Sequence[int], format: str | None,
                   spans_out: _SpansParquet | None, problems: list[Problem],
                   stored_results: Callable[[set[str]], tuple[pl.DataFrame, pl.DataFrame]] | None,
                   tick: Progress) -> _Replayed | None:
    """Results of the inputs stored before, for --out: runs and findings from the store; spans
    (written to ``spans_out``) and quarantine re-read from the files and finalised together, as
    the batch that stored them did."""
    from forensics.load import finalize

    if not replay or stored_results is None:
        return None
    tables: list[pa.Table] = []
    quarantines: list[pa.Table] = []
    for n, idx in enumerate(replay):
        tick("load", n, len(replay), outcomes[idx].path)
        _, result, file_problems = _load_one(outcomes[idx].path, format, outcomes[idx])
        if result is None:  # stored before, unreadable now (moved mid-run?): say so, keep the rest
            problems.extend(replace(p, level="warning") for p in file_problems)
            continue
        quarantines.append(result.quarantine)
        tables.append(result.spans)
    if tables:
        spans, late = finalize(pa.concat_tables(tables))
        quarantines.append(late)
        if spans_out is not None:
            spans_out.write(spans)
    runs, findings = stored_results({h for idx in replay if (h := outcomes[idx].sha256) is not None})
    quarantine = pa.concat_tables(quarantines) if quarantines else empty_table(QUARANTINE_SCHEMA)
    return _Replayed(len(replay), runs, findings, quarantine, sorted({k for idx in replay for k in outcomes[idx].keys()}))


def _append_dataset(root: str | os.PathLike[str], spans: SpanBuckets, quarantine: pa.Table, runs: pa.Table,
                    findings: pa.Table, keep_files: list[str] | None, redaction: Redaction) -> str:
    """Append the night to a dataset in one commit: spans bucket by bucket (only stored files'
    when ``keep_files``), quarantine, runs, findings (already redacted by the batch)."""
    from forensics.dataset import DatasetWriter, run_dates

    with DatasetWriter(root, redact=redaction.redacted, redaction_policy=redaction.policy) as writer:
        for bucket in spans.buckets():
            if keep_files is not None:
                import pyarrow.compute as pc

                bucket = bucket.filter(pc.is_in(bucket.column("source_file"), pa.array(keep_files)))
            writer.add(bucket, "spans")
        writer.add(quarantine, "quarantine")
        writer.add(runs.cast(RUN_SCHEMA), "runs")
        writer.add(findings.cast(FINDING_SCHEMA), "findings", dates=run_dates(runs.cast(RUN_SCHEMA)),
                   already_redacted=True)
        return writer.commit().append_id
