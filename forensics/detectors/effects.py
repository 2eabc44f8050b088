"""What a side-effecting call's own result says it changed."""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import EXISTING_RETURNED


def created_nothing_new() -> pl.Expr:
    """A create whose result returns the object that was already there (get-or-create's "created":
    false beside the object's id: base.EXISTING_RETURNED, Django's QuerySet.get_or_create, upserts):
    the call changed nothing, so doing it again is no duplicate effect. Nor did a call that never
    ran (:func:`did_not_run`)."""
    created_false, object_id = EXISTING_RETURNED
    returned_existing = (pl.col("output").str.contains(created_false) & pl.col("output").str.contains(object_id)).fill_null(False)
    return returned_existing | did_not_run()


def did_not_run() -> pl.Expr:
    """A call stopped before it ran, waiting for a person (conventions.pauses: ``pause_kind``
    approval or interrupt: an OpenAI Agents SDK call awaiting approval, a LangGraph interrupt):
    nothing was changed, so the approved call that runs later is the only effect."""
    return pl.col("pause_kind").is_in(["approval", "interrupt"]).fill_null(False)
