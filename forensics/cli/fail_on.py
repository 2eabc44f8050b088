"""``--fail-on`` and the exit code of ``forensics classify``: the CLI decides how the process ends,
the library (:func:`forensics.nightly.classify_paths`) only reports what the night did.

Exit codes (docs/NIGHTLY.md): 3 internal error (raised, mapped in :mod:`forensics.cli.entry`) >
2 bad input (a file contributed nothing) > 1 findings over a ``--fail-on`` threshold > 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from forensics.cli.app import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK
from forensics.errors import InputError

if TYPE_CHECKING:
    from forensics.nightly import BatchSummary


@dataclass(frozen=True)
class Threshold:
    """``--fail-on N`` (all findings) or ``--fail-on CLASS=N``: breached when the count exceeds N."""

    limit: int
    failure_class: str | None = None

    def describe(self) -> str:
        return f"{self.failure_class or 'findings'} > {self.limit}"


_THRESHOLD: Final = re.compile(r"^(?:(?P<cls>[a-z_][a-z0-9_]*)=)?(?P<n>\d+)$")


def parse_fail_on(values: Iterable[str]) -> list[Threshold]:
    """Parse ``--fail-on`` values (``"5"``, ``"silent_failure=0"``)."""
    out = []
    for raw in values:
        m = _THRESHOLD.match(raw.strip())
        if m is None:
            raise InputError(
                f"--fail-on {raw!r} is not N or CLASS=N",
                hint="e.g. --fail-on 10 (more than 10 findings in all) or --fail-on silent_failure=0.",
            )
        out.append(Threshold(limit=int(m["n"]), failure_class=m["cls"]))
    return out


def find_breaches(thresholds: Sequence[Threshold], summary: BatchSummary) -> list[str]:
    """The thresholds this night's stored findings exceed, as ``class: n > limit``."""
    out = []
    for t in thresholds:
        n = summary.findings if t.failure_class is None else summary.findings_by_class.get(t.failure_class, 0)
        if n > t.limit:
            out.append(f"{t.failure_class or 'findings'}: {n} > {t.limit}")
    return out


def exit_code_of(summary: BatchSummary, breaches: Sequence[str]) -> int:
    """2 when a file contributed nothing (the good ones were still stored), else 1 when findings
    exceed a ``--fail-on`` threshold, else 0."""
    if summary.errors:
        return EXIT_BAD_INPUT
    if breaches:
        return EXIT_FINDINGS
    return EXIT_OK
