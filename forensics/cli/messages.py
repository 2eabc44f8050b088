"""Messages fitted to the command line: library errors and file problems said with the CLI's
option names and the case at hand (an empty file, a missing path, a directory walk's skips).
"""

from __future__ import annotations

import os
import re
from typing import Any, Final

from forensics.cli.app import _first, _plural, err
from forensics.errors import (
    ForensicsError,
    UnknownFormatError,
)


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


def _say_walk_skips(paths: list[str]) -> None:
    """One line per walked directory naming the files it passes over, and why (forensics.walk: the
    same decision the load makes, so what is read plus what is named here is every visible file)."""
    from forensics.walk import walk

    for path in paths:
        if not os.path.isdir(path):
            continue
        skipped: dict[str, list[str]] = {}
        for name, why in walk(path).skipped:
            skipped.setdefault(why, []).append(name)
        if skipped:
            n = sum(len(v) for v in skipped.values())
            parts = [f"{', '.join(_first(names, 5))} ({why})" for why, names in skipped.items()]
            err.print(f"Skipped {_plural(n, 'file')} in {path} that are not logs: {'; '.join(parts)}", markup=False,
                      soft_wrap=True)


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
