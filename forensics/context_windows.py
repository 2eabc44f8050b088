"""Model context windows from a maintained public table (``forensics/data/context_windows.json``,
vendored from LiteLLM's model table; ``forensics/data/README.md`` has the source, license, date
and how to refresh it).

Names are matched as logged, then without a provider or Bedrock-style vendor prefix and version
suffix, then by the longest listed name they start with (followed by ``-``, ``@`` or ``:``, so
``gpt-4`` never claims ``gpt-4o``). The lookup runs over distinct model names only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Final

import polars as pl

TABLE_FILE: Final = "data/context_windows.json"
# Bedrock-style names: optional region, a vendor, a dot; a version suffix -v1:0 / -v2 / @20251001.
_VENDOR: Final = re.compile(r"^(?:[a-z]{2,4}\.)?(?:anthropic|meta|mistral|cohere|amazon|ai21|google|openai|deepseek|qwen)\.")
_VERSION: Final = re.compile(r"(?:-v\d+(?::\d+)?|:\d+)$")


def _aliases(name: str) -> set[str]:
    n = name.lower()
    out = {n, n.rsplit("/", 1)[-1]}
    for a in list(out):
        stripped = _VERSION.sub("", _VENDOR.sub("", a))
        out.add(stripped)
    return {a for a in out if a}


@lru_cache(maxsize=1)
def table() -> dict[str, int]:
    """``{name or alias: window}``: the listed names, then their aliases (largest window wins)."""
    raw = json.loads(resources.files("forensics").joinpath(TABLE_FILE).read_text())
    listed: dict[str, int] = {k.lower(): int(v) for k, v in raw["windows"].items()}
    out = dict(listed)
    for name, window in listed.items():
        for alias in _aliases(name):
            if alias not in listed:
                out[alias] = max(window, out.get(alias, 0))
    return out


def source() -> str:
    """Where the table came from (its header): source, version and retrieval date."""
    raw = json.loads(resources.files("forensics").joinpath(TABLE_FILE).read_text())
    return f"{raw['source_version']}, retrieved {raw['retrieved']}"


def window_for(model: str, overrides: Mapping[str, int] | None = None) -> int | None:
    """The context window of ``model``: a policy override (longest prefix), else the table."""
    m = model.strip().lower()
    if overrides:
        hits = [p for p in overrides if m.startswith(p.lower())]
        if hits:
            return overrides[max(hits, key=len)]
    known = table()
    for candidate in (m, *sorted(_aliases(m) - {m})):
        if candidate in known:
            return known[candidate]
    # A dated or tagged snapshot of a listed model: the longest listed prefix at a boundary.
    for end in range(len(m) - 1, 1, -1):
        if m[end] in "-@:" and m[:end] in known:
            return known[m[:end]]
    return None


def windows_for(models: Iterable[str], overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """``{model: window}`` for the distinct names that have one."""
    out: dict[str, int] = {}
    for model in set(models):
        w = window_for(model, overrides)
        if w is not None:
            out[model] = w
    return out


def window_column(known: Mapping[str, int], column: str = "model") -> pl.Expr:
    """Per row, the window of the model named in ``column`` (``known``: :func:`windows_for` over the
    distinct names in play, looked up once each), else null."""
    if not known:
        return pl.lit(None, dtype=pl.Int64)
    return pl.col(column).replace_strict(list(known), list(known.values()), default=None, return_dtype=pl.Int64)
