"""Strict JSON: what orjson lets pass silently and a record must not (duplicate keys, integers
wider than 64 bits), caught cheaply on clean input and named precisely on a bad one."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# -- duplicate keys ---------------------------------------------------------------------------
#
# orjson (like most parsers) keeps the last of two equal keys without a word, while other tools
# keep the first: a record with a duplicate key means different things to different readers (a
# way to smuggle a value past a reviewer), so it is quarantined. The check must cost next to
# nothing on clean input, so it compares two colon counts and parses again only when they differ:
#
# * outside strings, JSON has exactly one colon per key, and whitespace never matters;
# * inside strings, a colon is spelled `:` or `\u003a`. orjson's compact re-serialisation of the
#   parsed value spells it `:` always, and the parsed strings are a subset of the raw ones (a
#   dropped duplicate's key and value are gone).
#
# So when the raw text has no `\u003a`, colons(raw) >= colons(compact), with equality only if no
# key was dropped: equal counts prove there is no duplicate. A line exactly as orjson writes it is
# proven clean by one byte comparison before that. When the counts differ (a duplicate, or a colon
# spelled `\u003a`) a strict parse decides and names the key and its path. `"a"` and `"\u0061"`
# are one key: the strict parse compares the decoded keys.

_ESCAPED_COLON_S = ("\\u003a", "\\u003A")
_ESCAPED_COLON_B = tuple(e.encode() for e in _ESCAPED_COLON_S)


def may_have_duplicate_keys(raw: bytes | bytearray | str, value: Any, compact: bytes | None = None) -> bool:
    """False when ``raw`` (the JSON text ``value`` was parsed from) certainly has no duplicate key.

    Cheap (one compact re-serialisation, passed in as ``compact`` when the caller has it, and two
    byte counts); True only means "check strictly" with :func:`find_duplicate_key`.
    """
    if not isinstance(value, (dict, list)):  # the tuple is faster than `dict | list` on this hot path
        return False
    if compact is None:
        try:
            compact = orjson.dumps(value)
        except (TypeError, orjson.JSONEncodeError):
            return True
    if not isinstance(raw, str) and raw.startswith(compact):
        # The text is what the parser kept, then (the parse took it all) whitespace: nothing was dropped.
        return False
    return _colons_differ(raw, compact.count(b":"))


def _colons_differ(raw: bytes | bytearray | str, kept: int) -> bool:
    """True unless ``raw`` has exactly ``kept`` colons and spells none as ``\\u003a``."""
    if isinstance(raw, str):
        return raw.count(":") != kept or ("\\u003" in raw and any(e in raw for e in _ESCAPED_COLON_S))
    # One scan for the common prefix; Go's encoder writes `<` and `>` as `\u003c` and `\u003e`.
    return raw.count(b":") != kept or (b"\\u003" in raw and any(e in raw for e in _ESCAPED_COLON_B))


#: An integer literal of 20 digits or more: orjson reads one wider than 64 bits as a float, rounded
#: (a 128-bit decimal trace id would lose its low digits). A match inside a string only costs a
#: second parse.
_WIDE_INT_B = re.compile(rb"(?<![0-9.])-?[0-9]{20,}(?![0-9.eE])")
_WIDE_INT_S = re.compile(r"(?<![0-9.])-?[0-9]{20,}(?![0-9.eE])")


def exact_numbers(raw: bytes | bytearray | str, value: Any) -> Any:
    """``value`` (parsed from ``raw`` by orjson) re-read by the standard parser when ``raw`` may
    hold an integer wider than 64 bits, so that it stays an exact ``int``; else ``value`` itself."""
    if not isinstance(value, (dict, list)):
        return value
    found = _WIDE_INT_S.search(raw) if isinstance(raw, str) else _WIDE_INT_B.search(raw)
    return value if found is None else json.loads(raw)


def _kept_colons(value: Any) -> int:
    """Colons in orjson's compact form of ``value``, serialising no more than one list element at a time."""
    if isinstance(value, list):
        return sum(orjson.dumps(item).count(b":") for item in value)
    if isinstance(value, dict):
        return len(value) + sum(key.count(":") + _kept_colons(item) for key, item in value.items())
    return orjson.dumps(value).count(b":")


class _Pairs(list[Any]):
    """A JSON object as the strict parse sees it: its (key, value) pairs in order, repeats kept."""


def find_duplicate_key(raw: bytes | bytearray | str) -> tuple[str, str] | None:
    """The first duplicate key in the JSON text ``raw`` and the path of its object (``$.a[2].b``).

    Keys compare after unescaping, so ``"a"`` and ``"\\u0061"`` are one key. ``None`` when there is
    none (or the text is not JSON the standard parser reads). Raises ``RecursionError`` for text
    nested deeper than the standard parser's recursion limit.
    """
    try:
        tree = json.loads(raw, object_pairs_hook=_Pairs)
    except ValueError:
        return None
    return _first_duplicate(tree)


def _first_duplicate(tree: Any) -> tuple[str, str] | None:
    stack: list[tuple[str, Any]] = [("$", tree)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _Pairs):
            seen: set[str] = set()
            children: list[tuple[str, Any]] = []
            for key, value in node:
                if key in seen:
                    return key, path
                seen.add(key)
                if isinstance(value, list):
                    children.append((f"{path}.{key}" if _PLAIN_KEY.fullmatch(key) else f"{path}[{json.dumps(key)}]", value))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(node))) if isinstance(item, list))
    return None


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def duplicate_detail(key: str, path: str, where: str) -> str:
    """The quarantine detail for a duplicate key: which key, the path of its object, where."""
    shown = key if len(key) <= 80 else key[:80] + "…"
    return (f"key {json.dumps(shown)} appears more than once in the object at {path} ({where}); parsers disagree on "
            "which value wins (orjson and Python keep the last, others the first), so the record is ambiguous and "
            "was not loaded. Hint: fix the writer so every key appears once in an object")
