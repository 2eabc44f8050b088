"""A retry that asked another question: the failed call sent again with one of its constraints taken out.

A query that timed out is often sent again "simpler": the model re-issues the same tool with the
filter that made it slow dropped (a search tool's ``jurisdiction``/``decided_after`` arguments, a
SQL ``WHERE region = 'EMEA'`` conjunct). The call succeeds, but it answers a wider question than the
one that failed: its success recovers nothing, and an answer built on it presents the wider result
as the narrower one (TAXONOMY silent_failure, swallowed_error: "no later successful retry of the
same call"). What both shapes have in common is read on the arguments as the span table holds them
(``args``: the tool input without whitespace): the retry's arguments are the failed call's with one
contiguous piece removed, and that piece holds a constraint (a ``"key":`` with its value, or a
comparison ``col='v'``). A piece that only shapes the page of the result (a limit, a page or cursor,
a timeout, a sort) is no constraint: the same question, asked for a smaller or later page.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.detectors.findings import decisive_moved

#: A constraint in the removed piece: a JSON key with its value (``"jurisdiction":"ca9"``) or a
#: comparison (``region='EMEA'``, ``amount>100``, ``IN(``, ``LIKE``, ``BETWEEN``).
_CONSTRAINT: Final = re.compile(r'"[^"]+":|\w(=|<|>|!=)|(?i:\bIN\(|LIKE|BETWEEN)')

#: What only shapes the page a result comes back in, not which records answer the question.
_PAGE_SHAPE: Final = re.compile(
    r"(?i)limit|page|offset|cursor|timeout|top_?k|max_|per_|size|sort|order_?by|fields|format|verbose|stream"
)


def dropped_constraint(before: str, after: str) -> bool:
    """``after`` is ``before`` with one contiguous piece removed, and that piece a constraint
    (:data:`_CONSTRAINT`) that does not only shape the page (:data:`_PAGE_SHAPE`)."""
    cut = len(before) - len(after)
    if cut <= 0:
        return False
    p = 0
    while p < len(after) and before[p] == after[p]:
        p += 1
    if before[p + cut :] != after[p:]:
        return False
    # Widened to the whole words it cut into: the common prefix may have taken "re" of "region".
    start, end = p, p + cut
    while start > 0 and (before[start - 1].isalnum() or before[start - 1] == "_"):
        start -= 1
    while end < len(before) and (before[end].isalnum() or before[end] == "_"):
        end += 1
    piece = before[start:end]
    return bool(_CONSTRAINT.search(piece)) and not _PAGE_SHAPE.search(piece)


def _dropped(pairs: pl.Series) -> pl.Series:
    """:func:`dropped_constraint` over a column of ``{before, after}`` structs, null where no pair
    is given: only the candidate pairs (a successful retry with shorter arguments) are read."""
    out: list[bool | None] = [None] * len(pairs)
    keep = pairs.is_not_null()
    idx = keep.arg_true().to_list()
    for i, row in zip(idx, pairs.filter(keep).to_list(), strict=True):
        b, a = row["before"], row["after"]
        out[i] = b is not None and a is not None and dropped_constraint(b, a)
    return pl.Series(out, dtype=pl.Boolean)


def dropped_filter(candidate: pl.Expr, before: str, after: str) -> pl.Expr:
    """True where ``candidate`` holds and the ``after`` arguments are the ``before`` ones with a
    constraint removed (:func:`dropped_constraint`); False elsewhere. The pairs are few (a failed
    call and its successful retries with shorter arguments), so each is read in Python."""
    pair = pl.when(candidate & (pl.col(after).str.len_chars() < pl.col(before).str.len_chars()).fill_null(False)).then(
        pl.struct(pl.col(before).alias("before"), pl.col(after).alias("after"))
    )
    return pair.map_batches(_dropped, return_dtype=pl.Boolean).fill_null(False)


def decided_by_wider_retry(lost: pl.LazyFrame, findings: pl.LazyFrame) -> pl.LazyFrame:
    """``findings`` (swallowed_error's, one per run) with the decisive span moved to the retry that
    dropped a constraint (``wider_retry_span_id`` of the run's first swallowed failure in ``lost``),
    added to the evidence. The failure was answered, by a retry; that retry asked a wider question,
    and its result is what the run passed on as the answer to the narrower one (docs/DETECTORS.md,
    "Which span is decisive": the output passed on)."""
    wider = (
        lost.sort("run_id", "seq")
        .group_by("run_id")
        .agg(pl.col("wider_retry_span_id").first().alias("_wider"))
        .filter(pl.col("_wider").is_not_null())
    )
    return decisive_moved(
        findings.join(wider, on="run_id", how="left"),
        "_wider",
        "; its retry dropped one of its constraints and answered a wider question",
    )
