"""``forensics``: the command line. The one place errors become exit codes.

One module per command group: :mod:`~forensics.cli.classify`, :mod:`~forensics.cli.inspect`
(formats, sniff, load), :mod:`~forensics.cli.report`, :mod:`~forensics.cli.serve`, :mod:`~forensics.cli.spark`,
:mod:`~forensics.cli.optional` (evaluate, synth); the frame in :mod:`~forensics.cli.app`, ``--fail-on``
in :mod:`~forensics.cli.fail_on`, messages in :mod:`~forensics.cli.messages`, the entry point in
:mod:`~forensics.cli.entry`.

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

# Importing a command group registers its commands on ``app``, in the order ``--help`` lists them.
from forensics.cli import classify as _classify_commands  # noqa: F401
from forensics.cli import report as _report_commands  # noqa: F401

from forensics.cli import inspect as _inspect_commands  # noqa: F401  # isort: skip
from forensics.cli import serve as _serve_commands  # noqa: F401  # isort: skip
from forensics.cli import spark as _spark_commands  # noqa: F401  # isort: skip
from forensics.cli.app import (
    EXIT_BAD_INPUT,
    EXIT_CODES,
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    app,
    err,
    exit_code_for,
    log,
    out,
)
from forensics.cli.entry import main
from forensics.cli.messages import fit_to_cli, say_load_failures
from forensics.cli.progress import ProgressBars

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CODES",
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "ProgressBars",
    "app",
    "err",
    "exit_code_for",
    "fit_to_cli",
    "log",
    "main",
    "out",
    "say_load_failures",
]
