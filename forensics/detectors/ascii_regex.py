"""A text regex read by its ASCII form where the text is ASCII: the same matches, found faster.

Rust's regex crate (polars ``str.contains``) reads ``\\w``, ``\\b``, ``\\s`` and ``\\d`` as Unicode
classes by default; a Unicode ``\\w`` inside a bounded repeat (``(?:[^.\\n]|\\.\\w){0,60}?``, the
policy's channel-post claim) makes an automaton the lazy DFA keeps rebuilding, ~15x slower than
the same pattern with ``(?-u:\\w)``. On ASCII text the two forms match exactly the same: the
Unicode classes agree with the ASCII ones on every ASCII character (word characters, whitespace
``\\t\\n\\v\\f\\r`` and space, digits, and so word boundaries), and case folding is untouched (the
rewrite leaves ``(?i)`` Unicode). The regex crate's syntax: ``(?-u:...)`` turns Unicode off for a
group; ``\\w``/``\\b``/``\\s``/``\\d`` are allowed there in a UTF-8 pattern (they match ASCII only),
their negations are not, so only these four are rewritten, and only outside character classes.
"""

from __future__ import annotations

from typing import Final

import polars as pl

_ASCII_CLASSES: Final = frozenset("wbsd")
#: A text holding a byte outside ASCII.
_NON_ASCII: Final = r"[^\x00-\x7F]"


def ascii_form(pattern: str) -> str:
    """``pattern`` with each ``\\w``, ``\\b``, ``\\s`` and ``\\d`` outside a character class written
    ``(?-u:\\w)`` (and so on): the same matches on ASCII text. Escapes (``\\\\w`` is a backslash then
    w), character classes (nested ones, POSIX ``[:alpha:]``, a leading ``]``) and ``\\b{start}``-style
    assertions are left as they are."""
    out: list[str] = []
    depth = 0  # how many character classes are open
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            braced = i + 2 < n and pattern[i + 2] == "{"
            out.append(f"(?-u:\\{nxt})" if depth == 0 and nxt in _ASCII_CLASSES and not braced else ch + nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
        if ch == "[":
            depth += 1
            # A class's first character may be a literal ']' (after an optional '^').
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("]")
                i += 1
        elif ch == "]" and depth > 0:
            depth -= 1
    return "".join(out)


def with_contains(frame: pl.LazyFrame, text: str, patterns: dict[str, str]) -> pl.LazyFrame:
    """``frame`` with a column ``name = text.str.contains(pattern)`` for each of ``patterns``; the
    rows whose text is ASCII are read with each pattern's :func:`ascii_form`, the others (and null
    texts) with the pattern itself. Split once for all the patterns (a split per pattern cost more
    than the regexes); the rows come back in their order."""
    non_ascii = pl.col(text).str.contains(_NON_ASCII).fill_null(True)
    marked = frame.with_row_index("_ascii_row").with_columns(non_ascii.alias("_non_ascii"))
    fast = marked.filter(~pl.col("_non_ascii")).with_columns(
        pl.col(text).str.contains(ascii_form(p)).alias(name) for name, p in patterns.items()
    )
    slow = marked.filter(pl.col("_non_ascii")).with_columns(
        pl.col(text).str.contains(p).alias(name) for name, p in patterns.items()
    )
    return pl.concat([fast, slow]).sort("_ascii_row").drop("_ascii_row", "_non_ascii")
