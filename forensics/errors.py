"""The toolkit's own error types.

Every error a user can cause says where (``path:line``), what was expected and what was found,
then a ``Hint:`` with what to do. The CLI is the one place an error becomes an exit code.
"""

from __future__ import annotations

from collections.abc import Iterable


class ForensicsError(Exception):
    """Base class of every error the toolkit raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None, where: str | None = None) -> None:
        self.message = message
        self.hint = hint
        self.where = where
        super().__init__(self._render())

    def _render(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\nHint: {self.hint}"
        return text


class InputError(ForensicsError):
    """The input cannot be read as asked: missing path, unknown format, not a log at all."""


class UnknownFormatError(InputError):
    """No registered loader recognises a file, or several do equally well."""

    def __init__(self, path: str, candidates: Iterable[str], known: Iterable[str], detail: str = "") -> None:
        cands = sorted(candidates)
        known_list = ", ".join(f"`{k}`" for k in sorted(known))
        if cands:
            msg = f"several formats match equally well: {', '.join(f'`{c}`' for c in cands)}{detail}"
            hint = f"pass format= (CLI: --format) with one of {', '.join(cands)}."
        else:
            msg = f"no registered loader recognises this file{detail}"
            hint = f"pass format= (CLI: --format) with one of: {known_list}; `forensics formats` says what each reads."
        self.candidates = cands
        super().__init__(msg, hint=hint, where=path)


class PolicyError(ForensicsError):
    """A policy file is invalid."""


class StoreError(ForensicsError):
    """The results store cannot be opened or written."""


class MissingDependencyError(ForensicsError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"`{package}` is needed for {purpose} but is not installed",
            hint=f"pip install 'agent-forensics[{extra}]'",
        )


class InternalError(ForensicsError):
    """A broken invariant inside the toolkit (a bug, never the user's input)."""
