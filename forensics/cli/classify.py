"""``forensics classify``: a night's files (or a dataset's spans) loaded, classified, stored;
the summary printed and turned into the exit code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from forensics.cli.app import (
    EXIT_OK,
    DatasetOption,
    DbOption,
    NoRedactOption,
    RedactPolicyOption,
    _exit,
    _parse_size,
    _plural,
    _redaction_line,
    _refuse_policy_without_redaction,
    app,
    err,
    out,
)
from forensics.cli.fail_on import exit_code_of, find_breaches, parse_fail_on
from forensics.cli.messages import _failed_count, _fit_problem, _say_walk_skips
from forensics.cli.progress import ProgressBars, _progress_enabled
from forensics.errors import (
    InputError,
)


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
    since: Annotated[str | None, typer.Option("--since", help="For a trace store given as a URL (mlflow://HOST:PORT/EXPERIMENT, phoenix://HOST:PORT/PROJECT, phoenixs:// for https): how far back the first fetch goes (default 24h); later runs fetch from where the store says the last one ended (Phoenix windows end $FORENSICS_PHOENIX_LAG, default 15m, before now so traces still running are not cut). Fetched traces are kept in $FORENSICS_SPOOL (default ./forensics-spool).")] = None,
) -> None:
    """Load, classify and store logs as one batch; write Parquet with --out.

    The Parquet files and the stored findings' explanations are redacted unless --no-redact.

    Inputs already stored (same content hash, same policy, same classifier version) are skipped
    unless --force; those an older classifier stored are reclassified and their rows replaced.
    With --dataset and no PATHS, the dataset's committed spans are classified (what `forensics
    serve --otlp` received) and the runs and findings appended to it, once per policy.
    Exit codes: 0 ok, 1 findings over --fail-on, 2 bad input (good files still stored), 3 internal error.
    """
    from forensics.nightly import classify_paths

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
    kwargs = dict(format=format, policy=policy, db=db, out=out_dir, force=force,
                  max_file_bytes=limit, workers=workers, redact=not no_redact, redaction_policy=redact_policy,
                  engine=engine, dataset=dataset)
    if _progress_enabled(progress):
        with ProgressBars() as bars:
            summary = classify_paths(paths, progress=bars, **kwargs)  # type: ignore[arg-type]
    else:
        summary = classify_paths(paths, **kwargs)  # type: ignore[arg-type]
    breaches = find_breaches(thresholds, summary)
    code = exit_code_of(summary, breaches)
    if as_json:
        out.print_json(json.dumps(_summary_json(summary, breaches, code)))
    else:
        _print_summary(summary, breaches, code)
    for p in summary.errors:
        text = p.detail if p.detail.startswith(p.file) else f"{p.file}: {p.detail}"
        err.print(f"Error ({p.reason}): {_fit_problem(text, 'classify')}", markup=False)
    _exit(code)


def _spool_sources(paths: list[str], since: str | None, db: str | None) -> list[str]:
    """``paths`` with each trace-store URL replaced by the JSON-lines file of its new traces
    (forensics.sources: the window from the store's watermark, at most ``--since`` back)."""
    from forensics.sources import is_source_url, parse_since, spool

    urls = [p for p in paths if is_source_url(p)]
    if not urls:
        if since is not None:
            raise InputError("--since applies to trace stores given as URLs",
                             hint="e.g. forensics classify mlflow://localhost:5000/my-experiment --since 24h, or phoenix://localhost:6006/my-project")
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


def _summary_json(summary: Any, breaches: list[str], exit_code: int) -> dict[str, Any]:
    return {
        "batch_id": summary.batch_id, "status": summary.status, "exit_code": exit_code,
        "policy_version": summary.policy_version, "store": summary.store_url,
        "runs": summary.runs, "findings": summary.findings, "findings_by_class": summary.findings_by_class,
        "replaced_runs": summary.replaced_runs, "replaced_findings": summary.replaced_findings,
        "files": [{"path": f.path, "sha256": f.sha256, "format": f.format, "status": f.status,
                   "records_read": f.records_read, "rows": f.rows, "quarantined": f.quarantined,
                   "merged": f.merged} for f in summary.files],
        "problems": [p.as_json() for p in summary.problems],
        "breaches": breaches, "outputs": summary.outputs, "seconds": round(summary.seconds, 3),
        "redacted": summary.redacted, "redaction": summary.redaction, "from_store": summary.from_store,
        "classifier_version": summary.classifier_version,
        "reclassified": [{"path": path, "stored_by": by} for path, by in summary.reclassified.items()],
    }


def _reclassified_lines(summary: Any) -> list[str]:
    """Why inputs stored before were classified again: another classifier version stored them."""
    if not summary.reclassified:
        return []
    by_version: dict[str, int] = {}
    for version in summary.reclassified.values():
        by_version[version] = by_version.get(version, 0) + 1
    older = ", ".join(f"{n} by {v}" if v != "unrecorded" else f"{n} before classifier versions were recorded"
                      for v, n in sorted(by_version.items()))
    return [f"reclassified: {len(summary.reclassified)} input(s) stored under this policy by another classifier "
            f"({older}); this is classifier {summary.classifier_version}, and a new classifier can change the "
            f"results, so they were classified again and their older rows replaced ({summary.replaced_runs:,} runs, "
            f"{summary.replaced_findings:,} findings)"]


def _print_summary(summary: Any, breaches: list[str], exit_code: int) -> None:
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
        f"classifier: {summary.classifier_version}",
        f"store: {summary.store_url}",
    ]
    lines.extend(_reclassified_lines(summary))
    if (summary.replaced_runs or summary.replaced_findings) and not summary.reclassified:
        lines.append(f"replaced (--force): {summary.replaced_runs:,} runs, {summary.replaced_findings:,} findings")
    if summary.from_store:
        lines.append(f"from the store: {summary.from_store} input(s) already stored under this policy: their stored "
                     "runs and findings are in the outputs below (spans and quarantine re-read from the files); "
                     "--force reclassifies them")
    for name, path in summary.outputs.items():
        lines.append(f"{name}: {path}")
    for b in breaches:
        lines.append(f"--fail-on exceeded: {b}")
    lines.append(_redaction_line(summary.redacted, summary.redaction))
    lines.append(f"exit code {exit_code} in {summary.seconds:.1f} s")
    for line in lines:
        out.print(line, markup=False)
