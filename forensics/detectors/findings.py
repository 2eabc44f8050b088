"""One finding per run from the spans a rule flagged: the block most detectors end with.

A rule selects the spans that show its failure; the finding groups them by run, in the run's order
(``seq``): every flagged span is evidence, the first one is the decisive span, and the explanation
is written from the first span's columns and the count ``n`` of flagged spans::

    return per_run_finding(
        lost,
        first=["kind", "call", "t"],
        explanation=pl.format("{} {} failed at {} ({} error(s))", pl.col("kind"), txt(pl.col("call")), hms("t"), pl.col("n")),
    )
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from forensics.detectors.base import finding


def per_run_finding(
    rows: pl.LazyFrame,
    *,
    first: Sequence[str] = (),
    explanation: pl.Expr,
    also: Sequence[pl.Expr] = (),
    strength: str | pl.Expr | None = None,
) -> pl.LazyFrame:
    """The ``DETECTOR_OUTPUT`` rows for ``rows`` (flagged spans with ``run_id``, ``seq`` and
    ``span_id``): one per run, its evidence every flagged span id in run order, its decisive span
    the first. ``first``: columns taken from the first flagged span, by their own names;
    ``also``: further aggregations; both, and ``n`` (how many spans were flagged), are there for
    ``explanation`` and ``strength`` to read."""
    per_run = (
        rows.sort("run_id", "seq")
        .group_by("run_id")
        .agg(
            pl.col("span_id").alias("ids"),
            pl.col("span_id").first().alias("first_id"),
            *[pl.col(c).first() for c in first],
            *also,
            pl.len().alias("n"),
        )
    )
    return per_run.select(finding("run_id", pl.col("ids"), "first_id", explanation, strength))
