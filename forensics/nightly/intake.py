"""Intake: the night's files found, hashed and settled (too large, unreadable, empty, duplicate
content, or THE "already stored" decision, :func:`skip_already_stored`), then loaded one by one
or in worker processes; a file's failure is that file's problem, never the night's.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, TypeVar

import pyarrow as pa

from forensics.errors import ForensicsError, InputError, InternalError, UnknownFormatError
from forensics.nightly.buckets import SpanBuckets, spill_partitions
from forensics.store import InputFile, Problem, Store

#: ``progress(stage, done, total, path)``: stage is ``hash``, ``load``, ``classify``, ``store``
#: or ``write``; called before each step (``done`` steps finished out of ``total``).
Progress = Callable[[str, int, int, str | None], None]


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
    #: The other files its spans name as where they were first read: a saved span table
    #: (loaders/span_table.py) keeps them, so its runs are this input's under those names too.
    sources: tuple[str, ...] = ()

    def keys(self) -> list[str]:
        """Every ``source_file`` value that names this input's spans."""
        return sorted({*_path_keys([self.path]), *self.sources})

    def counts(self) -> dict[str, int]:
        return {"records_read": self.records_read, "rows": self.rows, "quarantined": self.quarantined,
                "merged": self.merged, **{f"quarantined:{k}": v for k, v in sorted(self.reasons.items())}}

    def as_input(self) -> InputFile:
        return InputFile(path=self.path, sha256=self.sha256 or "", size_bytes=self.size_bytes,
                         format=self.format, status=self.status, counts=self.counts(), sources=self.sources)



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
                                    "*.parquet, *.log, or a file whose content a loader recognises) under "
                                    "this directory. Hint: check the path."))
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
        sources=_other_sources(path, result.spans),
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




def hash_inputs(files: Sequence[str], problems: list[Problem], tick: Progress,
                max_file_bytes: int | None = None) -> list[FileOutcome]:
    """One outcome per file, ``pending`` with its content hash when it may be read; a file too
    large, unreadable, empty or with the same content as an earlier input is settled here (its
    problem appended to ``problems``)."""
    by_hash: dict[str, str] = {}
    outcomes: list[FileOutcome] = []
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
    return outcomes


#: An input of either path: a file of the night (FileOutcome) or a dataset source (InputFile).
InputT = TypeVar("InputT", FileOutcome, InputFile)


def skip_already_stored(store: Store, inputs: Sequence[InputT], policy_version: str, *,
                        force: bool = False, classifier_version: str | None = None) -> tuple[list[InputT], dict[str, int]]:
    """THE "already stored" decision of the nightly job (the file path and the Spark path both ask
    here): an input whose content hash is stored under this policy version by this classifier
    version (default: this install's, forensics.classifier_version) was processed before, so it is
    marked ``skipped`` instead of being classified again; one an older classifier stored is not (it
    is reclassified, and the store replaces the older rows); ``force`` skips nothing (the store then
    replaces the earlier rows). Returns the inputs and ``{sha256: batch_id}`` of the stored ones
    (where their results are).

    This is the early answer, read before the batch starts. The store makes the same decision
    race-free at commit time (the claim's unique (sha256, policy_version, classifier_version) key inside
    ``write_batch``'s transaction): an input that passes here but that a concurrent job stores
    first comes back ``claimed-elsewhere``, stored once.
    """
    from forensics.store import stored_hashes

    pending = [i.sha256 for i in inputs if i.status == "pending" and i.sha256]
    done = {} if force else stored_hashes(store, pending, policy_version, classifier_version)
    return [replace(i, status="skipped") if i.status == "pending" and i.sha256 in done else i for i in inputs], done


def _other_sources(path: str, spans: pa.Table) -> tuple[str, ...]:
    """The ``source_file`` values of ``spans`` that do not name ``path`` (a saved span table's)."""
    import pyarrow.compute as pc

    named = pc.unique(spans.column("source_file")).to_pylist() if spans.num_rows else []
    mine = set(_path_keys([path]))
    return tuple(sorted(str(s) for s in named if s is not None and s not in mine))


def _path_keys(paths: Iterable[str]) -> list[str]:
    keys: set[str] = set()
    for p in paths:
        keys |= {p, os.path.abspath(p), os.path.relpath(p), str(Path(p).resolve())}
    return sorted(keys)



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
    say so in the file's problems. A source two inputs name (two saved span tables of one log) is
    counted once, to the later input: the night keeps a span's first copy and rejects the later ones."""
    counts: dict[tuple[str, str], int] = {}
    for source, reason in zip(late.column("source_file").to_pylist(), late.column("reason").to_pylist(),
                              strict=True):
        counts[(source, reason)] = counts.get((source, reason), 0) + 1
    owner = {key: i for i, outcome in enumerate(outcomes) for key in outcome.keys()}
    for i, outcome in enumerate(outcomes):
        mine = {reason: n for (source, reason), n in counts.items() if owner.get(source) == i}
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
                                f"together ({shown}; a resent-span-copy is a span also exported, field for field, in an "
                                f"earlier file: harmless; a duplicate-span-id shares the id with other contents). Hint: check "
                                "whether the exporter wrote the same batch twice.", level="warning"))
