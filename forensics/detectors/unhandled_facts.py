"""Facts unhandled_error reads about a failed call's surroundings: a caller that turned the failure
into an empty result (``emptied_by_caller``), a killed call the session's next run picked up
(``picked_up_after_kill``)."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import CALL_KINDS, Context

#: An output that is nothing: empty, blanks, or an empty string written as JSON ('""').
_EMPTY_RESULT: Final = r"""^\s*(?:""|'')?\s*$"""


def emptied_by_caller(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, _emptied`` of failed model or tool calls whose caller, a step that holds
    them (kind chain: a Traceloop @task, a Langfuse @observe span), ended without error and returned
    an empty result: the code around the call caught the exception and returned "" in its place
    (``except ...: return ""``). Nothing retried the call or fell back, and no failure result was
    given: the run carried on with nothing (TAXONOMY unhandled_error), and where it then reported
    success, that was a swallowed error too. A caller that recorded no output at all (null) says
    nothing of what it returned and is not this."""
    s = ctx.spans.lazy()
    callers = s.filter(
        (pl.col("kind") == "chain")
        & ~pl.col("failed")
        & ~pl.col("is_root")
        & pl.col("output").str.contains(_EMPTY_RESULT).fill_null(False)
    ).select("run_id", pl.col("span_id").alias("parent_id"))
    return (
        s.filter(pl.col("failed") & pl.col("kind").is_in(["llm", "tool"]))
        .join(callers, on=["run_id", "parent_id"], how="semi")
        .select("run_id", "span_id", pl.lit(True).alias("_emptied"))
    )


def picked_up_after_kill(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of calls whose worker process was killed under them (conventions
    ``worker_killed``: Celery's WorkerLostError, SIGKILL, an OOM kill) that a later run of the same
    session made again, the same call with the same arguments, and succeeded: the job system
    redelivered the work (Celery ``task_reject_on_worker_lost``), the failure was picked up. A
    killed process runs no handler of its own; whether the rerun then redid work already done is
    redo_after_restart's to judge."""
    s = ctx.spans.lazy()
    scope = ctx.runs.lazy().select("run_id", "scope_key")
    killed = (
        s.filter(pl.col("worker_killed") & pl.col("kind").is_in(CALL_KINDS))
        .join(scope, on="run_id")
        .select("run_id", "span_id", "scope_key", "call", "args", "t")
    )
    redone = (
        s.filter(pl.col("succeeded") & pl.col("kind").is_in(CALL_KINDS))
        .join(scope, on="run_id")
        .select(pl.col("run_id").alias("_r"), "scope_key", "call", "args", pl.col("t").alias("_t"))
    )
    return (
        killed.join(redone, on=["scope_key", "call", "args"], nulls_equal=True)
        .filter((pl.col("_r") != pl.col("run_id")) & (pl.col("_t") > pl.col("t")))
        .select("run_id", "span_id")
        .unique()
    )
