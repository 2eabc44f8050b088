"""Hints: findings too thin to set a class (strength ``hint``, forensics.schema.STRENGTHS).

A hint is a lead for a reviewer ("possible irreversible act: schedule_payment, by its name only"):
the findings table, the report and the runs table (strength ``hint`` on an ok run) show it, but it
sets no class, primary class or ``ok``, and the counts of failures (per class, top detectors,
worst runs, a batch's class counts, an evaluation) leave it out. Policy ``[strength] promote``
makes a detector's hints weak findings.
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from forensics.schema import FINDING_STRENGTHS

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def is_counted() -> pl.Expr:
    """A finding that counts (strong or weak; a table written before strengths existed: null)."""
    return pl.col("strength").is_null() | pl.col("strength").is_in(FINDING_STRENGTHS)


def counted_findings(findings: Frame) -> Frame:
    """``findings`` without its hints; a table with no ``strength`` column (hand-made, older) whole."""
    names = findings.collect_schema().names() if isinstance(findings, pl.LazyFrame) else findings.columns
    if "strength" not in names:
        return findings
    return findings.filter(is_counted())


def hint_findings(findings: Frame) -> Frame:
    """Only the hints of ``findings`` (none in a table without ``strength``)."""
    names = findings.collect_schema().names() if isinstance(findings, pl.LazyFrame) else findings.columns
    if "strength" not in names:
        return findings.head(0)
    return findings.filter(pl.col("strength") == "hint")
