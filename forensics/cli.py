"""``forensics``: the command line. The one place errors become exit codes.

Exit codes (docs/NIGHTLY.md):

* 0: success.
* 1: the batch succeeded but findings exceed a ``--fail-on`` threshold (alert from cron).
* 2: bad input: some or all files could not be read (the good ones were still processed and
  stored), a bad policy file, an unknown format, a bad option.
* 3: internal error: the store is unreachable or a bug; a traceback file is written for bugs.

Every :class:`~forensics.errors.ForensicsError` prints ``Error: ...`` and its ``Hint:`` on stderr.
Progress bars go to stderr and only when it is a terminal; results go to stdout.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console
from rich.table import Table

from forensics.errors import (
    ForensicsError,
    InputError,
    InternalError,
    MissingDependencyError,
    PolicyError,
    StoreError,
    UnknownFormatError,
)

EXIT_OK: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_INTERNAL: Final = 3

#: Error class → exit code, most specific first (a registry, not an if/elif chain).
EXIT_CODES: Final[tuple[tuple[type[ForensicsError], int], ...]] = (
    (InputError, EXIT_BAD_INPUT),
    (PolicyError, EXIT_BAD_INPUT),
    (StoreError, EXIT_INTERNAL),
    (MissingDependencyError, EXIT_INTERNAL),
    (InternalError, EXIT_INTERNAL),
    (ForensicsError, EXIT_INTERNAL),
)

app = typer.Typer(
    name="forensics",
    help="Incident forensics for AI agents: load agent logs, classify every run, store and report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Not a terminal (cron, a log file): wide enough that paths are not folded into columns of 12.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)

#: The CLI's logger. Python warnings raised while a command runs (e.g. redacting with the default
#: key) come out through it as one ``Warning: ...`` line each, never as Python's
#: ``forensics/redact.py:683: RedactionKeyWarning: ...`` followed by a source line.
log = logging.getLogger("forensics.cli")


class _StderrLines(logging.Handler):
    """Each record as one ``Warning: ...`` line on stderr; a message repeated by several steps of one
    command (classify redacts Parquet and explanations) is said once."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.said: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        text = " ".join(record.getMessage().split())
        if text not in self.said:
            self.said.add(text)
            err.print(f"{record.levelname.capitalize()}: {text}", markup=False, soft_wrap=True)


def _warning_to_log(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                    file: Any = None, line: str | None = None) -> None:
    log.warning("%s", message)


def _version_option(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("agent-forensics")
        except PackageNotFoundError:  # run from a source tree that was never installed
            from forensics import __version__ as number
        out.print(f"forensics {number}", markup=False)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version_option, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Incident forensics for AI agents: load agent logs, classify every run, store and report."""


def _exit(code: int) -> None:
    """End a command with ``code`` (typer turns this into the process exit status)."""
    raise typer.Exit(code)


def exit_code_for(exc: ForensicsError) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return EXIT_INTERNAL  # pragma: no cover - ForensicsError is last in EXIT_CODES


# --------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------


class ProgressBars:
    """A ``progress(stage, done, total, path)`` callback drawing rich bars on stderr."""

    LABELS: Final = {"hash": "hashing", "load": "loading", "classify": "classifying", "store": "storing",
                     "write": "writing Parquet"}

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[path]}", style="dim"), console=err, transient=False,
        )
        self.tasks: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int, path: str | None) -> None:
        task = self.tasks.get(stage)
        if task is None:
            task = self.progress.add_task(self.LABELS.get(stage, stage), total=total, path="")
            self.tasks[stage] = task
        self.progress.update(task, completed=done, total=total, path=_short(path or ""))

    def __enter__(self) -> ProgressBars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for task in self.progress.tasks:
            if exc[0] is None and task.total is not None:
                self.progress.update(task.id, completed=task.total, path="")
        self.progress.stop()


def _short(path: str, width: int = 50) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1):]


def _progress_enabled(flag: bool | None) -> bool:
    return err.is_terminal if flag is None else flag


# --------------------------------------------------------------------------------------------
# classify
# --------------------------------------------------------------------------------------------

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store URL (any SQLAlchemy URL) or SQLite file; default $FORENSICS_DB or ./forensics.db."),
]
NoRedactOption = Annotated[
    bool,
    typer.Option("--no-redact", help="Do NOT redact: write personal data and secrets from the logs (e-mail "
                 "addresses, phone and card numbers, API keys, tokens) in clear. Every output then says "
                 "NOT REDACTED. Default: redacted (docs/REDACTION.md)."),
]
DatasetOption = Annotated[
    Path | None,
    typer.Option("--dataset", help="Also append to this partitioned Parquet dataset (created if new; "
                 "docs/DATASET_AND_SPARK.md), redacted unless --no-redact."),
]
RedactPolicyOption = Annotated[
    Path | None,
    typer.Option("--redact-policy", help="TOML file with a [redact] table (what to redact, custom patterns); "
                 "default: everything on. The key is read from $FORENSICS_REDACT_KEY."),
]


@app.command()
def classify(
    paths: Annotated[list[str] | None, typer.Argument(help="Log files, directories or globs (none with --dataset: classify the dataset's spans).")] = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="Loader name (see `forensics formats`); default: sniff each file.")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy TOML file; default: the shipped policy.")] = None,
    db: DbOption = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Directory for spans/findings/runs/quarantine .parquet.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Reclassify inputs stored before, replacing their rows.")] = False,
    fail_on: Annotated[list[str] | None, typer.Option("--fail-on", help="Exit 1 when findings exceed N, or CLASS=N for one class (repeatable).")] = None,
    max_file_size: Annotated[str | None, typer.Option("--max-file-size", help="Skip (and report) files larger than this, e.g. 2GB.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Processes loading files of a big night in parallel (default: one per CPU, as many as fit 3 GB).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON instead of tables.")] = False,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="Progress bars on stderr (default: when it is a terminal).")] = None,
    no_redact: NoRedactOption = False,
    redact_policy: RedactPolicyOption = None,
    dataset: DatasetOption = None,
    engine: Annotated[str, typer.Option("--engine", help="What classifies: `local` (this process, bucket by bucket) or `spark` (PySpark; master from $FORENSICS_SPARK_MASTER, default local[2]). Store and outputs are the same.")] = "local",
    since: Annotated[str | None, typer.Option("--since", help="For a trace store given as a URL (mlflow://HOST:PORT/EXPERIMENT): how far back the first fetch goes (default 24h); later runs fetch from where the store says the last one ended. Fetched traces are kept in $FORENSICS_SPOOL (default ./forensics-spool).")] = None,
) -> None:
    """Load, classify and store logs as one batch; write Parquet with --out.

    The Parquet files and the stored findings' explanations are redacted unless --no-redact.

    Inputs already stored (same content hash, same policy) are skipped unless --force.
    With --dataset and no PATHS, the dataset's committed spans are classified (what `forensics
    serve --otlp` received) and the runs and findings appended to it, once per policy.
    Exit codes: 0 ok, 1 findings over --fail-on, 2 bad input (good files still stored), 3 internal error.
    """
    from forensics.batch import classify_paths, parse_fail_on

    if not paths:
        given = {"--format": format, "--db": db, "--out": out_dir, "--force": force or None, "--fail-on": fail_on,
                 "--max-file-size": max_file_size, "--workers": workers, "--no-redact": no_redact or None,
                 "--redact-policy": redact_policy, "--engine": None if engine == "local" else engine}
        _exit(_classify_dataset(dataset, policy, as_json, [k for k, v in given.items() if v is not None]))
        return
    thresholds = parse_fail_on(fail_on or [])
    limit = _parse_size(max_file_size) if max_file_size else None
    _refuse_policy_without_redaction(no_redact, redact_policy)
    paths = _spool_sources(paths, since, db)
    if not paths:  # only trace stores, and nothing new in them: no batch
        if as_json:
            out.print_json(json.dumps({"status": "nothing-new", "runs": 0, "findings": 0}))
        _exit(EXIT_OK)
        return
    _say_walk_skips(paths)
    kwargs = dict(format=format, policy=policy, db=db, out=out_dir, force=force, fail_on=thresholds,
                  max_file_bytes=limit, workers=workers, redact=not no_redact, redaction_policy=redact_policy,
                  engine=engine, dataset=dataset)
    if _progress_enabled(progress):
        with ProgressBars() as bars:
            summary = classify_paths(paths, progress=bars, **kwargs)  # type: ignore[arg-type]
    else:
        summary = classify_paths(paths, **kwargs)  # type: ignore[arg-type]
    if as_json:
        out.print_json(json.dumps(_summary_json(summary)))
    else:
        _print_summary(summary)
    for p in summary.errors:
        text = p.detail if p.detail.startswith(p.file) else f"{p.file}: {p.detail}"
        err.print(f"Error ({p.reason}): {_fit_problem(text, 'classify')}", markup=False)
    _exit(summary.exit_code)


def _spool_sources(paths: list[str], since: str | None, db: str | None) -> list[str]:
    """``paths`` with each trace-store URL replaced by the JSON-lines file of its new traces
    (forensics.sources: the window from the store's watermark, at most ``--since`` back)."""
    from forensics.sources import is_source_url, parse_since, spool

    urls = [p for p in paths if is_source_url(p)]
    if not urls:
        if since is not None:
            raise InputError("--since applies to trace stores given as URLs",
                             hint="e.g. forensics classify mlflow://localhost:5000/my-experiment --since 24h")
        return paths
    window = parse_since(since or "24h")
    directory = Path(os.environ.get("FORENSICS_SPOOL") or "forensics-spool")
    kept = [p for p in paths if not is_source_url(p)]
    for url in urls:
        got = spool(url, window, directory, db=db)
        span = f"{got.start:%Y-%m-%d %H:%M:%S} to {got.end:%Y-%m-%d %H:%M:%S} UTC"
        if got.path is None:
            err.print(f"source: {got.source}: no new traces from {span}", markup=False)
        else:
            err.print(f"source: {got.source}: {got.traces:,} traces from {span} -> {got.path}", markup=False)
            kept.append(str(got.path))
    return kept


def _classify_dataset(dataset: Path | None, policy: Path | None, as_json: bool, path_options: list[str]) -> int:
    """``classify --dataset DIR`` without PATHS: classify the dataset's spans, append the results."""
    from forensics.dataset import classify_dataset, read, spans_read_key, write_results

    if dataset is None:
        raise InputError("no PATHS to classify", hint="pass log files, directories or globs, or --dataset DIR to "
                         "classify a dataset's spans (e.g. what `forensics serve --otlp --dataset DIR` received).")
    if path_options:
        raise InputError(f"{', '.join(path_options)} apply to PATHS, not to classifying a dataset",
                         hint="drop them, or pass the log files to classify.")
    source = spans_read_key(dataset)  # before reading: an append meanwhile is neither read nor claimed
    spans = read(dataset, columns=["run_id"]).num_rows
    result = classify_dataset(dataset, policy=policy)
    written = write_results(result, dataset, source=source)
    findings = result.findings.select(["run_id", "failure_class", "detector", "decisive_span_id"]).to_pylist()
    by_class: dict[str, int] = {}
    for f in findings:
        by_class[f["failure_class"]] = by_class.get(f["failure_class"], 0) + 1
    if as_json:
        out.print_json(json.dumps({"dataset": str(dataset), "spans": spans, "runs": result.runs.num_rows,
                                   "findings": findings, "findings_by_class": by_class,
                                   "policy_version": result.policy_version, "append_id": written.append_id,
                                   "already_written": written.already_written}))
        return EXIT_OK
    table = Table(title=f"{dataset}: {_plural(spans, 'span')}, {_plural(result.runs.num_rows, 'run')}",
                  title_justify="left")
    for col in ("run", "class", "detector", "decisive span"):
        table.add_column(col, overflow="fold")
    for f in findings:
        table.add_row(f["run_id"], f["failure_class"], f["detector"], f["decisive_span_id"] or "-")
    out.print(table)
    said = ", ".join(f"{k}={v}" for k, v in sorted(by_class.items())) or "none"
    out.print(f"classified: {result.runs.num_rows:,} runs, {len(findings):,} findings ({said}); "
              f"policy {result.policy_version}", markup=False)
    where = "already in the dataset" if written.already_written else "appended to the dataset"
    out.print(f"results: {where} (append {written.append_id})", markup=False)
    return EXIT_OK


def _refuse_policy_without_redaction(no_redact: bool, redact_policy: Path | None) -> None:
    if no_redact and redact_policy is not None:
        raise InputError("--no-redact and --redact-policy contradict each other",
                         hint="drop --no-redact to redact under the policy, or --redact-policy to write in clear.")


def _redaction_line(redacted: bool, banner: str) -> str:
    """The summary's last word on redaction: ``redacted`` with the banner, or ``NOT redacted``."""
    if redacted:
        return f"outputs: redacted ({banner})"
    return "outputs: NOT redacted (--no-redact: personal data and secrets written in clear)"


_SIZE_UNITS: Final = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
                      "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _parse_size(text: str, option: str = "--max-file-size") -> int:
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = m[2].upper() if m else ""
    if m is None or unit not in _SIZE_UNITS:
        raise InputError(f"{option} {text!r} is not a size",
                         hint="use a number with an optional unit: 500MB, 2GB, 1GiB.")
    return int(float(m[1]) * _SIZE_UNITS[unit])


def _summary_json(summary: Any) -> dict[str, Any]:
    return {
        "batch_id": summary.batch_id, "status": summary.status, "exit_code": summary.exit_code,
        "policy_version": summary.policy_version, "store": summary.store_url,
        "runs": summary.runs, "findings": summary.findings, "findings_by_class": summary.findings_by_class,
        "replaced_runs": summary.replaced_runs, "replaced_findings": summary.replaced_findings,
        "files": [{"path": f.path, "sha256": f.sha256, "format": f.format, "status": f.status,
                   "records_read": f.records_read, "rows": f.rows, "quarantined": f.quarantined,
                   "merged": f.merged} for f in summary.files],
        "problems": [p.as_json() for p in summary.problems],
        "breaches": summary.breaches, "outputs": summary.outputs, "seconds": round(summary.seconds, 3),
        "redacted": summary.redacted, "redaction": summary.redaction, "from_store": summary.from_store,
    }


def _print_summary(summary: Any) -> None:
    files = Table(title=f"batch {summary.batch_id}: {summary.status}", title_justify="left")
    for col, just in (("file", "left"), ("format", "left"), ("status", "left"), ("read", "right"),
                      ("rows", "right"), ("quarantined", "right")):
        files.add_column(col, justify=just)  # type: ignore[arg-type]
    for f in summary.files:
        files.add_row(f.path, f.format or "-", f.status, f"{f.records_read:,}", f"{f.rows:,}", f"{f.quarantined:,}")
    out.print(files)
    if summary.problems:
        probs = Table(title="problems", title_justify="left")
        for col in ("file", "level", "reason", "detail"):
            probs.add_column(col, overflow="fold")
        for p in summary.problems:
            probs.add_row(p.file, p.level, p.reason, _fit_problem(p.detail, "classify"))
        out.print(probs)
    by_class = ", ".join(f"{k}={v}" for k, v in sorted(summary.findings_by_class.items())) or "none"
    lines = [
        f"stored: {summary.runs:,} runs, {summary.findings:,} findings ({by_class})",
        f"inputs: {summary.count('stored')} stored, {summary.count('skipped')} already stored, "
        f"{summary.count('claimed-elsewhere')} stored by a concurrent job, {summary.count('duplicate')} duplicate, "
        + _failed_count(summary.count("failed"), summary.problems),
        f"policy: {summary.policy_version}",
        f"store: {summary.store_url}",
    ]
    if summary.replaced_runs or summary.replaced_findings:
        lines.append(f"replaced (--force): {summary.replaced_runs:,} runs, {summary.replaced_findings:,} findings")
    if summary.from_store:
        lines.append(f"from the store: {summary.from_store} input(s) already stored under this policy: their stored "
                     "runs and findings are in the outputs below (spans and quarantine re-read from the files); "
                     "--force reclassifies them")
    for name, path in summary.outputs.items():
        lines.append(f"{name}: {path}")
    for b in summary.breaches:
        lines.append(f"--fail-on exceeded: {b}")
    lines.append(_redaction_line(summary.redacted, summary.redaction))
    lines.append(f"exit code {summary.exit_code} in {summary.seconds:.1f} s")
    for line in lines:
        out.print(line, markup=False)


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------


@app.command()
def report(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for report.html, report.md and the charts.")],
    db: DbOption = None,
    since: Annotated[str | None, typer.Option("--since", help="Only runs that started at or after this date/time (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Only runs that started before this date/time (ISO 8601).")] = None,
    run: Annotated[str | None, typer.Option("--run", help="Report on one run id.")] = None,
    worst: Annotated[int, typer.Option("--worst", help="How many of the worst runs get a timeline.")] = 5,
    no_redact: NoRedactOption = False,
    redact_policy: RedactPolicyOption = None,
) -> None:
    """Write a review-ready report (HTML + Markdown + charts) from the results store.

    Log content in it is redacted unless --no-redact; the report and each chart say which.
    """
    from forensics.redact import redaction_banner, resolve_redaction_policy
    from forensics.report import write_report
    from forensics.store import open_store

    _refuse_policy_without_redaction(no_redact, redact_policy)
    pol = None if no_redact else resolve_redaction_policy(redact_policy)
    store = open_store(db)
    try:
        written = write_report(store, out_dir, since=since, until=until, run_id=run, worst=worst,
                               redact=not no_redact, redaction_policy=pol)
    finally:
        store.close()
    for name, path in written.items():
        out.print(f"{name}: {path}", markup=False)
    out.print(_redaction_line(not no_redact, redaction_banner(not no_redact, pol)), markup=False)
    _exit(EXIT_OK)


# --------------------------------------------------------------------------------------------
# formats, sniff, load
# --------------------------------------------------------------------------------------------


@app.command()
def formats() -> None:
    """List the registered loaders and what each one sniffs for."""
    from forensics.loaders import registry

    table = Table(title="formats", title_justify="left")
    for col in ("name", "description", "sniffs"):
        table.add_column(col, overflow="fold")
    for name in registry.names():
        cls = registry.get(name)
        table.add_row(name, cls.description, cls.sniffs)
    out.print(table)
    for name, why in registry.broken().items():
        err.print(f"Error: loader `{name}` is installed but failed to import: {why}", markup=False)
    _exit(EXIT_BAD_INPUT if registry.broken() else EXIT_OK)


@app.command()
def sniff(
    file: Annotated[str, typer.Argument(help="The file to sniff.")],
    explain: Annotated[bool, typer.Option("--explain", help="Show what sniffing read and what each loader made of it.")] = False,
) -> None:
    """Say which loader would read FILE, and how sure each loader is."""
    from forensics.loaders import registry

    if not os.path.isfile(file):
        raise InputError(f"no such file: {file}", hint=f"the current directory is {os.getcwd()}")
    if explain:
        _explain_sniff(file)
    result = registry.sniff_file(file)
    through = f", its records read through the wrapper key `{result.wrapper}`" if result.wrapper else ""
    out.print(f"{file}: {result.format} ({result.confidence:.2f}){through}", markup=False)
    table = Table(title_justify="left")
    table.add_column("loader")
    table.add_column("score", justify="right")
    for name, score in result.scores.items():
        table.add_row(name, f"{score:.2f}")
    out.print(table)
    _exit(EXIT_OK)


def _explain_sniff(file: str) -> None:
    """``sniff --explain``: what the streaming sniff read, then each loader's score as framed and
    through each wrapper, and why a loader was refused."""
    from forensics.loaders import registry
    from forensics.loaders.base import SNIFF_SCAN_BYTES

    sample, views = registry.sniff_details(file)
    out.print(f"read: {registry.what_it_looks_like(sample)}", markup=False)
    if sample.first is not None:
        out.print(f"first records seen: {len(sample.records)}"
                  + (f"; stopped after {SNIFF_SCAN_BYTES:,} bytes inside the first record" if sample.cut else "")
                  + (f"; the JSON breaks off: {sample.broken}" if sample.broken and not sample.cut else ""), markup=False)
    for view in sample.through_wrappers():
        passed = ", ".join(f"{k}={v!r:.40}" for k, v in view.wrapper_fields.items()) or "none"
        out.print(f"wrapper `{view.wrapper}`: {len(view.records)} record(s) seen; passed down: {passed}", markup=False)
    table = Table(title_justify="left")
    for col, just in (("loader", "left"), ("as framed", "right"), ("best", "right"), ("read through", "left"),
                      ("note", "left")):
        table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for name, seen in sorted(views.items(), key=lambda kv: (-kv[1].score, kv[0])):
        table.add_row(name, f"{seen.plain:.2f}", f"{seen.score:.2f}", f"`{seen.wrapper}`" if seen.wrapper else "-",
                      seen.error or ("never chosen by sniffing (ask with --format)" if name == "auto-json" else ""))
    out.print(table)


@app.command()
def load(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories or globs.")],
    format: Annotated[str | None, typer.Option("--format", "-f", help="Loader name; default: sniff each file.")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the span table to this .parquet file (redacted unless --no-redact).")] = None,
    no_redact: NoRedactOption = False,
    redact_policy: RedactPolicyOption = None,
    dataset: DatasetOption = None,
) -> None:
    """Load logs and print each file's accounting (records read = rows + quarantined + merged)."""
    from forensics.batch import Redaction, with_banner, write_parquet_atomic
    from forensics.load import load as load_logs
    from forensics.redact import resolve_redaction_policy

    _refuse_policy_without_redaction(no_redact, redact_policy)
    redaction = Redaction(None if no_redact else resolve_redaction_policy(redact_policy))
    if dataset is not None:
        from forensics.dataset import check_append

        check_append(dataset, redact=redaction.redacted)

    _say_walk_skips(paths)
    result = load_logs(paths, format=format)
    table = Table(title=result.report.summary(), title_justify="left")
    for col, just in (("file", "left"), ("format", "left"), ("read", "right"), ("rows", "right"),
                      ("quarantined", "right"), ("merged", "right"), ("reasons / problem", "left")):
        table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for f in result.report.files:
        reasons = f.problem or ", ".join(f"{k}={v}" for k, v in sorted(f.reasons.items()))
        table.add_row(f.path, f.format or "-", f"{f.records_read:,}", f"{f.rows:,}", f"{f.quarantined:,}",
                      f"{f.merged:,}", reasons)
    out.print(table)
    for f in result.report.files:  # what a loader says about a whole file (auto-json: the mapping it guessed)
        for note in f.notes:
            out.print(f"{f.path}: {note}", markup=False, soft_wrap=True)
    if out_file is not None:
        write_parquet_atomic(with_banner(redaction.redact(result.spans), redaction), out_file)
        out.print(f"spans: {out_file}", markup=False)
    if dataset is not None:
        from forensics.dataset import append_load

        appended = append_load(result, dataset, redact=redaction.redacted, redaction_policy=redaction.policy)
        out.print(f"dataset: {dataset} (append {appended.append_id}: {appended.tables.get('spans', 0):,} spans, "
                  f"{appended.tables.get('quarantine', 0):,} quarantined, {len(appended.files)} files)", markup=False)
    if out_file is not None or dataset is not None:
        out.print(_redaction_line(redaction.redacted, redaction.banner()), markup=False)
    failures = say_load_failures(result.report, "load")
    out.print(_found_line(result), markup=False)
    _exit(EXIT_BAD_INPUT if failures else EXIT_OK)


def _found_line(result: Any) -> str:
    """``found: 3 runs (41 spans) in 2 of 3 files; 1 file gave no rows (above)``."""
    import pyarrow.compute as pc

    report = result.report
    runs = pc.count_distinct(result.spans.column("run_id")).as_py() if result.spans.num_rows else 0
    with_rows = sum(1 for f in report.files if f.rows)
    text = (f"found: {_plural(runs, 'run')} ({_plural(result.spans.num_rows, 'span')}) in "
            f"{with_rows:,} of {_plural(len(report.files), 'file')}")
    failed = len(report.files) - with_rows
    if failed:
        text += f"; {_plural(failed, 'file')} gave no rows (the reason for each is above)"
    return text


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def say_load_failures(report: Any, command: str) -> list[str]:
    """Print ``Error: FILE: why`` and a fitting ``Hint:`` for every file a load got no rows from
    (not read at all, no records, or every record quarantined); return those files.

    A file that yields no rows is never a success, in any command: the caller exits 2.
    """
    failed = []
    for f in report.files:
        if f.rows:
            continue
        if f.problem:
            message, hint = _split_hint(fit_to_cli(f.problem, command))
            hint = hint or _unknown_format_hint(command)
        elif f.records_read == 0:
            message, hint = "no records: the file holds no JSON values", "check that the exporter finished writing it"
        else:
            reasons = ", ".join(f"{k}={v}" for k, v in sorted(f.reasons.items()))
            every = "its one record was" if f.records_read == 1 else f"all {f.records_read:,} records were"
            message = f"no rows: {every} quarantined ({reasons})"
            where = "the table above lists them" if command == "load" else f"`forensics load {f.path}` lists them"
            hint = (f"{where}; if `{f.format}` is the wrong loader for this file, pass --format with the right one "
                    "(`forensics formats` lists them)")
        message, hint = _fit_empty(f.path, message, hint)
        err.print(f"Error: {f.path}: {message}", markup=False, soft_wrap=True)
        if hint:
            err.print(f"Hint: {hint}", markup=False, soft_wrap=True)
        failed.append(f.path)
    return failed


# --------------------------------------------------------------------------------------------
# Messages fitted to the command line: its option names, the case at hand
# --------------------------------------------------------------------------------------------

#: The library's hint for a file no loader claims speaks to Python and the CLI at once.
_FORMAT_HINT = re.compile(r"pass format= \(CLI: --format\) with one of:? ")
#: Commands that take ``--format``; the others get a hint that names one that does.
_WITH_FORMAT: Final = frozenset({"classify", "load", "evaluate"})


def fit_to_cli(text: str, command: str | None) -> str:
    """A library message as the command ``command`` should show it: ``--format`` instead of
    ``format=``, and never an option the command lacks (``forensics sniff`` has no ``--format``)."""
    text = text.replace(' (format="auto-json")', "")
    if command in _WITH_FORMAT:
        return _FORMAT_HINT.sub("pass --format with one of: ", text)
    return _FORMAT_HINT.sub("`forensics load FILE --format NAME` reads it with the loader you name, one of: ",
                            text).replace("`--format auto-json`", "`forensics load FILE --format auto-json`")


def _unknown_format_hint(command: str) -> str:
    return fit_to_cli("pass format= (CLI: --format) with one of: the names `forensics formats` lists", command)


def _split_hint(text: str) -> tuple[str, str | None]:
    message, _, hint = text.partition("\nHint: ")
    if not hint:
        message, _, hint = text.partition(" Hint: ")
    return message.strip(), (hint.strip() or None)


def _fit_empty(path: str | None, message: str, hint: str | None) -> tuple[str, str | None]:
    """An empty file gets the same words in every command, whatever step noticed it."""
    try:
        empty = path is not None and os.path.isfile(path) and os.path.getsize(path) == 0
    except OSError:
        empty = False
    if empty:
        return "the file is empty (0 bytes)", "check that the exporter finished writing it"
    return message, hint


def _fit_missing(message: str, hint: str | None) -> str | None:
    """What to do about a path that does not exist (the library only says where it looked)."""
    if message.startswith(("no such file or directory: ", "no such file: ")):
        return (f"check the path: relative paths start from the current directory, {os.getcwd()}; pass log "
                "files, directories of logs, or a quoted glob such as 'logs/*.jsonl'")
    return hint


def _fit_problem(text: str, command: str) -> str:
    """A batch problem's ``detail`` (message, then ``Hint: ...``) with the hint fitted to the CLI."""
    message, hint = _split_hint(text)
    hint = _fit_missing(message.partition(": ")[2] if ": no such" in message else message, hint)
    return fit_to_cli(f"{message}\nHint: {hint}" if hint else message, command)


def _failed_count(failed: int, problems: list[Any]) -> str:
    """``3 failed``, counting the paths that do not exist (they have no input row): ``1 failed (1 not found)``."""
    missing = sum(1 for p in problems if p.reason == "not-found")
    return f"{failed + missing} failed" + (f" ({missing} not found)" if missing else "")


#: Why a directory walk passes over a file (load.py's walk rules, said out loud).
def _why_skipped(name: str) -> str | None:
    from forensics.load import LABEL_FILE_NAMES, LOG_SUFFIXES

    if name.startswith("."):
        return None  # hidden files (.DS_Store, .gitignore) go unmentioned
    if name in LABEL_FILE_NAMES or name.endswith(".labels.jsonl"):
        return "ground-truth labels"
    if name.startswith("_"):
        return "name starts with _"
    if not name.lower().endswith(LOG_SUFFIXES):
        return f"suffix not one of {', '.join(LOG_SUFFIXES)}"
    return None


def _say_walk_skips(paths: list[str]) -> None:
    """One line per walked directory naming the files it passes over, and why."""
    for path in paths:
        if not os.path.isdir(path):
            continue
        skipped: dict[str, list[str]] = {}
        for root, dirs, names in os.walk(path):
            for d in sorted(dirs):
                if d.startswith("_"):
                    skipped.setdefault("name starts with _", []).append(
                        os.path.relpath(os.path.join(root, d), path) + "/")
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            for name in sorted(names):
                why = _why_skipped(name)
                if why is not None:
                    skipped.setdefault(why, []).append(os.path.relpath(os.path.join(root, name), path))
        if skipped:
            n = sum(len(v) for v in skipped.values())
            parts = [f"{', '.join(_first(names, 5))} ({why})" for why, names in skipped.items()]
            err.print(f"Skipped {_plural(n, 'file')} in {path} that are not logs: {'; '.join(parts)}", markup=False,
                      soft_wrap=True)


def _first(names: list[str], k: int) -> list[str]:
    return names if len(names) <= k else [*names[:k], f"and {len(names) - k:,} more"]


# --------------------------------------------------------------------------------------------
# evaluate, synth: registered when their modules exist (written by other parts of the toolkit)
# --------------------------------------------------------------------------------------------


def _add_optional_commands() -> None:
    for register in _OPTIONAL_COMMANDS:
        register()


def _register_evaluate() -> None:
    try:
        from forensics import evaluate as _evaluate_module  # noqa: F401
    except ImportError:
        return

    @app.command()
    def evaluate(
        results: Annotated[list[str], typer.Argument(help="A results directory (runs.parquet + findings.parquet from `classify --out`), or log files/directories to load and classify.")],
        labels: Annotated[Path | None, typer.Option("--labels", help="Labels file (JSON lines, LABEL_SCHEMA), e.g. sample_logs/labels.jsonl.")] = None,
        policy: Annotated[Path | None, typer.Option("--policy", help="Policy TOML file (when classifying logs).")] = None,
        format: Annotated[str | None, typer.Option("--format", "-f", help="Loader name (when loading logs); default: sniff.")] = None,
        blame: Annotated[bool, typer.Option("--blame", help="Instead of a labels file, compare each run's decisive span with the human-labeled mistake agent and step the logs carry (the Who&When benchmark, loaded by ag2-history).")] = False,
        show_all: Annotated[bool, typer.Option("--all", help="List every miss, false alarm and wrong decisive span (default: the first 50 of each).")] = False,
    ) -> None:
        """Compare classifier results with a labels file: precision, recall, F1 and MCC per class (and
        the mean MCC over the four mission classes), confusion, decisive-span accuracy, the false
        alarms on clean runs, misses and false alarms (or, with --blame, agent/step blame)."""
        _exit(_run_evaluate(results, labels, policy, format, blame, show_all))


def _results_dir(results: list[str]) -> Path | None:
    if len(results) == 1:
        d = Path(results[0])
        if d.is_dir() and (d / "runs.parquet").exists() and (d / "findings.parquet").exists():
            return d
    return None


def _run_evaluate(results: list[str], labels: Path | None, policy: Path | None, format: str | None,
                  blame: bool = False, show_all: bool = False) -> int:
    import pyarrow.parquet as pq

    from forensics.classify import Classification
    from forensics.classify import classify as classify_spans
    from forensics.evaluate import evaluate as evaluate_results
    from forensics.evaluate import evaluate_blame, read_labels
    from forensics.load import load as load_logs

    if (labels is None) == (not blame):
        raise InputError("give either --labels FILE or --blame",
                         hint="--labels compares with a labels file (sample_logs/labels.jsonl); --blame uses the "
                              "mistake agent/step that Who&When logs carry")
    stored = _results_dir(results)
    if blame:
        if stored is not None:
            raise InputError("--blame needs the logs, not a results directory",
                             hint="pass the log files, e.g. ../shared/datasets/who_and_when_dev/")
        loaded = load_logs(results, format=format)
        failures = say_load_failures(loaded.report, "evaluate")
        verdict = evaluate_blame(classify_spans(loaded.spans, policy=policy), loaded.spans)
        out.print(verdict.format_text(), markup=False)
        return EXIT_BAD_INPUT if failures else EXIT_OK
    if labels is None:  # unreachable after the check above; narrows the type without an assert
        raise InputError("--labels is required without --blame")
    expected = read_labels(labels)  # a bad labels file fails now, not after the logs are loaded
    problems = 0
    if stored is not None:
        runs = pq.read_table(stored / "runs.parquet")
        findings = pq.read_table(stored / "findings.parquet")
        versions = sorted(set(runs.column("policy_version").to_pylist()))
        result = Classification(findings=findings, runs=runs, policy_version=", ".join(versions))
    else:
        loaded = load_logs(results, format=format)
        problems = len(say_load_failures(loaded.report, "evaluate"))
        result = classify_spans(loaded.spans, policy=policy)
    outcome = evaluate_results(result, expected)
    out.print(outcome.format_text(max_items=None if show_all else 50), markup=False)
    return EXIT_BAD_INPUT if problems else EXIT_OK


def _register_synth() -> None:
    import importlib

    try:
        synth_cli = importlib.import_module("forensics.synth.cli")
    except ImportError:
        return
    sub = getattr(synth_cli, "app", None)
    if isinstance(sub, typer.Typer):
        app.add_typer(sub, name="synth", help="Generate labeled synthetic agent logs in any format.")
        return
    fn = getattr(synth_cli, "synth", None)
    if callable(fn):
        app.command(name="synth")(fn)


@app.command()
def serve(
    dataset: Annotated[Path, typer.Option("--dataset", help="Append what is received to this partitioned Parquet dataset (created if new), one atomic commit per request; redacted unless --no-redact.")],
    otlp: Annotated[bool, typer.Option("--otlp", help="Receive OpenTelemetry traces over OTLP/HTTP (POST /v1/traces, protobuf or JSON, gzip); the one protocol served so far.")] = False,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; 0.0.0.0 accepts other machines.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (OTLP/HTTP's is 4318; 0 picks a free one, printed at start).")] = 4318,
    max_request_size: Annotated[str, typer.Option("--max-request-size", help="Largest request body, as sent and as inflated; larger ones get 413.")] = "20MiB",
    queue: Annotated[int, typer.Option("--queue", min=1, help="Requests waiting for the disk writer before the receiver answers 503 with Retry-After.")] = 16,
    no_redact: NoRedactOption = False,
    redact_policy: RedactPolicyOption = None,
) -> None:
    """Receive agent traces where the instrumentation already sends them and append them to a
    dataset: point OTEL_EXPORTER_OTLP_ENDPOINT at http://HOST:PORT. A request is answered 200
    only once it is committed. Stops on Ctrl-C or SIGTERM after committing what is queued."""
    from forensics.receiver import serve as serve_otlp
    from forensics.redact import resolve_redaction_policy

    if not otlp:
        raise InputError("say what to serve", hint="pass --otlp (an OTLP/HTTP trace receiver).")
    _refuse_policy_without_redaction(no_redact, redact_policy)
    serve_otlp(dataset, host=host, port=port, max_request_bytes=_parse_size(max_request_size, "--max-request-size"),
               queue_size=queue, redact=not no_redact,
               redaction_policy=None if no_redact else resolve_redaction_policy(redact_policy))
    _exit(EXIT_OK)


_OPTIONAL_COMMANDS: Final[tuple[Callable[[], None], ...]] = (_register_evaluate, _register_synth)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _write_traceback(exc: BaseException) -> Path:
    directory = Path(os.environ.get("FORENSICS_CRASH_DIR") or tempfile.gettempdir())
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"forensics-crash-{stamp}-{os.getpid()}.txt"
    path.write_text(
        f"forensics {' '.join(sys.argv[1:])}\n\n" + "".join(traceback.format_exception(exc)), encoding="utf-8"
    )
    return path


def _print_error(exc: ForensicsError, command: str | None = None) -> None:
    hint = exc.hint
    sniffed = exc.__context__  # load() re-raises the sniffer's error for the path it shows; its hint fits the case
    if isinstance(exc, UnknownFormatError) and isinstance(sniffed, UnknownFormatError) and sniffed.hint:
        hint = sniffed.hint
    message, hint = _fit_empty(exc.where, exc.message, hint)
    hint = _fit_missing(message, hint)
    text = f"{exc.where}: {message}" if exc.where else message
    err.print(f"Error: {fit_to_cli(text, command)}", markup=False, soft_wrap=True)  # never folded mid-word
    if hint:
        err.print(f"Hint: {fit_to_cli(hint, command)}", markup=False, soft_wrap=True)


def _command_of(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _plain_help(command: Any) -> None:
    """Plain usage notation in every ``--help``: ``PATHS...`` and ``--workers N``.

    typer 0.29 writes a required argument as ``{paths}...`` and every value as a Python type
    (``<list[str]>``, ``<int range>``); this names each the way man pages and click do, using the
    ``metavar`` a parameter declares, else its name in capitals.
    """
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)
    for param in getattr(command, "params", []):
        if param.param_type_name == "argument":
            name = (param.metavar or param.name or "ARG").upper().rstrip(".")
            dots = "..." if param.nargs != 1 else ""
            usage = f"{name}{dots}" if param.required else f"[{name}{dots}]"
            param.metavar = f"{name}{dots}"
            param.get_usage_pieces = lambda ctx, usage=usage: [usage]
            param.display_type_rich = lambda ctx: None
        elif param.param_type_name == "option" and not param.is_flag and not param.count:
            if param.metavar is None:
                param.metavar = _metavar_for(getattr(command, "name", None), param)


#: What a value stands for, by (command, option) or option: the words the help text uses.
_METAVARS: Final[dict[tuple[str | None, str], str]] = {
    (None, "--format"): "NAME", (None, "--db"): "URL", (None, "--out"): "DIR", ("load", "--out"): "FILE",
    ("synth", "--out"): "FILE", (None, "--policy"): "FILE", (None, "--redact-policy"): "FILE",
    (None, "--labels"): "FILE", (None, "--dataset"): "DIR", (None, "--fail-on"): "N|CLASS=N",
    (None, "--max-file-size"): "SIZE", (None, "--engine"): "local|spark", (None, "--since"): "DATE",
    (None, "--until"): "DATE", (None, "--run"): "RUN_ID", (None, "--mix"): "CLASS=SHARE,...",
    ("serve", "--max-request-size"): "SIZE", ("classify", "--since"): "DURATION",
}


def _metavar_for(command: str | None, param: Any) -> str:
    name = max(param.opts, key=len)
    if (command, name) in _METAVARS or (None, name) in _METAVARS:
        return _METAVARS.get((command, name)) or _METAVARS[(None, name)]
    desc = getattr(param, "type_descriptor", None)
    if getattr(desc, "is_ranged", False) or getattr(desc, "annotation", None) in (int, float):
        return "N"
    if getattr(desc, "is_path", False):
        return "PATH"
    return name.lstrip("-").replace("-", "_").upper()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run a command and exit with its documented code.

    Commands end with :func:`_exit`; usage errors exit 2 (typer's standalone mode); errors the
    toolkit raises on purpose print ``Error:``/``Hint:``; anything else is a bug: exit 3 with a
    traceback file.
    """
    _add_optional_commands()
    args = sys.argv[1:] if argv is None else argv
    command = typer.main.get_command(app)
    _plain_help(command)
    handler = _StderrLines()
    log.addHandler(handler)
    log.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _warning_to_log  # restored when the block ends
            command.main(args=args, prog_name="forensics")
    except ForensicsError as exc:
        _print_error(exc, _command_of(args))
        sys.exit(exit_code_for(exc))
    except Exception as exc:
        where = _write_traceback(exc)
        err.print(f"Internal error: {type(exc).__name__}: {exc}", markup=False)
        err.print(f"The traceback was written to {where}; please attach it to a bug report.", markup=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
