"""Whether the agent moved on between two repeats of a call: the TAXONOMY's "no new information in between".

repeated_action reads the same tool called with the same arguments, getting the same result 3+
times, as the agent going round in a loop: "with no new information in between" (TAXONOMY.md,
repeated_action). A loop's body is short: the repeat and a step or two beside it (search, read,
search, read; wait, check, wait, check), and a body whose step brings something new each time (the
next page opened, the next question searched) is still the same turn taken again. An agent that
made as many new calls as the policy's repeat_count between two repeats has moved on to other work,
and the call it makes again after that is a re-check in the light of what it learned (a fare
searched again once the hotels, rooms and trains are known, before the booking is held): the
repeats before and after that stretch are counted apart.

A call brings new information here when it completed without an error (an error result is no new
information, TAXONOMY) and its tool, arguments and result occur once in the agent's run: a call the
agent makes again with the same result is part of a loop, never what breaks it. A log that recorded
neither arguments nor result shows nothing new.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context
from forensics.detectors.tool_calls import tool_calls

#: The column :func:`new_information_seen` adds: how many calls of the same agent so far in the
#: run (by ``seq``) brought new information.
NEW_SEEN: Final = "new_seen"


def new_information_seen(ctx: Context, calls: pl.LazyFrame, result: pl.Expr) -> pl.LazyFrame:
    """``calls`` (tool calls with ``run_key``, ``span_id``) with :data:`NEW_SEEN`: the count, in the
    run's order, of the same agent's calls up to each one that brought new information (module
    docstring); ``result`` says what a call found (``context_collapse.result_key``). Two repeats with
    the same count have nothing new between them."""
    key = ["run_key", "agent", "call", "call_args", "_result"]
    new = (
        tool_calls(ctx)
        .lazy()
        .with_columns(result.alias("_result"))
        .with_columns(
            (
                pl.col("succeeded").fill_null(False)
                & ~pl.col("error_shaped").fill_null(False)
                & pl.col("_result").is_not_null()
                & (pl.len().over(key) == 1)
            ).alias("_new")
        )
        .sort("run_key", "seq")
        .select(
            "run_key",
            "span_id",
            pl.col("_new").cast(pl.UInt32).cum_sum().over("run_key", "agent").alias(NEW_SEEN),
        )
    )
    return calls.join(new, on=["run_key", "span_id"], how="left", nulls_equal=True).with_columns(
        pl.col(NEW_SEEN).fill_null(0)
    )


def longest_unbroken(counted: pl.Expr, seq: pl.Expr, moved_on: int) -> pl.Expr:
    """Per repeat group (an aggregation over rows carrying :data:`NEW_SEEN`): the most ``counted``
    calls, in the run's order (``seq``), with fewer than ``moved_on`` calls bringing new
    information between any two of them one after another (0 when none is counted)."""
    seen = pl.col(NEW_SEEN).filter(counted).sort_by(seq.filter(counted))
    stretch = (seen.diff().fill_null(0) >= moved_on).cum_sum()
    return stretch.rle().struct.field("len").max().fill_null(0)
