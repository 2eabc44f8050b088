"""What a directory walk reads, and what it passes over and why (one decision, for the loader and
for the CLI line that says what was skipped).

A file with a log suffix is read. A file with another suffix is read when a sniffer recognises its
content with confidence (the same choice :func:`forensics.loaders.registry.sniff_file` makes for a
file named explicitly): an OpenTelemetry ``ConsoleSpanExporter`` capture is usually saved as
``.txt`` (its default formatter writes each span's ``to_json()``, pretty-printed, one after the
other), and a capture of JSON-lines can be called anything. A database is never picked up by
content: it is read through its URL (``sqlite:///...``), and the store a night writes to may sit in
the very directory. Hidden files go unmentioned; labels, ``_``-names and files no sniffer claims
are passed over with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

#: Suffixes a directory walk reads without looking inside (a file named explicitly is always read).
LOG_SUFFIXES: Final = (".json", ".jsonl", ".ndjson", ".gz", ".parquet", ".log")

#: Ground-truth files that sit beside logs; a directory walk skips them, saying so.
LABEL_FILE_NAMES: Final = ("labels.jsonl",)

#: Formats a walk does not choose by content (see the module docstring).
NOT_BY_CONTENT: Final = frozenset({"sql"})

_OTHER_SUFFIX: Final = f"suffix not one of {', '.join(LOG_SUFFIXES)}"
#: Why a file with another suffix is passed over, by what the sniffing found.
UNRECOGNISED: Final = f"{_OTHER_SUFFIX}, and no loader recognises its content"
AMBIGUOUS: Final = f"{_OTHER_SUFFIX}, and its content matches several formats equally"
DATABASE: Final = f"{_OTHER_SUFFIX}; a database is read through its URL (sqlite:///PATH)"
UNREADABLE: Final = f"{_OTHER_SUFFIX}, and its content could not be read"


@dataclass
class Walk:
    """The files a walk of ``directory`` reads (full paths, in order) and those it passes over,
    ``[(path relative to the directory, reason)]`` (a directory's ends with ``/``)."""

    directory: str
    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: Files read for their content, not their suffix: ``{path: format}``.
    by_content: dict[str, str] = field(default_factory=dict)


def walk(directory: str) -> Walk:
    """Walk ``directory`` (sorted, hidden and ``_`` directories left out) and decide every file."""
    out = Walk(directory)
    for root, dirs, names in os.walk(directory):
        out.skipped.extend((os.path.relpath(os.path.join(root, d), directory) + "/", "name starts with _")
                           for d in sorted(dirs) if d.startswith("_"))
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(names):
            path = os.path.join(root, name)
            why, format = _decide(path, name)
            if why is None:
                out.files.append(path)
                if format is not None:
                    out.by_content[path] = format
            elif why:
                out.skipped.append((os.path.relpath(path, directory), why))
    return out


def _decide(path: str, name: str) -> tuple[str | None, str | None]:
    """``(None, format or None)`` to read the file, ``(reason, None)`` to pass over it, ``("", None)``
    to pass over it unmentioned."""
    if name.startswith("."):
        return "", None  # hidden files (.DS_Store, .gitignore) go unmentioned
    if name in LABEL_FILE_NAMES or name.endswith(".labels.jsonl"):
        return "ground-truth labels", None
    if name.startswith("_"):
        return "name starts with _", None
    if name.lower().endswith(LOG_SUFFIXES):
        return None, None
    try:
        stat = os.stat(path)
    except OSError:
        return UNREADABLE, None
    return _sniffed(os.path.abspath(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4096)
def _sniffed(path: str, size: int, mtime_ns: int) -> tuple[str | None, str | None]:
    """The content decision, once per file version (the loader's walk and the CLI's line both ask)."""
    from forensics.errors import ForensicsError, UnknownFormatError
    from forensics.loaders import registry

    del size, mtime_ns  # part of the cache key only: a file rewritten is sniffed again
    try:
        found = registry.sniff_file(path)
    except UnknownFormatError as exc:
        return (AMBIGUOUS if exc.candidates else UNRECOGNISED), None
    except (ForensicsError, OSError):
        return UNREADABLE, None
    if found.format in NOT_BY_CONTENT:
        return DATABASE, None
    return None, found.format
