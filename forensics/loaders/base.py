"""What every loader is made of: what sniffing sees, how records stream out of a file, and the
sink that turns rows into Arrow batches while keeping the accounting.

A loader only maps one format's record to span-table rows; reading bytes, JSON framing, gzip,
limits, quarantine and accounting live in this package once.

The shared parts live in rooms of one job (issue 16): :mod:`.limits` (``Limits``, opening a file
within them), :mod:`.sampling` (``Sample``, ``read_sample``), :mod:`.sink` (``SpanSink``),
:mod:`.framing` (``Source``, ``choose_wrapper``) and :mod:`.strict_json` (duplicate keys, wide
integers). This module keeps the ``Loader`` base class and the file accounting, and re-exports the
rest for code that imports it from here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .framing import AUTO, WRAPPER_MIN, Source, choose_wrapper, skip_line
from .limits import DEFAULT_LIMITS, SNIFF_BYTES, LimitExceeded, Limits, MiB, open_binary
from .sampling import (
    SNIFF_DEPTH,
    SNIFF_KEEP_CHARS,
    SNIFF_KEYS,
    SNIFF_RECORDS,
    SNIFF_SCAN_BYTES,
    SNIFF_STRING_CHARS,
    WRAPPER_KEYS,
    Sample,
    passed_down,
    read_sample,
    with_fields,
    wrapper_keys,
)
from .sink import SpanSink
from .strict_json import (
    _colons_differ,
    duplicate_detail,
    exact_numbers,
    find_duplicate_key,
    may_have_duplicate_keys,
)

__all__ = [
    "AUTO",
    "WRAPPER_MIN",
    "Source",
    "choose_wrapper",
    "skip_line",
    "DEFAULT_LIMITS",
    "SNIFF_BYTES",
    "LimitExceeded",
    "Limits",
    "MiB",
    "open_binary",
    "SNIFF_DEPTH",
    "SNIFF_KEEP_CHARS",
    "SNIFF_KEYS",
    "SNIFF_RECORDS",
    "SNIFF_SCAN_BYTES",
    "SNIFF_STRING_CHARS",
    "WRAPPER_KEYS",
    "Sample",
    "passed_down",
    "read_sample",
    "with_fields",
    "wrapper_keys",
    "SpanSink",
    "_colons_differ",
    "duplicate_detail",
    "exact_numbers",
    "find_duplicate_key",
    "may_have_duplicate_keys",
    "Loader",
    "FileAccount",
    "display_path",
]


class Loader:
    """Base class of every format loader: identity as class attributes, two methods."""

    #: Stable kebab-case registry key.
    name: ClassVar[str] = ""
    #: One line for ``forensics formats``.
    description: ClassVar[str] = ""
    #: What sniffing looks for, one line.
    sniffs: ClassVar[str] = ""
    #: File suffixes this format usually has (a hint for sniffing, never a requirement).
    suffixes: ClassVar[tuple[str, ...]] = (".json", ".jsonl")
    #: True when each JSON-lines record maps to rows on its own (no state across lines), so a big
    #: file can be split at line boundaries and read by several processes at once.
    splittable: ClassVar[bool] = False
    #: True for a loader of a text format that is not JSON: sniffing otherwise refuses text
    #: (Markdown, CSV, prose) before any loader's score counts.
    reads_text: ClassVar[bool] = False
    #: False for a fallback that only guesses (auto-json): sniffing never chooses it, whatever its
    #: ``sniff`` says; only ``format=NAME`` (CLI ``--format NAME``) runs it.
    chosen_by_sniffing: ClassVar[bool] = True
    #: True when the run id names a task rather than a run (Who&When's ``question_ID``): the same id
    #: in two files is two runs, made distinct when read together (forensics.loaders.task_run_ids).
    runs_per_file: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        self.options = options

    def sniff(self, sample: Sample) -> float:
        """0.0 = not this format; 1.0 = certainly this format."""
        raise NotImplementedError

    def read(self, source: Source, sink: SpanSink) -> None:
        """Stream ``source``'s records into ``sink``: each one a row, a quarantine entry or merged."""
        raise NotImplementedError


@dataclass
class FileAccount:
    """One file's accounting, as the report shows it."""

    path: str
    format: str | None
    chosen_by: str  # "given", "sniffed", or "skipped"
    confidence: float = 0.0
    records_read: int = 0
    rows: int = 0
    quarantined: int = 0
    merged: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    problem: str | None = None
    #: The loader's notes on the file (auto-json's guessed mapping), one line each.
    notes: list[str] = field(default_factory=list)
    #: Rows kept whose parent id names no span loaded (their parent was never exported): counted
    #: in ``rows`` like any other, and said in ``notes``.
    unparented: int = 0

    @property
    def balanced(self) -> bool:
        return self.records_read == self.rows + self.quarantined + self.merged


def display_path(path: str) -> str:
    """Paths as the user gave them when relative to the cwd, absolute otherwise."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else os.path.abspath(path)
