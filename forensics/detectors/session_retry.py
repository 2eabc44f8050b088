"""A failed run whose request the app sent again as the session's next run: an attempt, retried.

A chat app that got an error back from its agent (the graph raised: the model answered 503) sends
the user's request again itself, as a new run of the same conversation: the same thread, the same
input. Each invocation of a compiled LangGraph graph is its own run (its own root: the ``LangGraph``
chain span of openinference-instrumentation-langchain, a root run in a LangSmith export), and the
conversation is carried on every run by the thread id of its config: OpenInference writes
``metadata.thread_id`` (or ``session_id``, ``conversation_id``) as ``session.id``
(Arize-ai/openinference python/instrumentation/openinference-instrumentation-langchain/src/
openinference/instrumentation/langchain/_tracer.py ``_metadata``), a LangSmith export keeps it as
``extra.metadata.thread_id`` (LangSmith docs, threads), and the loaders make either the run's
``session_id`` (``scope_key``). Read run by run, the first run holds a failure nothing in it
retried; read as the session, the request was retried and answered.

:func:`session_retries` says, for each run that ended in error (``reported_outcome`` error), what
the session did with its request: the first later run of the chain of resends that did not fail
(``_session_ok_id``: its answer span), or only resends that failed too (``_session_retried``). A
resend is the session's very next run, given the same request (``task``, its root's input), started
within ``resend_window_s`` of the failed run's end (the policy's window for a request sent again,
shared with duplicate_side_effect); a chain goes on only through failed runs. The same words asked
after another turn of the session, or later than the window, are the user asking anew, and a run
with no session has no next run.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context
from forensics.detectors.facts import failed_runs


def session_retries(ctx: Context) -> pl.DataFrame:
    """``run_id, _session_ok_id, _session_retried``: one row per run that ended in error and whose
    request the session's next run sent again (see the module docs)."""
    return ctx.once("session_retries", lambda: _session_retries(ctx).collect())


def _session_retries(ctx: Context) -> pl.LazyFrame:
    window = pl.duration(milliseconds=pl.lit(ctx.policy.resend_window_s * 1000))
    runs = (
        ctx.runs.lazy()
        .filter(pl.col("session_id").is_not_null())
        .select(
            "run_id",
            "scope_key",
            "task",
            "start_time",
            pl.col("last_activity").alias("end"),
            (pl.col("reported_outcome") == "error").alias("ended_in_error"),
            pl.coalesce("answer_span_id", "final_span_id", "root_span_id").alias("answer_id"),
        )
        .join(failed_runs(ctx).lazy(), on="run_id", how="left")
        .sort("scope_key", "start_time", "run_id")
        .with_columns(pl.int_range(pl.len()).over("scope_key").alias("n"))
    )
    prev = {c: pl.col(c).shift(1).over("scope_key") for c in ("task", "end", "ended_in_error")}
    resend = (
        prev["ended_in_error"].fill_null(False)
        & (pl.col("task") == prev["task"]).fill_null(False)
        & (pl.col("start_time") <= prev["end"] + window).fill_null(False)
    )
    chained = runs.with_columns((~resend).cum_sum().over("scope_key").alias("chain"), resend.alias("resend"))
    later = chained.filter(pl.col("resend")).select(
        "scope_key",
        "chain",
        pl.col("n").alias("_later_n"),
        pl.col("answer_id").alias("_later_id"),
        pl.col("run_failed").fill_null(False).alias("_later_failed"),
    )
    return (
        chained.filter(pl.col("ended_in_error"))
        .select("run_id", "scope_key", "chain", "n")
        .join(later, on=["scope_key", "chain"])
        .filter(pl.col("_later_n") > pl.col("n"))
        .sort("run_id", "_later_n")
        .group_by("run_id")
        .agg(pl.col("_later_id").filter(~pl.col("_later_failed")).first().alias("_session_ok_id"))
        .with_columns(pl.lit(True).alias("_session_retried"))
    )
