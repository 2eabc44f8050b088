"""The loader registry: built-in and third-party loaders found the same way.

Built-ins are declared in ``pyproject.toml`` under the entry-point group ``forensics.loaders``
exactly as a plugin package would declare its own; :func:`register` adds one at run time (a
notebook's custom format). A duplicate name fails loudly; a plugin that fails to import is kept in
:func:`broken` and shown by ``forensics formats``, never silently dropped.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from ..errors import UnknownFormatError
from ..registry import Registry, is_subclass_of
from .base import DEFAULT_LIMITS, Limits, Loader, Sample, choose_wrapper, read_sample

ENTRY_POINT_GROUP = "forensics.loaders"

def _import_builtin_loaders() -> None:
    """Register the named Loader classes this package's modules define: a new format is one new
    module (the pyproject entry points say the same for installed metadata, and plugins use them)."""
    import inspect
    import pkgutil
    from importlib import import_module

    import forensics.loaders as package

    for m in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = import_module(f"forensics.loaders.{m.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Loader) and cls.__module__ == module.__name__ and getattr(cls, "name", None):
                LOADERS.register(cls)


#: Every loader by name: this package's modules, the entry-point group, run-time registrations.
LOADERS: Registry[type[Loader]] = Registry("loader", ENTRY_POINT_GROUP, check=is_subclass_of(Loader),
                                           builtins=_import_builtin_loaders)

#: A loader must score at least this for sniffing to choose it.
MIN_CONFIDENCE = 0.5


def register(cls: type[Loader]) -> type[Loader]:
    """Register a loader class at run time (usable as a decorator)."""
    LOADERS.discover()
    return LOADERS.register(cls)


def unregister(name: str) -> None:
    """Remove a run-time registration (tests, notebooks)."""
    LOADERS.unregister(name)


def names() -> list[str]:
    """Registered loader names, sorted."""
    return LOADERS.names()


def broken() -> dict[str, str]:
    """Entry points that failed to import (or are not loaders): name → error."""
    return LOADERS.problems()


def get(name: str) -> type[Loader]:
    """The loader class registered as ``name``."""
    return LOADERS.get(name)


@dataclass(frozen=True)
class SniffResult:
    """Which loader sniffing chose for a file, and how sure it was of each."""

    path: str
    format: str
    confidence: float
    scores: dict[str, float]
    #: The wrapper key the chosen loader's records were found under (``spans`` of
    #: ``{"trace_id": ..., "spans": [...]}``), None when the records are the file's own.
    wrapper: str | None = None


@dataclass(frozen=True)
class LoaderView:
    """What one loader made of a file: its score on the records as framed, and its best score
    through a wrapper (with the wrapper's key)."""

    plain: float
    score: float
    wrapper: str | None
    error: str | None = None


def sniff_details(path: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Sample, dict[str, LoaderView]]:
    """The sample sniffing read and every registered loader's view of it (``forensics sniff --explain``)."""
    sample = read_sample(path, limits)
    views: dict[str, LoaderView] = {}
    text = _not_data(sample)
    for name, cls in LOADERS.items():
        try:
            loader = cls()
            plain = float(loader.sniff(sample))
            score, wrapper = choose_wrapper(loader, sample)
            error = None
        except Exception as exc:  # a loader's sniff must never decide for another by crashing
            warnings.warn(f"forensics: loader `{name}` failed while sniffing {path}: {exc}", stacklevel=2)
            plain, score, wrapper, error = 0.0, 0.0, None, f"{type(exc).__name__}: {exc}"
        if text is not None and not getattr(cls, "reads_text", False):
            error = error or f"refused: the file is {text}"
            score = 0.0
        if not cls.chosen_by_sniffing:
            score = 0.0
        views[name] = LoaderView(plain=plain, score=score, wrapper=wrapper, error=error)
    return sample, views


def sniff_scores(path: str, limits: Limits = DEFAULT_LIMITS) -> dict[str, float]:
    """Every loader's score for ``path`` (through a wrapper where that scores higher), highest first."""
    return _scores(sniff_details(path, limits)[1])


def _scores(views: dict[str, LoaderView]) -> dict[str, float]:
    scores = {name: v.score for name, v in views.items() if v.score > 0}
    return dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])))


def sniff_file(path: str, limits: Limits = DEFAULT_LIMITS) -> SniffResult:
    """Choose the loader for ``path``; raise :class:`UnknownFormatError` rather than guess."""
    sample, views = sniff_details(path, limits)
    scores = _scores(views)
    if not scores:
        raise _unknown(path, sample, "")
    best = max(scores.values())
    top = [n for n, s in scores.items() if s == best]
    if best < MIN_CONFIDENCE:
        raise _unknown(path, sample, f"; closest: {', '.join(f'`{n}` {s:.2f}' for n, s in list(scores.items())[:3])}, "
                                     f"all below {MIN_CONFIDENCE}")
    if len(top) > 1:
        raise UnknownFormatError(path, top, names())
    return SniffResult(path=path, format=top[0], confidence=best, scores=scores, wrapper=views[top[0]].wrapper)


def _unknown(path: str, sample: Sample, closest: str) -> UnknownFormatError:
    """The error for a file no loader claims: what it looks like, and a hint that fits the case."""
    looks = what_it_looks_like(sample)
    error = UnknownFormatError(path, [], names(), detail=f" ({looks}{closest})")
    hint = _hint_for(sample)
    if hint is not None:
        error.hint = hint
        error.args = (error._render(),)
    return error


def _hint_for(sample: Sample) -> str | None:
    if sample.unreadable is None and not sample.head.strip() and not sample.is_parquet:
        return "check that the exporter finished writing it"
    if _not_data(sample) is not None:
        return ("forensics reads agent logs written as JSON, JSON-lines, Parquet or SQLite; "
                "point it at the log files themselves (`forensics formats` lists what each loader reads)")
    suggestion = _auto_json_suggestion(sample)
    if suggestion:
        return suggestion
    return None


def _auto_json_suggestion(sample: Sample) -> str | None:
    if "auto-json" not in LOADERS:
        return None
    from .auto_json import suggest

    found = suggest(sample)
    if not found:
        return None
    return (f"it holds span-like records ({found}): `--format auto-json` (format=\"auto-json\") reads any JSON "
            "with spans in it and reports which keys it took for which column")


def what_it_looks_like(sample: Sample) -> str:
    """What a file that no loader claims looks like, in a few words."""
    if sample.unreadable:
        return sample.unreadable
    if not sample.head.strip() and not sample.is_parquet:
        return "the file is empty (0 bytes)" if not sample.head else "the file holds only whitespace"
    if sample.is_parquet:
        return f"a Parquet file with columns {', '.join(sample.parquet_columns[:8])}"
    text = _not_data(sample)
    if text is not None:
        return f"it looks like {text}, not JSON or JSON-lines"
    if sample.first is None:
        return f"it is not JSON or JSON-lines ({sample.broken})" if sample.broken else "it is not JSON or JSON-lines"
    shape = "a JSON document" if sample.is_document else "JSON-lines"
    if isinstance(sample.first, dict):
        keys = ", ".join(sorted(sample.first)[:8]) + (", ..." if len(sample.first) > 8 else "")
        where = f"{shape} whose first record is an object with keys: {keys}"
        for view in sample.through_wrappers():
            inner = view.first if isinstance(view.first, dict) else {}
            where += f"; under `{view.wrapper}`, records with keys: {', '.join(sorted(inner)[:8])}"
        return where
    return f"{shape} whose first record is a JSON {type(sample.first).__name__}"


_MARKDOWN_LINK = re.compile(r"\[[^\]]+\]\([^)\s]+\)")


def _not_data(sample: Sample) -> str | None:
    """What a file is when it is text rather than data of any format (Markdown, CSV, prose), else None."""
    if sample.is_parquet or sample.unreadable or sample.first is not None or not sample.broken:
        return None
    head = sample.head
    if b"\x00" in head[:4096] or head.startswith(b"SQLite format 3"):
        return None  # binary: a SQLite database or another loader's own format
    text = sample.text.lstrip("\ufeff \t\r\n")
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return None
    first = lines[0]
    if first.startswith(("#", "```", "---", "> ")) or _MARKDOWN_LINK.search(first) \
            or any(line.lstrip().startswith(("## ", "- ", "* ", "|")) for line in lines):
        return "Markdown text"
    for sep, name in ((",", "comma"), ("\t", "tab"), (";", "semicolon")):
        counts = [line.count(sep) for line in lines[:5]]
        if counts[0] >= 1 and len(set(counts)) == 1:
            columns = ", ".join(c.strip().strip('"') for c in first.split(sep)[:8])
            return f"CSV ({name}-separated) with columns: {columns}"
    if first.startswith("<"):
        return "HTML or XML markup"
    return "plain text"
