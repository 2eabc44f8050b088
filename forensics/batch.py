"""The nightly job: load each file on its own, classify, store, write Parquet.

``classify_paths`` is everything ``forensics classify`` does; the CLI only parses arguments, shows
progress and turns the summary into an exit code. One bad file never sinks the night: a file that
cannot be read (corrupt, empty, unknown format, too large) becomes a :class:`~forensics.store.Problem`
with its path and reason, in the summary and in the batch record, and the good files go on.

Redaction (on by default, ``redact=False`` the explicit opt-out): the classifier reads the spans
as loaded (detectors need the real text), then every Parquet file under ``out`` is written
redacted (spans' text columns, quarantine ``raw``/``detail``, findings' ``explanation``) with
the :func:`~forensics.redact.redaction_banner` in its footer metadata (``forensics.redaction``),
and the findings' explanations are stored redacted too: the store feeds the report and
notebooks, and an explanation quotes tool arguments and final answers.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from forensics.errors import ForensicsError, InputError, InternalError, UnknownFormatError
from forensics.schema import FINDING_SCHEMA, QUARANTINE_SCHEMA, RUN_SCHEMA, SPAN_SCHEMA
from forensics.store import InputFile, Problem
from forensics.urls import display_url

#: ``progress(stage, done, total, path)``: stage is ``hash``, ``load``, ``classify``, ``store``
#: or ``write``; called before each step (``done`` steps finished out of ``total``).
Progress = Callable[[str, int, int, str | None], None]

#: Exit codes of ``forensics classify`` (documented in docs/NIGHTLY.md).
EXIT_OK: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_INTERNAL: Final = 3

PARQUET_OUTPUTS: Final = ("spans", "findings", "runs", "quarantine")


# --------------------------------------------------------------------------------------------
# --fail-on thresholds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """``--fail-on N`` (all findings) or ``--fail-on CLASS=N``: breached when the count exceeds N."""

    limit: int
    failure_class: str | None = None

    def describe(self) -> str:
        return f"{self.failure_class or 'findings'} > {self.limit}"


_THRESHOLD = re.compile(r"^(?:(?P<cls>[a-z_][a-z0-9_]*)=)?(?P<n>\d+)$")


def parse_fail_on(values: Iterable[str]) -> list[Threshold]:
    """Parse ``--fail-on`` values (``"5"``, ``"silent_failure=0"``)."""
    out = []
    for raw in values:
        m = _THRESHOLD.match(raw.strip())
        if m is None:
            raise InputError(
                f"--fail-on {raw!r} is not N or CLASS=N",
                hint="e.g. --fail-on 10 (more than 10 findings in all) or --fail-on silent_failure=0.",
            )
        out.append(Threshold(limit=int(m["n"]), failure_class=m["cls"]))
    return out


# --------------------------------------------------------------------------------------------
# The summary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileOutcome:
    """One input file: what was read from it and what became of it."""

    path: str
    sha256: str | None
    size_bytes: int | None
    format: str | None = None
    #: ``stored`` | ``skipped`` (stored before) | ``duplicate`` (same content as another input)
    #: | ``claimed-elsewhere`` (a concurrent job stored it) | ``failed`` (could not be read)
    status: str = "pending"
    records_read: int = 0
    rows: int = 0
    quarantined: int = 0
    merged: int = 0
    reasons: Mapping[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"records_read": self.records_read, "rows": self.rows, "quarantined": self.quarantined,
                "merged": self.merged, **{f"quarantined:{k}": v for k, v in sorted(self.reasons.items())}}

    def as_input(self) -> InputFile:
        return InputFile(path=self.path, sha256=self.sha256 or "", size_bytes=self.size_bytes,
                         format=self.format, status=self.status, counts=self.counts())


@dataclass
class BatchSummary:
    """What one nightly batch did; ``exit_code`` is what ``forensics classify`` exits with."""

    batch_id: int | None
    status: str
    policy_version: str
    store_url: str
    files: list[FileOutcome]
    problems: list[Problem]
    runs: int = 0
    findings: int = 0
    findings_by_class: dict[str, int] = field(default_factory=dict)
    replaced_runs: int = 0
    replaced_findings: int = 0
    outputs: dict[str, str] = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: Whether the Parquet outputs and stored explanations were redacted, and the banner saying so.
    redacted: bool = True
    redaction: str = ""
    #: Inputs stored before whose results were written to --out from the store (their spans and
    #: quarantine re-read from the files), so that --out always holds every input's results.
    from_store: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def exit_code(self) -> int:
        """3 internal error (raised, never here) > 2 bad input > 1 findings over --fail-on > 0."""
        if self.errors:
            return EXIT_BAD_INPUT
        if self.breaches:
            return EXIT_FINDINGS
        return EXIT_OK

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _expand(paths: Sequence[str | os.PathLike[str]], problems: list[Problem]) -> list[str]:
    """Files named or found under ``paths``; a missing path is a problem, not the end of the night."""
    from forensics.load import expand_paths

    files: list[str] = []
    seen: set[str] = set()
    for item in paths:
        try:
            found = expand_paths([item])
        except InputError as exc:
            problems.append(Problem(file=os.fspath(item), reason="not-found", detail=str(exc)))
            continue
        if not found:
            problems.append(Problem(os.fspath(item), "no-files",
                                    f"{os.fspath(item)}: no log files (*.json, *.jsonl, *.ndjson, *.gz, "
                                    "*.parquet, *.log) under this directory. Hint: check the path."))
        for path, _explicit in found:
            key = os.path.abspath(path)
            if key not in seen:
                seen.add(key)
                files.append(path)
    return files


def _reason_of(exc: BaseException) -> str:
    """A stable kebab-case reason code for a file-level failure."""
    for cls, code in _REASONS:
        if isinstance(exc, cls):
            return code
    return "loader-error"


_REASONS: Final[tuple[tuple[type[BaseException], str], ...]] = (
    (UnknownFormatError, "unknown-format"),
    (MemoryError, "out-of-memory"),
    (InternalError, "loader-error"),
    (InputError, "unreadable"),
    (OSError, "unreadable"),
    (ForensicsError, "unreadable"),
)


def _load_one(path: str, format: str | None, outcome: FileOutcome) -> tuple[FileOutcome, Any, list[Problem]]:
    """Load one file; a failure is this file's problem, never the batch's."""
    from forensics.load import load

    try:
        result = load([path], format=format)
    except Exception as exc:  # one file's failure, whatever it is (MemoryError too), must not sink the night
        detail = str(exc) or type(exc).__name__
        return replace(outcome, status="failed"), None, [Problem(path, _reason_of(exc), detail)]
    acc = result.report.files[0] if result.report.files else None
    if acc is None:
        return replace(outcome, status="failed"), None, [Problem(path, "unreadable", "the loader read nothing")]
    outcome = replace(
        outcome, format=acc.format, records_read=acc.records_read, rows=acc.rows,
        quarantined=acc.quarantined, merged=acc.merged, reasons=dict(acc.reasons),
    )
    if acc.problem:
        return replace(outcome, status="failed"), None, [Problem(path, "unknown-format", acc.problem)]
    if acc.records_read == 0:
        return (replace(outcome, status="failed"), None,
                [Problem(path, "empty", f"{path}: no records (the file is empty or holds no JSON values). "
                         "Hint: check that the exporter finished writing it.")])
    reasons = ", ".join(f"{k}={v}" for k, v in sorted(acc.reasons.items()))
    if acc.rows == 0:
        return (replace(outcome, status="failed"), result,
                [Problem(path, "no-spans", f"{path}: all {acc.records_read:,} records were quarantined ({reasons}); "
                         "nothing could be read. Hint: `forensics load` shows each record's reason; pass "
                         "--format if sniffing chose the wrong loader.")])
    problems = []
    if acc.quarantined:
        problems.append(Problem(path, "quarantined",
                                f"{path}: {acc.quarantined:,} of {acc.records_read:,} records quarantined ({reasons}); "
                                "the rest were stored", level="warning"))
    return outcome, result, problems


# --------------------------------------------------------------------------------------------
# Parquet, atomically
# --------------------------------------------------------------------------------------------


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write to a temp name beside ``path``, fsync, rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _path_keys(paths: Iterable[str]) -> list[str]:
    keys: set[str] = set()
    for p in paths:
        keys |= {p, os.path.abspath(p), os.path.relpath(p), str(Path(p).resolve())}
    return sorted(keys)


# --------------------------------------------------------------------------------------------
# The job
# --------------------------------------------------------------------------------------------


def classify_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    format: str | None = None,
    policy: Any = None,
    db: str | None = None,
    out: str | os.PathLike[str] | None = None,
    force: bool = False,
    fail_on: Sequence[str | Threshold] | None = None,
    progress: Progress | None = None,
    max_file_bytes: int | None = None,
    bucket_bytes: int = 0,
    workers: int | None = None,
    redact: bool = True,
    redaction_policy: Any = None,
    engine: str = "local",
    dataset: str | os.PathLike[str] | None = None,
) -> BatchSummary:
    """Load, classify and store ``paths`` as one batch; write Parquet under ``out``.

    ``engine``: what classifies the night, a name in :data:`ENGINES` (``local``: bucket by bucket
    in this process; ``spark``: through a temporary dataset on Spark, see forensics.spark); the
    store and write steps after it are the same. ``dataset``: also append the night's spans,
    quarantine, runs and findings to this partitioned dataset (forensics.dataset), redacted
    under the same rule as the Parquet files.

    ``redact`` (default on): the Parquet files and the stored findings' explanations have
    secrets and personal data replaced under ``redaction_policy`` (a ``RedactionPolicy``, a TOML
    path with a ``[redact]`` table, or None for the defaults); each Parquet file says in its
    footer metadata whether it was (``forensics.redaction``). ``redact=False`` writes them in clear.

    Inputs already stored under the same policy (same content hash) are skipped unless ``force``,
    which replaces their earlier rows. With ``out``, a skipped input's results are still written
    there, read from the store (its spans and quarantine re-read from the file), so ``out`` always
    holds the results of every input given (``summary.from_store`` counts them). A file larger than ``max_file_bytes`` is reported and not
    read. Raises only for what stops the whole batch (bad policy, store unreachable, a classifier
    bug); the batch is then marked failed. Nights bigger than ``bucket_bytes`` of input (default
    256 MiB) are classified in buckets of whole sessions spilled to Parquet (see
    :class:`SpanBuckets`), so memory stays bounded, and their files are loaded by ``workers``
    processes (default: one per CPU, as many as fit a 3 GB budget, see :func:`auto_workers`).
    """
    from forensics.policy import resolve_policy
    from forensics.store import (
        fail_batch,
        finish_batch,
        open_store,
        start_batch,
        stored_hashes,
        write_batch,
    )

    started = time.perf_counter()
    tick = progress or (lambda stage, done, total, path: None)
    thresholds = [t if isinstance(t, Threshold) else parse_fail_on([t])[0] for t in (fail_on or [])]
    pol = resolve_policy(policy)
    if redact:
        from forensics.redact import resolve_redaction_policy

        redaction = Redaction(resolve_redaction_policy(redaction_policy))
    else:
        redaction = Redaction(None)
    classify_night = engine_named(engine)
    if dataset is not None:
        from forensics.dataset import check_append

        check_append(dataset, redact=redaction.redacted)
    problems: list[Problem] = []
    files = _expand(paths, problems)

    outcomes: list[FileOutcome] = []
    by_hash: dict[str, str] = {}
    for i, path in enumerate(files):
        tick("hash", i, len(files), path)
        try:
            size = os.path.getsize(path)
            if max_file_bytes is not None and size > max_file_bytes:
                outcomes.append(FileOutcome(path, None, size, status="failed"))
                problems.append(Problem(path, "too-large",
                                        f"{path}: {size:,} bytes, over the limit of {max_file_bytes:,}. "
                                        "Hint: split the file or raise --max-file-size."))
                continue
            digest = sha256_file(path)
        except OSError as exc:
            outcomes.append(FileOutcome(path, None, None, status="failed"))
            problems.append(Problem(path, "unreadable", f"{path}: {exc.strerror or exc}"))
            continue
        if size == 0:
            outcomes.append(FileOutcome(path, digest, size, status="failed"))
            problems.append(Problem(path, "empty", f"{path}: the file is empty (0 bytes). "
                                    "Hint: check that the exporter finished writing it."))
            continue
        if digest in by_hash:
            outcomes.append(FileOutcome(path, digest, size, status="duplicate"))
            problems.append(Problem(path, "duplicate-content",
                                    f"{path}: same content as {by_hash[digest]}; read once", level="warning"))
            continue
        by_hash[digest] = path
        outcomes.append(FileOutcome(path, digest, size))

    store = open_store(db)
    try:
        done_before = {} if force else stored_hashes(store, by_hash, pol.version)
        outcomes = [replace(o, status="skipped") if o.sha256 in done_before and o.status == "pending" else o
                    for o in outcomes]
        handle = start_batch(store, policy_version=pol.version, inputs=[o.as_input() for o in outcomes],
                             force=force, command=shlex.join(sys.argv))
        def stored_results(hashes: set[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
            return read_stored_results(store, {done_before[h] for h in hashes}, hashes, pol.version)

        try:
            summary = _run_batch(handle, outcomes, problems, format=format, policy=pol, out=out, tick=tick,
                                 write_batch=write_batch, finish_batch=finish_batch,
                                 bucket_bytes=bucket_bytes or DEFAULT_BUCKET_BYTES,
                                 workers=workers, redaction=redaction, engine=classify_night,
                                 dataset=dataset, stored_results=stored_results)
        except BaseException as exc:
            # write_batch marks its own failures; this catches load/classify/Parquet failures.
            fail_batch(handle, exc, problems=problems)
            raise
        summary.store_url = display_url(store.url)
    finally:
        store.close()
    summary.breaches = _breaches(thresholds, summary)
    summary.seconds = time.perf_counter() - started
    return summary


class SpanBuckets:
    """A night's spans, held in memory when small, else spilled to Parquet in buckets.

    Each bucket holds whole sessions (or whole runs when a run names no session), hashed on
    ``coalesce(session_id, run_id)``: every detector works within a run or a session, so
    classifying bucket by bucket finds exactly what one call over everything would, while peak
    memory is one bucket instead of the whole night (7 GB for 3M spans measured in one piece).
    A run split over several files still lands in one bucket.
    """

    def __init__(self, n_buckets: int, workdir: Path | None) -> None:
        self.n = max(1, n_buckets)
        self.rows = 0
        self._memory: list[pa.Table] = []
        self._dir = workdir
        self._files = 0

    @property
    def spilled(self) -> bool:
        return self.n > 1 and self._dir is not None

    @property
    def directory(self) -> Path | None:
        return self._dir

    def add(self, spans: pa.Table) -> None:
        self.rows += spans.num_rows
        if not self.spilled:
            self._memory.append(spans)
            return
        assert self._dir is not None
        spill_partitions(spans, self._dir, self.n, self._files)
        self._files += 1

    def add_spilled(self, rows: int) -> None:
        """Count rows a worker process spilled itself (see :func:`spill_partitions`)."""
        self.rows += rows

    def refinalize(self, spans_out: _SpansParquet | None) -> pa.Table:
        """Finalise the night across its files, bucket by bucket, and write the result back (and
        to spans.parquet). Each file was finalised when it was loaded; a run whose spans came in
        several files (an hourly rotation, an exporter retry) is only whole here: its agents are
        inherited and its session filled across files, and a span exported in two files is kept
        once, the later copy quarantined as ``duplicate-span-id``. Returns those quarantined rows."""
        from forensics.load import finalize

        late: list[pa.Table] = []
        if not self.spilled:
            if self._memory:
                table, quarantined = finalize(pa.concat_tables(self._memory))
                self._memory = [table]
                late.append(quarantined)
                if spans_out is not None:
                    spans_out.write(table)
        else:
            assert self._dir is not None
            for bucket in sorted(self._dir.glob("b*")):
                pieces = sorted(bucket.glob("*.parquet"))
                table, quarantined = finalize(pa.concat_tables([pq.read_table(f) for f in pieces]).cast(SPAN_SCHEMA))
                late.append(quarantined)
                if spans_out is not None:
                    spans_out.write(table)
                whole = bucket / "whole.tmp"
                pq.write_table(table, whole, compression="lz4")
                for f in pieces:
                    f.unlink()
                whole.rename(bucket / "f000000.parquet")
                del table
        gone = pa.concat_tables(late) if late else QUARANTINE_SCHEMA.empty_table()
        self.rows -= gone.num_rows
        return gone

    def buckets(self) -> Iterable[pa.Table]:
        if self.n == 1 or self._dir is None:
            if self._memory:
                yield pa.concat_tables(self._memory)
            return
        for bucket in sorted(self._dir.glob("b*")):
            yield pa.concat_tables([pq.read_table(f) for f in sorted(bucket.glob("*.parquet"))]).cast(SPAN_SCHEMA)


def spill_partitions(spans: pa.Table, directory: Path, n_buckets: int, index: int) -> None:
    """Write ``spans`` as ``directory/b<bucket>/f<index>.parquet``, one piece per bucket."""
    key = pl.coalesce("session_id", "run_id").hash(seed=0) % n_buckets
    frame = _frame(spans).with_columns(key.alias("_bucket"))
    for (bucket,), part in frame.partition_by("_bucket", as_dict=True, include_key=False).items():
        target = directory / f"b{int(bucket):04d}" / f"f{index:06d}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        part.write_parquet(target, compression="lz4")


def _load_and_spill(
    path: str, format: str | None, outcome: FileOutcome, spill: str, n_buckets: int, index: int,
) -> tuple[FileOutcome, list[Problem], pa.Table | None, int]:
    """One file in a worker process: load it, spill its spans in buckets; return only the
    small things."""
    outcome, result, problems = _load_one(path, format, outcome)
    if result is None:
        return outcome, problems, None, 0
    rows = 0
    if outcome.status == "pending":
        rows = result.spans.num_rows
        spill_partitions(result.spans, Path(spill), n_buckets, index)
    return outcome, problems, result.quarantine, rows


def available_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: Loading a file peaks at about this many times its size (measured: a 263 MB OTLP/JSON-lines
#: file of 29,000 runs peaks at 1.3 GB in a worker process).
LOAD_MEMORY_FACTOR: Final = 5
#: What a night may take in all (issue 7's target), of which about 1 GiB is the main process.
DEFAULT_MEMORY_BUDGET: Final = 3 * 1024**3
_MAIN_PROCESS_BYTES: Final = 1024**3


#: A night's file at least this big is read alone (see auto_workers).
_BIG_FILE_BYTES: Final = 64 * 1024 * 1024


def auto_workers(sizes: Sequence[int], memory_budget: int = DEFAULT_MEMORY_BUDGET) -> int:
    """Loader processes for files of ``sizes``: one per CPU, as many as fit the memory budget
    when each may take ``LOAD_MEMORY_FACTOR`` times the biggest file."""
    biggest = max(sizes, default=0)
    per_worker = LOAD_MEMORY_FACTOR * biggest
    if per_worker == 0:
        return 1
    if biggest >= _BIG_FILE_BYTES:
        # Files this big are read one at a time, as measured (2 file workers on 263 MB files were
        # 1.5x slower, when load() split each over the cores). load() no longer spawns processes
        # (issue 15); running big files side by side waits for a measured gain.
        return 1
    fit = (memory_budget - _MAIN_PROCESS_BYTES) // per_worker
    return int(max(1, min(available_cpus(), fit)))


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
        self.schema = with_banner(SPAN_SCHEMA.empty_table(), redaction).schema
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
        _fsync_dir(self.target.parent)

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.tmp.unlink(missing_ok=True)
        self.tmp.with_name(self.tmp.name + ".f").unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


#: Bytes of input per span bucket: a bucket's spans take about as much memory as its JSON did.
DEFAULT_BUCKET_BYTES: Final = 256 * 1024 * 1024


def _run_batch(
    handle: Any,
    outcomes: list[FileOutcome],
    problems: list[Problem],
    *,
    format: str | None,
    policy: Any,
    out: str | os.PathLike[str] | None,
    tick: Progress,
    write_batch: Callable[..., Any],
    finish_batch: Callable[..., Any],
    bucket_bytes: int = DEFAULT_BUCKET_BYTES,
    workers: int | None = 1,
    redaction: Redaction = Redaction(None),
    engine: Engine | None = None,
    dataset: str | os.PathLike[str] | None = None,
    stored_results: Callable[[set[str]], tuple[pl.DataFrame, pl.DataFrame]] | None = None,
) -> BatchSummary:
    todo = [i for i, o in enumerate(outcomes) if o.status == "pending"]
    # Inputs stored before: their stored results still go to --out (see _replay_stored).
    replay = [i for i, o in enumerate(outcomes) if o.status == "skipped"] \
        if out is not None and stored_results is not None else []
    if workers is None:
        workers = auto_workers([outcomes[i].size_bytes or 0 for i in todo])
    total_bytes = sum(outcomes[i].size_bytes or 0 for i in todo)
    n_buckets = -(-total_bytes // bucket_bytes) if total_bytes > bucket_bytes else 1
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
    spans_out = _SpansParquet(Path(out) / "spans.parquet", redaction) if out is not None and (todo or replay) else None
    # The spill sits beside the outputs (same disk as the night's results), hidden by its name.
    with tempfile.TemporaryDirectory(prefix=".forensics-spill-", dir=out if out is not None else None) as spill:
        try:
            return _load_classify_store(
                handle, outcomes, problems, todo, SpanBuckets(n_buckets, Path(spill)), spans_out,
                format=format, policy=policy, out=out, tick=tick, write_batch=write_batch,
                finish_batch=finish_batch, workers=workers, redaction=redaction,
                engine=engine or classify_local, dataset=dataset, workdir=Path(spill),
                replay=replay, stored_results=stored_results,
            )
        finally:
            if spans_out is not None:
                spans_out.discard()  # a no-op once renamed into place


def _load_classify_store(
    handle: Any,
    outcomes: list[FileOutcome],
    problems: list[Problem],
    todo: list[int],
    spans: SpanBuckets,
    spans_out: _SpansParquet | None,
    *,
    format: str | None,
    policy: Any,
    out: str | os.PathLike[str] | None,
    tick: Progress,
    write_batch: Callable[..., Any],
    finish_batch: Callable[..., Any],
    workers: int = 1,
    redaction: Redaction = Redaction(None),
    engine: Engine | None = None,
    dataset: str | os.PathLike[str] | None = None,
    workdir: Path | None = None,
    replay: Sequence[int] = (),
    stored_results: Callable[[set[str]], tuple[pl.DataFrame, pl.DataFrame]] | None = None,
) -> BatchSummary:
    from forensics.redact import FINDING_TEXT_COLUMNS

    quarantines: list[pa.Table] = []
    if workers > 1 and spans.spilled and len(todo) > 1:
        quarantines = _load_in_workers(handle, outcomes, problems, todo, spans, format=format,
                                       tick=tick, workers=workers)
    else:
        for n, idx in enumerate(todo):
            tick("load", n, len(todo), outcomes[idx].path)
            outcome, result, file_problems = _load_one(outcomes[idx].path, format, outcomes[idx])
            outcomes[idx] = outcome
            problems.extend(file_problems)
            if result is not None:
                quarantines.append(result.quarantine)
                if outcome.status == "pending":
                    spans.add(result.spans)
            del result
            handle.heartbeat()
    tick("load", len(todo), len(todo), None)
    late = spans.refinalize(spans_out)
    if late.num_rows:
        quarantines.append(late)
        _count_late_quarantine(outcomes, problems, late)

    quarantine = pa.concat_tables(quarantines) if quarantines else QUARANTINE_SCHEMA.empty_table()
    old = _replay_stored(outcomes, replay, format, spans_out, problems, stored_results, tick)
    if old is not None:
        quarantine = pa.concat_tables([quarantine, old.quarantine])
    summary = BatchSummary(batch_id=handle.id, status="running", policy_version=policy.version, store_url="",
                           files=outcomes, problems=problems, redacted=redaction.redacted,
                           redaction=redaction.banner())
    if spans.rows == 0:
        # Nothing new to store: a rerun (inputs stored before) is "skipped"; nothing readable is "failed".
        nothing_read = any(o.status == "failed" for o in outcomes) or not outcomes
        status = "failed" if nothing_read and not any(o.status in ("skipped", "duplicate") for o in outcomes) \
            else "skipped"
        finish_batch(handle, status=status, inputs=[o.as_input() for o in outcomes], problems=problems,
                     counts={"inputs": len(outcomes), "runs": 0, "findings": 0},
                     error="no input could be read; see problems" if status == "failed" else None)
        summary.status = status
        if out is not None and old is not None:
            _write_outputs(Path(out), summary, spans_out, old.runs, old.findings, quarantine, old.keys, redaction, tick)
            summary.from_store = old.inputs
        return summary

    runs_t, findings_t = (engine or classify_local)(spans, policy, tick, workdir)
    # Classified on the text as loaded; what is stored and written is redacted (unless opted out).
    findings_t = redaction.redact(findings_t, FINDING_TEXT_COLUMNS)

    tick("store", 0, 1, None)
    planned = {name: str(Path(out) / f"{name}.parquet") for name in PARQUET_OUTPUTS} if out is not None else {}
    written = write_batch(handle, runs_table=runs_t, findings_table=findings_t,
                          inputs=[o.as_input() for o in outcomes], problems=problems,
                          counts={"spans": spans.rows, "quarantined": quarantine.num_rows,
                                  "classify_buckets": spans.n,
                                  # Where the Parquet goes (written right after this commit); the
                                  # report reads the worst runs' spans from here.
                                  "outputs": {k: os.path.abspath(v) for k, v in planned.items()}})
    stored = set(written.stored_inputs)
    elsewhere = set(written.claimed_elsewhere)
    summary.files[:] = [
        replace(o, status="stored" if o.path in stored else "claimed-elsewhere" if o.path in elsewhere else o.status)
        for o in outcomes
    ]
    summary.status = written.status
    summary.runs, summary.findings = written.runs, written.findings
    summary.replaced_runs, summary.replaced_findings = written.replaced_runs, written.replaced_findings
    keys = _path_keys(stored)
    # Usually every loaded file was stored (no concurrent job took one): then nothing is filtered.
    everything = not elsewhere
    stored_runs = _frame(runs_t) if everything else _frame(runs_t).filter(pl.col("source_file").is_in(keys))
    finds = _frame(findings_t)
    if not everything:
        finds = finds.filter(pl.col("run_id").is_in(stored_runs["run_id"].implode()))
    summary.findings_by_class = dict(
        finds.group_by("failure_class").len().sort("failure_class").iter_rows()
    ) if finds.height else {}

    if out is not None and (stored or old is not None):
        out_runs, out_finds, kept = stored_runs, finds, None if everything else keys
        if old is not None:
            out_runs = pl.concat([stored_runs.select(RUN_SCHEMA.names), old.runs], how="vertical_relaxed")
            out_finds = pl.concat([finds.select(FINDING_SCHEMA.names), old.findings], how="vertical_relaxed")
            kept = None if everything else sorted(set(keys) | set(old.keys))
            summary.from_store = old.inputs
        _write_outputs(Path(out), summary, spans_out, out_runs, out_finds, quarantine, kept, redaction, tick)
    if dataset is not None and stored:
        tick("write", 0, 1, "dataset")
        appended = _append_dataset(dataset, spans, quarantine, stored_runs.to_arrow(), finds.to_arrow(),
                                   None if everything else keys, redaction)
        summary.outputs["dataset"] = f"{dataset} (append {appended})"
    return summary


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
        return _frame(RUN_SCHEMA.empty_table()), _frame(FINDING_SCHEMA.empty_table())
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
    quarantine = pa.concat_tables(quarantines) if quarantines else QUARANTINE_SCHEMA.empty_table()
    return _Replayed(len(replay), runs, findings, quarantine, _path_keys(outcomes[idx].path for idx in replay))


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


# --------------------------------------------------------------------------------------------
# Engines: what classifies a night's span buckets (the store and write steps are shared)
# --------------------------------------------------------------------------------------------

#: ``engine(spans, policy, progress, workdir) -> (runs, findings)``.
Engine = Callable[["SpanBuckets", Any, Progress, Path | None], tuple[pa.Table, pa.Table]]


def _fleet(spans: SpanBuckets, policy: Any) -> pl.DataFrame | None:
    """The night's per-run facts for fleet-relative budgets (a run is judged against the whole
    night, whichever bucket holds it); None when the policy needs none."""
    from forensics.detectors.runaway_cost import fleet_facts
    from forensics.policy import resolve_policy

    pol = resolve_policy(policy)
    if not pol.fleet_factor or (pol.max_tokens_per_run and pol.max_cost_usd_per_run):
        return None
    facts = []
    for bucket in spans.buckets():
        frame = pl.from_arrow(bucket)
        assert isinstance(frame, pl.DataFrame)
        facts.append(fleet_facts(frame))
    return pl.concat(facts) if facts else None


def classify_local(spans: SpanBuckets, policy: Any, tick: Progress, workdir: Path | None) -> tuple[pa.Table, pa.Table]:
    """Bucket by bucket in this process: peak memory is one bucket."""
    from forensics.classify import classify

    runs_parts: list[pa.Table] = []
    findings_parts: list[pa.Table] = []
    fleet = _fleet(spans, policy)
    for k, bucket in enumerate(spans.buckets()):
        tick("classify", k, spans.n, None)
        result = classify(bucket, policy=policy, fleet=fleet)
        runs_parts.append(result.runs)
        findings_parts.append(result.findings)
        del bucket, result
    tick("classify", spans.n, spans.n, None)
    runs_t = pa.concat_tables(runs_parts) if runs_parts else RUN_SCHEMA.empty_table()
    findings_t = pa.concat_tables(findings_parts) if findings_parts else FINDING_SCHEMA.empty_table()
    return runs_t, findings_t


def classify_on_spark(spans: SpanBuckets, policy: Any, tick: Progress, workdir: Path | None
                      ) -> tuple[pa.Table, pa.Table]:
    """On Spark (master from $FORENSICS_SPARK_MASTER, default local[2]) through a temporary
    dataset in clear under ``workdir``."""
    from forensics.spark import active_spark, classify_tables_spark, spark_session

    existing = active_spark()
    session = spark_session(master=os.environ.get("FORENSICS_SPARK_MASTER", "local[2]"))
    try:
        tick("classify", 0, 1, "spark")
        result = classify_tables_spark(spans.buckets(), policy, workdir=workdir or tempfile.gettempdir(),
                                       spark=session)
        tick("classify", 1, 1, None)
    finally:
        if existing is None:
            session.stop()  # started here: a CLI run ends its JVM; a caller's session is left alone
    return result.runs, result.findings


ENGINES: Final[dict[str, Engine]] = {"local": classify_local, "spark": classify_on_spark}


def _spark_preflight() -> None:
    from forensics.spark import require_spark

    require_spark()


#: What an engine checks before the night is loaded, so a missing runtime fails in a second, not
#: after an hour of loading.
PREFLIGHTS: Final[dict[str, Callable[[], None]]] = {"spark": _spark_preflight}


def engine_named(name: str) -> Engine:
    """The engine registered as ``name``, checked ready to run (see :data:`PREFLIGHTS`), or an
    :class:`InputError` naming the engines there are."""
    try:
        engine = ENGINES[name]
    except KeyError:
        raise InputError(f"no classification engine named `{name}`",
                         hint=f"engines: {', '.join(f'`{n}`' for n in ENGINES)}.") from None
    PREFLIGHTS.get(name, lambda: None)()
    return engine


def _one_process_per_file() -> None:
    # In a file worker, load() must not split the file over more processes: the workers
    # already use the cores.
    os.environ["FORENSICS_WORKERS"] = "1"


def _load_in_workers(
    handle: Any,
    outcomes: list[FileOutcome],
    problems: list[Problem],
    todo: list[int],
    spans: SpanBuckets,
    *,
    format: str | None,
    tick: Progress,
    workers: int,
) -> list[pa.Table]:
    """Load files in parallel processes (spawned: polars' threads and fork do not mix), each
    spilling its own spans; results are taken back in file order so problems and quarantine
    come out as a serial run would write them."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    spill = spans.directory
    assert spill is not None
    done: dict[int, tuple[FileOutcome, list[Problem], pa.Table | None, int]] = {}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx,
                             initializer=_one_process_per_file) as pool:
        futures = {
            pool.submit(_load_and_spill, outcomes[idx].path, format, outcomes[idx], str(spill), spans.n, idx): idx
            for idx in todo
        }
        tick("load", 0, len(todo), None)
        for n, fut in enumerate(as_completed(futures), start=1):
            idx = futures[fut]
            done[idx] = fut.result()
            tick("load", n, len(todo), outcomes[idx].path)
            handle.heartbeat()
    quarantines: list[pa.Table] = []
    for idx in todo:
        outcome, file_problems, quarantine, rows = done[idx]
        outcomes[idx] = outcome
        problems.extend(file_problems)
        if quarantine is not None:
            quarantines.append(quarantine)
        spans.add_spilled(rows)
    return quarantines


def _count_late_quarantine(outcomes: list[FileOutcome], problems: list[Problem], late: pa.Table) -> None:
    """Spans quarantined by the night's finalisation were counted as rows by their file: move
    them to its quarantined count (records read = rows + quarantined + merged still holds) and
    say so in the file's problems."""
    counts: dict[tuple[str, str], int] = {}
    for source, reason in zip(late.column("source_file").to_pylist(), late.column("reason").to_pylist(),
                              strict=True):
        counts[(source, reason)] = counts.get((source, reason), 0) + 1
    for i, outcome in enumerate(outcomes):
        keys = set(_path_keys([outcome.path]))
        mine = {reason: n for (source, reason), n in counts.items() if source in keys}
        if not mine:
            continue
        n = sum(mine.values())
        reasons = dict(outcome.reasons)
        for reason, k in mine.items():
            reasons[reason] = reasons.get(reason, 0) + k
        outcomes[i] = replace(outcome, rows=outcome.rows - n, quarantined=outcome.quarantined + n, reasons=reasons)
        shown = ", ".join(f"{k}={v}" for k, v in sorted(mine.items()))
        problems.append(Problem(outcome.path, "quarantined",
                                f"{outcome.path}: {n:,} span(s) quarantined once the night's files were read "
                                f"together ({shown}; a duplicate-span-id is a span also exported in an earlier file). Hint: check "
                                "whether the exporter wrote the same batch twice.", level="warning"))


def _frame(table: pa.Table) -> pl.DataFrame:
    df = pl.from_arrow(table)
    if not isinstance(df, pl.DataFrame):  # pragma: no cover - a Table always gives a DataFrame
        raise InternalError("expected a table, got a column")
    return df


def _breaches(thresholds: Sequence[Threshold], summary: BatchSummary) -> list[str]:
    out = []
    for t in thresholds:
        n = summary.findings if t.failure_class is None else summary.findings_by_class.get(t.failure_class, 0)
        if n > t.limit:
            out.append(f"{t.failure_class or 'findings'}: {n} > {t.limit}")
    return out


