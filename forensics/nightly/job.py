"""The nightly job: :func:`classify_paths` is everything ``forensics classify`` does with files.

The CLI only parses arguments, shows progress and turns the summary into an exit code. One bad file
never sinks the night: a file that cannot be read (corrupt, empty, unknown format, too large)
becomes a :class:`~forensics.store.Problem` with its path and reason, in the summary and in the
batch record, and the good files go on. The rooms it walks through: intake (hash, the
already-stored decision, load), buckets, an engine, the store, outputs.

Redaction (on by default, ``redact=False`` the explicit opt-out): the classifier reads the spans
as loaded (detectors need the real text), then every Parquet file under ``out`` is written
redacted (spans' text columns, quarantine ``raw``/``detail``, findings' ``explanation``) with
the :func:`~forensics.redact.redaction_banner` in its footer metadata (``forensics.redaction``),
and the findings' explanations are stored redacted too: the store feeds the report and
notebooks, and an explanation quotes tool arguments and final answers.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from forensics.nightly.buckets import DEFAULT_BUCKET_BYTES, SpanBuckets, _frame, auto_workers
from forensics.nightly.engines import Engine, classify_local, engine_named, fleet_facts_of
from forensics.nightly.intake import (
    FileOutcome,
    Progress,
    _count_late_quarantine,
    _expand,
    _load_in_workers,
    _load_one,
    hash_inputs,
    skip_already_stored,
)
from forensics.nightly.outputs import (
    NO_REDACTION,
    PARQUET_OUTPUTS,
    Redaction,
    _append_dataset,
    _replay_stored,
    _SpansParquet,
    _write_outputs,
    read_stored_results,
)
from forensics.schema import FINDING_SCHEMA, QUARANTINE_SCHEMA, RUN_SCHEMA, empty_table
from forensics.store import Problem
from forensics.urls import display_url


@dataclass
class BatchSummary:
    """What one nightly batch did. The CLI turns it into an exit code (``forensics.cli.fail_on``):
    the library reports, it does not decide how a process ends."""

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
    seconds: float = 0.0
    #: Whether the Parquet outputs and stored explanations were redacted, and the banner saying so.
    redacted: bool = True
    redaction: str = ""
    #: Inputs stored before whose results were written to --out from the store (their spans and
    #: quarantine re-read from the files), so that --out always holds every input's results.
    from_store: int = 0
    #: The classifier of this batch (forensics.classifier_version), recorded on every row it stores.
    classifier_version: str = ""
    #: ``{path: version}``: inputs stored under this policy by another classifier version only, so
    #: reclassified here (their older rows replaced) instead of skipped.
    reclassified: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        """Problems that cost a file (it contributed nothing); warnings are the rest."""
        return [p for p in self.problems if p.level == "error"]

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)


def classify_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    format: str | None = None,
    policy: Any = None,
    db: str | None = None,
    out: str | os.PathLike[str] | None = None,
    force: bool = False,
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

    Inputs already stored under the same policy by the same classifier version (same content hash)
    are skipped unless ``force``; those an older classifier stored are reclassified and their rows
    replaced in the batch's one transaction (``summary.reclassified`` says which, and by whom),
    which replaces their earlier rows (the one decision: :func:`~forensics.nightly.intake.skip_already_stored`). With ``out``, a skipped input's results are still written
    there, read from the store (its spans and quarantine re-read from the file), so ``out`` always
    holds the results of every input given (``summary.from_store`` counts them). A file larger than ``max_file_bytes`` is reported and not
    read. Raises only for what stops the whole batch (bad policy, store unreachable, a classifier
    bug); the batch is then marked failed. Nights bigger than ``bucket_bytes`` of input (default
    256 MiB) are classified in buckets of whole sessions spilled to Parquet (see
    :class:`SpanBuckets`), so memory stays bounded, and their files are loaded by ``workers``
    processes (default: one per CPU, as many as fit a 3 GB budget, see :func:`auto_workers`).
    """
    from forensics.classifier_version import classifier_version
    from forensics.policy import resolve_policy
    from forensics.store import (
        fail_batch,
        finish_batch,
        open_store,
        start_batch,
        stored_by_other_classifiers,
        write_batch,
    )

    started = time.perf_counter()
    tick = progress or (lambda stage, done, total, path: None)
    pol = resolve_policy(policy)
    if redact:
        from forensics.redact import resolve_redaction_policy

        redaction = Redaction(resolve_redaction_policy(redaction_policy))
    else:
        redaction = NO_REDACTION
    classify_night = engine_named(engine)
    if dataset is not None:
        from forensics.dataset import check_append

        check_append(dataset, redact=redaction.redacted)
    problems: list[Problem] = []
    files = _expand(paths, problems)
    outcomes = hash_inputs(files, problems, tick, max_file_bytes)

    store = open_store(db)
    try:
        version = classifier_version()
        outcomes, done_before = skip_already_stored(store, outcomes, pol.version, force=force,
                                                    classifier_version=version)
        older = {} if force else stored_by_other_classifiers(
            store, [o.sha256 for o in outcomes if o.status == "pending" and o.sha256], pol.version, version)
        handle = start_batch(store, policy_version=pol.version, inputs=[o.as_input() for o in outcomes],
                             force=force, command=shlex.join(sys.argv), classifier_version=version)
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
        summary.classifier_version = version
        summary.reclassified = {o.path: older[o.sha256] for o in summary.files
                                if o.sha256 in older and o.status == "stored"}
    finally:
        store.close()
    summary.seconds = time.perf_counter() - started
    return summary


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
    redaction: Redaction = NO_REDACTION,
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
    redaction: Redaction = NO_REDACTION,
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
    # The local engine's fleet facts are taken here, while each bucket is in memory anyway.
    late = spans.refinalize(spans_out, facts=fleet_facts_of(policy) if engine in (None, classify_local) else None)
    if late.num_rows:
        quarantines.append(late)
        _count_late_quarantine(outcomes, problems, late)

    quarantine = pa.concat_tables(quarantines) if quarantines else empty_table(QUARANTINE_SCHEMA)
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
    keys = sorted({k for o in outcomes if o.path in stored for k in o.keys()})
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
