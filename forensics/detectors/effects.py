"""What a side-effecting call's own result says it changed."""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import EXISTING_RETURNED


def created_nothing_new() -> pl.Expr:
    """A create whose result returns the object that was already there (get-or-create's "created":
    false beside the object's id: base.EXISTING_RETURNED, Django's QuerySet.get_or_create, upserts):
    the call changed nothing, so doing it again is no duplicate effect."""
    created_false, object_id = EXISTING_RETURNED
    return (pl.col("output").str.contains(created_false) & pl.col("output").str.contains(object_id)).fill_null(False)
