"""The console entry point: run a command, print a library error as ``Error:``/``Hint:`` and exit
with its code; anything else is a bug (exit 3, traceback file). Also plain ``--help`` notation.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import typer

from forensics.cli.app import EXIT_INTERNAL, _StderrLines, _warning_to_log, app, err, exit_code_for, log
from forensics.cli.messages import _print_error
from forensics.cli.optional import _add_optional_commands
from forensics.errors import (
    ForensicsError,
)


def _write_traceback(exc: BaseException) -> Path:
    directory = Path(os.environ.get("FORENSICS_CRASH_DIR") or tempfile.gettempdir())
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"forensics-crash-{stamp}-{os.getpid()}.txt"
    path.write_text(
        f"forensics {' '.join(sys.argv[1:])}\n\n" + "".join(traceback.format_exception(exc)), encoding="utf-8"
    )
    return path


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
