"""The loader registry: built-in and third-party loaders found the same way.

Built-ins are declared in ``pyproject.toml`` under the entry-point group ``forensics.loaders``
exactly as a plugin package would declare its own; :func:`register` adds one at run time (a
notebook's custom format). A duplicate name fails loudly; a plugin that fails to import is kept in
:func:`broken` and shown by ``forensics formats``, never silently dropped.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib.metadata import entry_points

from ..errors import InputError, UnknownFormatError
from .base import DEFAULT_LIMITS, Limits, Loader, read_sample

ENTRY_POINT_GROUP = "forensics.loaders"

_registry: dict[str, type[Loader]] = {}
_broken: dict[str, str] = {}
_discovered = False

#: A loader must score at least this for sniffing to choose it.
MIN_CONFIDENCE = 0.5


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not take the others down, but is reported
            _broken[ep.name] = f"{ep.value}: {type(exc).__name__}: {exc}"
            warnings.warn(f"forensics: loader `{ep.name}` ({ep.value}) failed to import: {exc}", stacklevel=2)
            continue
        _add(cls, origin=ep.value, expected_name=ep.name)


def _add(cls: type[Loader], origin: str, expected_name: str | None = None) -> None:
    name = getattr(cls, "name", "")
    if not name:
        raise InputError(f"loader {origin} has no `name` class attribute",
                         hint="give the class a stable kebab-case `name`")
    if expected_name is not None and expected_name != name:
        raise InputError(f"entry point `{expected_name}` points at a loader named `{name}` ({origin})",
                         hint="make the entry-point name equal the loader's `name`")
    existing = _registry.get(name)
    if existing is not None and existing is not cls:
        raise InputError(
            f"two loaders are registered as `{name}`: {existing.__module__}.{existing.__qualname__} and {origin}",
            hint="rename one of them; registry names must be unique",
        )
    _registry[name] = cls


def register(cls: type[Loader]) -> type[Loader]:
    """Register a loader class at run time (usable as a decorator)."""
    _discover()
    _add(cls, origin=f"{cls.__module__}.{cls.__qualname__}")
    return cls


def unregister(name: str) -> None:
    """Remove a run-time registration (tests, notebooks)."""
    _registry.pop(name, None)


def names() -> list[str]:
    """Registered loader names, sorted."""
    _discover()
    return sorted(_registry)


def broken() -> dict[str, str]:
    """Entry points that failed to import: name → error."""
    _discover()
    return dict(_broken)


def get(name: str) -> type[Loader]:
    """The loader class registered as ``name``."""
    _discover()
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(f"`{n}`" for n in sorted(_registry))
        extra = f" (it is installed but failed to import: {_broken[name]})" if name in _broken else ""
        raise InputError(f"no loader named `{name}`{extra}", hint=f"use one of: {known}") from None


@dataclass(frozen=True)
class SniffResult:
    """Which loader sniffing chose for a file, and how sure it was of each."""

    path: str
    format: str
    confidence: float
    scores: dict[str, float]


def sniff_scores(path: str, limits: Limits = DEFAULT_LIMITS) -> dict[str, float]:
    """Every loader's score for ``path``, highest first."""
    _discover()
    sample = read_sample(path, limits)
    scores: dict[str, float] = {}
    for name, cls in _registry.items():
        try:
            score = float(cls().sniff(sample))
        except Exception as exc:  # a loader's sniff must never decide for another by crashing
            warnings.warn(f"forensics: loader `{name}` failed while sniffing {path}: {exc}", stacklevel=2)
            score = 0.0
        if score > 0:
            scores[name] = score
    return dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])))


def sniff_file(path: str, limits: Limits = DEFAULT_LIMITS) -> SniffResult:
    """Choose the loader for ``path``; raise :class:`UnknownFormatError` rather than guess."""
    scores = sniff_scores(path, limits)
    if not scores:
        raise UnknownFormatError(path, [], names(), detail=_what_it_looks_like(path, limits))
    best = max(scores.values())
    top = [n for n, s in scores.items() if s == best]
    if best < MIN_CONFIDENCE:
        raise UnknownFormatError(
            path, [], names(),
            detail=f" (closest: {', '.join(f'`{n}` {s:.2f}' for n, s in list(scores.items())[:3])}, "
                   f"all below {MIN_CONFIDENCE})",
        )
    if len(top) > 1:
        raise UnknownFormatError(path, top, names())
    return SniffResult(path=path, format=top[0], confidence=best, scores=scores)


def _what_it_looks_like(path: str, limits: Limits) -> str:
    sample = read_sample(path, limits)
    if sample.unreadable:
        return f" ({sample.unreadable})"
    if not sample.head.strip() and not sample.is_parquet:
        return " (the file is empty)"
    if sample.is_parquet:
        return f" (a Parquet file with columns {', '.join(sample.parquet_columns[:8])})"
    if sample.first is None:
        return " (it is not JSON or JSON-lines)"
    if isinstance(sample.first, dict):
        keys = ", ".join(sorted(sample.first)[:8])
        return f" (its first record is a JSON object with keys: {keys})"
    return f" (its first record is a JSON {type(sample.first).__name__})"
