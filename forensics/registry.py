"""One registry type for everything the package looks up by name (loaders, detectors, synthetic-log
injectors and writers, nightly engines).

A :class:`Registry` holds named entries of one kind. Built-ins and third-party plugins arrive the same
way: an entry-point group (``importlib.metadata``), read once on first use, or :meth:`Registry.register`
at run time (a notebook's custom format). The rules are the same for every kind:

* a duplicate name fails with BOTH owners named (the module of each), never a silent overwrite;
* a plugin that fails to import, or loads as the wrong type, is recorded in :meth:`Registry.problems`
  with a warning and skipped: one broken package never takes start-up down;
* an unknown name is an :class:`~forensics.errors.InputError` that lists the known names (and says
  when the name is installed but broken);
* iteration is in a stable order: by name, or in registration order where order means something.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, Literal, TypeVar

from forensics.errors import ForensicsError, InputError

T = TypeVar("T")


def owner_of(obj: object) -> str:
    """Where an entry comes from, for error messages: ``module.Qualname`` (or the module of a function)."""
    module = getattr(obj, "__module__", None) or type(obj).__module__
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}.{qualname}"


def _default_name(obj: object) -> str:
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) else ""


class Registry(Generic[T]):
    """Named entries of one kind (``kind`` reads in messages: "loader", "detector", ...).

    ``group``: the entry-point group read on first use (None: run-time registration only).
    ``name_of``: an entry's name (default: its ``name`` attribute). ``check``: validates an entry and
    returns an error message for a wrong one (None when fine). ``error``: the exception type for a
    wrong or duplicate registration. ``builtins``: called once before the entry points are read (for
    a package whose own modules register on import). ``order``: iterate by ``"name"`` or in
    ``"registration"`` order. ``entry_point_is_name``: an entry point's name must equal the name of
    what it loads (loaders: ``--format`` names and entry points are one namespace).
    ``named_by_entry_point``: entries are plain functions named by their entry point (engines).
    """

    def __init__(
        self,
        kind: str,
        group: str | None = None,
        *,
        name_of: Callable[[T], str] = _default_name,
        check: Callable[[T], str | None] | None = None,
        error: type[ForensicsError] = InputError,
        builtins: Callable[[], None] | None = None,
        order: Literal["name", "registration"] = "name",
        plural: str | None = None,
        entry_point_is_name: bool = True,
        named_by_entry_point: bool = False,
    ) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self.group = group
        self._name_of = name_of
        self._check = check
        self._error = error
        self._builtins = builtins
        self._order = order
        self._entry_point_is_name = entry_point_is_name
        self._named_by_entry_point = named_by_entry_point
        self._entries: dict[str, T] = {}
        self._owners: dict[str, str] = {}
        self._problems: dict[str, str] = {}
        self._discovered = False

    # --- registration -------------------------------------------------------------------------------

    def register(self, obj: T, *, name: str | None = None, origin: str | None = None) -> T:
        """Add ``obj`` (usable as a decorator). A wrong entry or a name already taken by another owner
        raises the registry's error type; registering the same object again is a no-op."""
        where = origin or owner_of(obj)
        key = name if name is not None else self._name_of(obj)
        problem = self._check(obj) if self._check is not None else None
        if problem is None and not key:
            problem = "has no `name`"
        if problem is not None:
            raise self._error(f"{self.kind} {where} {problem}",
                              hint=f"a {self.kind} needs a stable name and the attributes its registry checks.")
        existing = self._entries.get(key)
        if existing is not None and existing is not obj:
            raise self._error(
                f"two {self.plural} are registered as `{key}`: {self._owners[key]} and {where}",
                hint=f"rename one of them; {self.kind} names must be unique.",
            )
        self._entries[key] = obj
        self._owners[key] = where
        return obj

    def unregister(self, name: str) -> None:
        """Remove a registration (tests, notebooks); an unknown name is ignored."""
        self._entries.pop(name, None)
        self._owners.pop(name, None)

    # --- discovery ----------------------------------------------------------------------------------

    def discover(self) -> None:
        """Register the built-ins and every entry point of the group, once."""
        if self._discovered:
            return
        self._discovered = True  # first: a plugin that looks names up while importing must not recurse
        if self._builtins is not None:
            self._builtins()
        if self.group is None:
            return
        for ep in entry_points(group=self.group):
            self._load_entry_point(ep)

    def _load_entry_point(self, ep: EntryPoint) -> None:
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not take the others down, but is reported
            self._skip(ep, f"{type(exc).__name__}: {exc}", what="failed to import")
            return
        if isinstance(obj, types.ModuleType):  # a module that registers its entries on import
            return
        problem = self._check(obj) if self._check is not None else None
        if problem is None and self._named_by_entry_point:
            self.register(obj, name=ep.name, origin=ep.value)
            return
        if problem is None:
            name = self._name_of(obj)
            if not name:
                problem = "has no `name`"
            elif self._entry_point_is_name and name != ep.name:
                problem = f"is named `{name}`; make the entry-point name equal the {self.kind}'s `name`"
        if problem is not None:
            self._skip(ep, problem)
            return
        self.register(obj, origin=ep.value)

    def _skip(self, ep: EntryPoint, problem: str, what: str = "is not usable") -> None:
        self._problems[ep.name] = f"{ep.value}: {problem}"
        warnings.warn(f"forensics: {self.kind} `{ep.name}` ({ep.value}) {what}: {problem}; skipped", stacklevel=3)

    def problems(self) -> dict[str, str]:
        """Plugins that were skipped: entry-point name -> what was wrong (shown by ``forensics formats``)."""
        self.discover()
        return dict(self._problems)

    # --- lookup -------------------------------------------------------------------------------------

    def get(self, name: str) -> T:
        """The entry registered as ``name``; an unknown name lists the known ones."""
        self.discover()
        try:
            return self._entries[name]
        except KeyError:
            pass
        known = ", ".join(f"`{n}`" for n in self.names()) or "(none)"
        extra = f" (it is installed but was skipped: {self._problems[name]})" if name in self._problems else ""
        raise InputError(f"no {self.kind} named `{name}`{extra}", hint=f"use one of: {known}") from None

    def owner(self, name: str) -> str:
        """Where ``name`` was registered from (``module.Qualname`` or the entry point's value)."""
        self.get(name)
        return self._owners[name]

    def names(self) -> list[str]:
        """Registered names, in the registry's order."""
        self.discover()
        return sorted(self._entries) if self._order == "name" else list(self._entries)

    def values(self) -> list[T]:
        return [self._entries[n] for n in self.names()]

    def items(self) -> list[tuple[str, T]]:
        return [(n, self._entries[n]) for n in self.names()]

    def __iter__(self) -> Iterator[str]:
        """The names, as iterating a dict gives its keys (``sorted(WRITERS)``)."""
        return iter(self.names())

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        self.discover()
        return name in self._entries

    def __len__(self) -> int:
        self.discover()
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<Registry of {self.plural}: {len(self._entries)} registered, group={self.group!r}>"


def is_subclass_of(base: type) -> Callable[[Any], str | None]:
    """A ``check`` for registries of classes: the entry must be a subclass of ``base``."""

    def check(obj: Any) -> str | None:
        if isinstance(obj, type) and issubclass(obj, base):
            return None
        return f"is not a {base.__qualname__} subclass (found {type(obj).__name__} {obj!r})"

    return check
