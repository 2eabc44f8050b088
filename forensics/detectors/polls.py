"""A call repeated after the run sat idle: polling a state that changes, not a loop.

repeated_action reads the same call with the same result, made again and again, as a loop that
brought nothing new. An agent that checks a state it is waiting on (an incident it paged, "still
triggered, no acknowledgement"; a job it started; a deployment rolling out) makes the same call
with the same answer too, until the state moves; what tells it apart is time: between two checks
the run does nothing. A loop is the agent deciding again at once: the next model call starts the
moment the last result comes back (smolagents' ``_run_stream`` goes from one step to the next
with no pause, src/smolagents/agents.py; the OpenAI Agents SDK's run loop likewise,
src/agents/run.py); a poll is the run waiting (a sleep in a step callback, a scheduler's interval,
a ``time.sleep`` in a tool) before it looks again.

So a repeat is a poll when, between the previous identical call's end and the next span the run
started, the run sat idle at least ``poll_wait_s`` seconds (30: a loop's own pauses, an un-traced
model call or a framework's bookkeeping, last seconds; a poll waits tens of seconds to minutes), and
longer than any of its model calls took (where no model call is recorded, the idle time may be the
model's own thinking, and nothing is read; nor where the times were made up from message order). A
series every repeat of which waited is a poll.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context
from forensics.policy import Threshold

POLL_WAIT: Final = Threshold(
    "poll_wait_s",
    30.0,
    "context_collapse.repeated_action: a repeat made after the run sat idle this many seconds (no span "
    "started since the previous identical call ended), and longer than any of its model calls took, "
    "is a poll of a state that changes, not a loop.",
    "a number of seconds > 0",
    lambda v: v > 0,
    (int, float),
    required=False,
)


def polled_repeats(ctx: Context, groups: pl.LazyFrame) -> pl.LazyFrame:
    """``_k`` of the repeat ``groups`` (``_k, run_key, ids``) each repeat of which was made after the
    run sat idle (see the module docs)."""
    wait_s = float(ctx.policy.poll_wait_s)
    s = ctx.spans.lazy()
    made_up = ctx.runs.lazy().filter(pl.col("synthetic_time").fill_null(False)).select("run_id")
    calls = (
        groups.select("_k", "run_key", pl.col("ids").alias("span_id"))
        .explode("span_id")
        .join(s.select("run_key", "run_id", "span_id", "t", "end_time"), on=["run_key", "span_id"])
        # Times a loader made up from message order (a chat history with no clock) say nothing of waits.
        .join(made_up, on="run_id", how="anti")
        .sort("_k", "t", "span_id")
        .with_columns(pl.coalesce("end_time", "t").shift(1).over("_k").alias("_prev_end"))
    )
    # The longest model call of each run: the pace the run's own thinking sets.
    pace = (
        s.filter((pl.col("kind") == "llm") & pl.col("end_time").is_not_null())
        .group_by("run_key")
        .agg((pl.col("end_time") - pl.col("t")).dt.total_milliseconds().max().alias("_pace_ms"))
    )
    starts = s.select("run_key", pl.col("t").alias("_next_t")).drop_nulls().sort("_next_t")
    repeats = (
        calls.filter(pl.col("_prev_end").is_not_null())
        .sort("_prev_end")
        .join_asof(starts, left_on="_prev_end", right_on="_next_t", by="run_key", strategy="forward",
                   allow_exact_matches=False, check_sortedness=False)
        .join(pace, on="run_key", how="left")
        .with_columns((pl.col("_next_t") - pl.col("_prev_end")).dt.total_milliseconds().alias("_idle_ms"))
    )  # fmt: skip
    waited = (pl.col("_idle_ms") >= wait_s * 1000) & (pl.col("_idle_ms") > pl.col("_pace_ms"))
    return repeats.group_by("_k").agg(waited.fill_null(False).all().alias("_poll")).filter(pl.col("_poll")).select("_k")
