"""``forensics report``: a review report (HTML + Markdown + charts) from the results store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forensics.cli.app import (
    EXIT_OK,
    DbOption,
    NoRedactOption,
    RedactPolicyOption,
    _exit,
    _redaction_line,
    _refuse_policy_without_redaction,
    app,
    out,
)


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
