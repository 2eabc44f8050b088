"""The detector registry: built-in detectors and third-party ones register the same way.

A detector is a class with its identity as class attributes (``name``, ``failure_class``,
``scope``, ``severity``, ``description``) and a ``detect(ctx)`` method returning a LazyFrame of
findings. Built-ins register with :func:`register` when their module is imported; other packages
expose a detector class (or a module that registers on import) through the entry-point group
``forensics.detectors``. A duplicate name fails at start-up with both owners named; a plugin that
fails to import or is not a valid detector is skipped with a warning (``DETECTORS.problems()``).
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from typing import Final, TypeVar

import polars as pl

from forensics.detectors.base import Context, Detector
from forensics.errors import ForensicsError
from forensics.registry import Registry
from forensics.schema import SEVERITIES

ENTRY_POINT_GROUP: Final = "forensics.detectors"
FAILURE_CLASSES: Final = (
    "context_collapse",
    "ownership_gap",
    "missing_fallback",
    "silent_failure",
    "runaway_cost",
    "unguarded_action",
)
SCOPES: Final = ("run", "session")
#: Modules of this package that hold no detectors (every other module is imported and registers its own).
NOT_DETECTOR_MODULES: Final = frozenset({"base", "registry"})

D = TypeVar("D", bound=type[Detector])


class DetectorRegistryError(ForensicsError):
    """A detector class is malformed or its name is already taken."""


def _check(cls: object) -> str | None:
    """What is wrong with a detector class's identity, or None."""
    if not (isinstance(cls, type) and issubclass(cls, Detector)):
        return f"is not a Detector subclass (found {type(cls).__name__})"
    for attr in ("name", "failure_class", "scope", "severity", "description"):
        if not isinstance(getattr(cls, attr, None), str) or not getattr(cls, attr):
            return f"has no `{attr}`: set name, failure_class, scope, severity and description as class attributes"
    for attr, valid in (("failure_class", FAILURE_CLASSES), ("scope", SCOPES), ("severity", SEVERITIES)):
        value = getattr(cls, attr)
        if value not in valid:
            return f"has `{attr}` {value!r}, not one of: {', '.join(valid)}"
    return None


def builtin_modules() -> list[str]:
    """The built-in detector modules, found in this package (not a fixed list): a new module is a new
    detector family with nothing else to edit."""
    import forensics.detectors as package

    found = (m.name for m in pkgutil.iter_modules(package.__path__) if not m.ispkg)
    return [f"forensics.detectors.{name}" for name in sorted(found) if name not in NOT_DETECTOR_MODULES]


def _import_builtins() -> None:
    for module in builtin_modules():
        import_module(module)


#: Every detector by name: the built-in modules register on import, plugins through the entry points.
DETECTORS: Registry[type[Detector]] = Registry(
    "detector", ENTRY_POINT_GROUP, check=_check, error=DetectorRegistryError, builtins=_import_builtins,
    entry_point_is_name=False,
)


def register(cls: D) -> D:
    """Class decorator: validate a detector's identity and add it to the registry."""
    DETECTORS.register(cls)
    return cls


def names() -> list[str]:
    """Every registered detector name, sorted."""
    return DETECTORS.names()


def get(name: str) -> type[Detector]:
    """The detector class registered as ``name``."""
    return DETECTORS.get(name)


def findings_of(ctx: Context, detector: str | type[Detector]) -> pl.DataFrame:
    """``detector``'s findings over ``ctx`` (its ``detect``, collected), computed once per Context.
    classify runs every detector, and some rules read another's findings (orphan_failure reads
    unhandled_error's, run_progress fan_out's and delegation_depth's, ...): each called ``detect``
    again, so those detectors were computed twice a night (unhandled_error, ~0.4 CPU s at 584k
    spans). Keyed by the class, not the name: classify also runs unregistered classes."""
    cls = get(detector) if isinstance(detector, str) else detector
    return ctx.once(f"findings of {cls.__module__}.{cls.__qualname__}", lambda: cls().detect(ctx).collect())


def all_detectors() -> list[type[Detector]]:
    """Every registered detector class, sorted by name."""
    return DETECTORS.values()
