"""``forensics formats``, ``sniff`` and ``load``: what the loaders are, which one reads a file, and
what reading gives (each file's accounting).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from forensics.cli.app import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    DatasetOption,
    NoRedactOption,
    RedactPolicyOption,
    _exit,
    _plural,
    _redaction_line,
    _refuse_policy_without_redaction,
    app,
    err,
    out,
)
from forensics.cli.messages import _say_walk_skips, say_load_failures
from forensics.errors import (
    InputError,
)


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
                      seen.error or ("" if registry.get(name).chosen_by_sniffing
                                     else "never chosen by sniffing (ask with --format)"))
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
    from forensics.load import load as load_logs
    from forensics.nightly import Redaction, with_banner, write_parquet_atomic
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
