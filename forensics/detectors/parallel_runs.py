"""Runs of one agent side by side: parallel workers, each its own memory.

A crew that hands each of its tasks to a worker at once (crewAI ``Task(async_execution=True)``:
``Task.execute_async`` runs the task in a thread of its own, and the crew collects the futures,
crewAI src/crewai/task.py, src/crewai/crew.py ``_execute_tasks``) starts runs of the same agent
that overlap in time under one parent. None of them can see what another found while it works:
three researchers each fetching the vendor's pricing page for three questions is fan-out (the
runaway_cost rules judge how wide), not one agent repeating itself. repeated_action compares
such a run's calls within the run, as it does a smolagents managed agent's
(agent_runs.managed_run_of). Runs of one agent one after another keep one memory as before.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.agent_runs import agent_run_of
from forensics.detectors.base import Context


def parallel_runs(ctx: Context) -> pl.LazyFrame:
    """``owner``: the keys (``span_k``) of the agent spans that ran alongside a sibling run of the
    same agent (the same parent span), their times overlapping."""
    group = ["run_key", "parent_k", "agent"]
    end = pl.coalesce("end_time", "t")
    return (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "agent") & pl.col("agent").is_not_null() & pl.col("t").is_not_null())
        .select(*group, "span_k", "t", end.alias("_end"))
        .sort(*group, "t", "span_k")
        .with_columns(
            pl.col("_end").cum_max().shift(1).over(group).alias("_before_end"),
            pl.col("t").shift(-1).over(group).alias("_next_t"),
        )
        .filter(((pl.col("t") < pl.col("_before_end")) | (pl.col("_next_t") < pl.col("_end"))).fill_null(False))
        .select(pl.col("span_k").alias("owner"))
    )


def parallel_run_of(ctx: Context, rows: pl.LazyFrame) -> pl.LazyFrame:
    """``rows`` (with ``span_k`` and ``memory``: agent_runs.managed_run_of) with ``memory`` set,
    where none is, to the agent run the span belongs to when that run ran alongside a sibling run
    of the same agent (:func:`parallel_runs`)."""
    parallel = parallel_runs(ctx).with_columns(pl.lit(True).alias("_parallel"))
    return (
        agent_run_of(ctx, rows)
        .join(parallel, on="owner", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("memory", pl.when(pl.col("_parallel").fill_null(False)).then(pl.col("owner"))).alias("memory")
        )
        .drop("owner", "_parallel")
    )
