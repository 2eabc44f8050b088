"""The detector registry: built-in detectors and third-party ones register the same way.

A detector is a class with its identity as class attributes (``name``, ``failure_class``,
``scope``, ``severity``, ``description``) and a ``detect(ctx)`` method returning a LazyFrame of
findings. Built-ins register with :func:`register` when their module is imported; other packages
expose a detector class (or a module that registers on import) through the entry-point group
``forensics.detectors``. A duplicate name fails at start-up with both owners named.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Final, TypeVar

from forensics.detectors.base import Detector
from forensics.errors import ForensicsError, InputError
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
#: One module per failure class; importing one registers its detectors.
BUILTIN_MODULES: Final = tuple(f"forensics.detectors.{c}" for c in FAILURE_CLASSES)

_REGISTRY: dict[str, type[Detector]] = {}
_loaded = False

D = TypeVar("D", bound=type[Detector])


class DetectorRegistryError(ForensicsError):
    """A detector class is malformed or its name is already taken."""


def register(cls: D) -> D:
    """Class decorator: validate a detector's identity and add it to the registry."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    for attr in ("name", "failure_class", "scope", "severity", "description"):
        if not isinstance(getattr(cls, attr, None), str) or not getattr(cls, attr):
            raise DetectorRegistryError(
                f"detector class has no `{attr}`",
                where=where,
                hint="set name, failure_class, scope, severity and description as class attributes.",
            )
    for attr, valid in (("failure_class", FAILURE_CLASSES), ("scope", SCOPES), ("severity", SEVERITIES)):
        value = getattr(cls, attr)
        if value not in valid:
            raise DetectorRegistryError(
                f"`{attr}` is {value!r}",
                where=where,
                hint=f"use one of: {', '.join(valid)}.",
            )
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise DetectorRegistryError(
            f"detector name `{cls.name}` is already registered by "
            f"{existing.__module__}.{existing.__qualname__}",
            where=where,
            hint="detector names are global; pick another name for the new detector.",
        )
    _REGISTRY[cls.name] = cls
    return cls


def _load() -> None:
    """Import the built-in modules, then every entry point of the group (once)."""
    global _loaded
    if _loaded:
        return
    for module in BUILTIN_MODULES:
        import_module(module)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        # An entry point may name a module (which registers on import) or a detector class.
        if isinstance(obj, type) and issubclass(obj, Detector):
            register(obj)
    _loaded = True


def names() -> list[str]:
    """Every registered detector name, sorted."""
    _load()
    return sorted(_REGISTRY)


def get(name: str) -> type[Detector]:
    """The detector class registered as ``name``."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(
            f"no detector named `{name}`",
            hint=f"registered detectors: {', '.join(sorted(_REGISTRY))}.",
        ) from None


def all_detectors() -> list[type[Detector]]:
    """Every registered detector class, sorted by name."""
    _load()
    return [_REGISTRY[n] for n in sorted(_REGISTRY)]
