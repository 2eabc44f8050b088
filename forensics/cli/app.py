"""The CLI's frame: the typer app, the consoles, the exit codes and the error-class -> code map,
and the options and small parsers several command groups share.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console

from forensics.errors import (
    ForensicsError,
    InputError,
    InternalError,
    MissingDependencyError,
    PolicyError,
    StoreError,
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

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = m[2].upper() if m else ""
    if m is None or unit not in _SIZE_UNITS:
        raise InputError(f"{option} {text!r} is not a size",
                         hint="use a number with an optional unit: 500MB, 2GB, 1GiB.")
    return int(float(m[1]) * _SIZE_UNITS[unit])


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _first(names: list[str], k: int) -> list[str]:
    return names if len(names) <= k else [*names[:k], f"and {len(names) - k:,} more"]
