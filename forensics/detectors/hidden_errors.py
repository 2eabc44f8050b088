"""An error the run then reported success over: which of them nothing followed.

TAXONOMY reads one such error two ways at once. ``unhandled_error`` (missing_fallback): a call
failed and none of a retry of the same call, a fallback, an escalation or a structured failure
result followed. ``swallowed_error`` (silent_failure): the run reported success while it held an
error never recovered. An error nobody retried, under a success report, is both: nothing followed
it, and the run hid it. The independent writers of our newest blind sets (hold32, hold33, hold34:
eighteen writers from the frameworks' code) labelled it so, about four to one.

An error whose call *was* sent again until the retries gave up, and then hidden, is the swallow
alone: a retry followed it (the defined path ran and did not make it good; the run hid the rest).
So is a call a hook or the user chose not to run: nothing failed that needed a fallback.

:func:`hidden_unhandled` is the swallowed errors (``silent_failure.swallowed_errors``) that are
unhandled too; :func:`retried_then_hidden_runs` the runs whose every swallowed error was retried or
cancelled, where unhandled_error stands down (told once, as the silent failure it became).
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, failure_followups
from forensics.detectors.handling import unhandled_failures


def _retried_or_cancelled(ctx: Context, lost: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``lost`` rows whose call was sent again (a retry of it followed;
    it was a later or earlier attempt of an attempt group, conventions.attempts: Claude Code's
    ``api_error`` records with ``retryAttempt``, HTTP resends of one request; its client resent it
    below it, ``retried_below``; it was itself the call made again after the same call failed
    before it); that its caller, its user or a hook chose to end or hold back (``user_cancelled``,
    conventions.cancelled; ``withheld_call``, conventions.withheld_calls: Strands'
    ``BeforeToolCallEvent.cancel_tool``, pydantic-ai's ``ApprovalRequired``); or that was refused
    before it was made (``unknown_tool``: a tool the agent does not have, a function smolagents'
    LocalPythonExecutor does not allow, "Forbidden function evaluation: ...")."""
    follow = failure_followups(ctx).lazy().select("run_id", "span_id", "retried")
    failed = ctx.spans.lazy().filter(pl.col("failed")).select("run_id", "kind", "call", pl.col("seq").alias("_e_seq"))
    again = (
        lost.select("run_id", "span_id", "kind", "call", "seq")
        .join(failed, on=["run_id", "kind", "call"])
        .filter(pl.col("_e_seq") < pl.col("seq"))
        .select("run_id", "span_id")
    )
    flagged = (
        ctx.spans.lazy()
        .join(lost.select("run_id", "span_id"), on=["run_id", "span_id"], how="semi")
        .join(follow, on=["run_id", "span_id"], how="left")
        .filter(
            pl.col("retried").fill_null(False)
            | (pl.col("attempt_count") > 1).fill_null(False)
            | pl.col("retried_below")
            | pl.col("user_cancelled")
            | pl.col("withheld_call")
            | pl.col("unknown_tool").is_not_null()
        )
        .select("run_id", "span_id")
    )
    return pl.concat([flagged, again]).unique()


def hidden_unhandled(ctx: Context) -> pl.LazyFrame:
    """The swallowed errors (every ``swallowed_errors`` column) that no mechanism followed
    (``handling.unhandled_failures``), nobody retried and nobody cancelled: unhandled_error's too."""
    from forensics.detectors.silent_failure import swallowed_errors

    lost = swallowed_errors(ctx).lazy()
    return (
        lost.join(unhandled_failures(ctx), on=["run_id", "span_id"], how="semi")
        .join(_retried_or_cancelled(ctx, lost), on=["run_id", "span_id"], how="anti")
    )


def retried_then_hidden_runs(ctx: Context) -> pl.LazyFrame:
    """``run_id`` of the runs where swallowed_error fires and none of its errors is
    :func:`hidden_unhandled`: every one was retried until the retries gave up, or cancelled, and
    then hidden. unhandled_error stands down there: one failure, told once, as the silent failure."""
    from forensics.detectors.silent_failure import swallowed_errors

    return (
        swallowed_errors(ctx).lazy().select("run_id").unique()
        .join(hidden_unhandled(ctx).select("run_id"), on="run_id", how="anti")
    )
