"""Which span decides a series of calls that one smolagents code action made.

A smolagents CodeAgent acts by writing code: ``CodeAgent._step_stream`` (huggingface/smolagents
src/smolagents/agents.py) asks the model for a completion, parses the code out of it and runs it
with ``self.python_executor(code_action)`` in the same step; every tool and managed agent the code
calls is called from there. The OpenInference instrumentation wraps each step in one ``Step N``
span (openinference-instrumentation-smolagents ``_wrappers.py``: ``_StepWrapper`` starts it as the
current span around the step), so the model call that wrote the code and every call the code made
are its children. A series that one code action made (a loop of twelve requests with no sleep, a
managed agent called for every row of an export) was fixed when that action ran: no result of a
member reached the model before the last of them. The step is the earliest span from which the
series was inevitable (TAXONOMY.md), not its first member: that member is where the loop began,
not where it was decided (DETECTORS.md, "Which span is decisive"). A series spread over several
steps (a ToolCallingAgent, one call per step) is the model's to repeat, and keeps its own pick.
"""

from __future__ import annotations

import polars as pl

from forensics.conventions.smol_steps import SMOL_STEP
from forensics.detectors.base import Context


def decided_by_code_step(ctx: Context, findings: pl.LazyFrame) -> pl.LazyFrame:
    """``findings`` (a detector's output rows) with the decisive span moved to the smolagents
    ``Step N`` span that is the parent of every evidence span (two or more), the step added to the
    evidence; other findings unchanged."""
    spans = ctx.spans.lazy()
    parent_of = spans.select("run_id", pl.col("span_id").alias("_m"), pl.col("parent_id").alias("_step"))
    steps = spans.filter((pl.col("kind") == "chain") & pl.col("call").str.contains(SMOL_STEP).fill_null(False)).select(
        "run_id", pl.col("span_id").alias("_step")
    )
    keyed = findings.with_row_index("_fi")
    one_step = (
        keyed.select("_fi", "run_id", pl.col("evidence_span_ids").alias("_m"))
        .explode("_m")
        .join(parent_of, on=["run_id", "_m"], how="left")
        .group_by("_fi")
        .agg(
            pl.col("run_id").first(),
            pl.col("_step").first(),
            pl.col("_step").n_unique().alias("_parents"),
            pl.col("_step").null_count().alias("_no_parent"),
            pl.len().alias("_members"),
        )
        .filter((pl.col("_parents") == 1) & (pl.col("_no_parent") == 0) & (pl.col("_members") >= 2))
        .join(steps, on=["run_id", "_step"], how="semi")
        .select("_fi", "_step")
    )
    moved = pl.col("_step").is_not_null()
    return (
        keyed.join(one_step, on="_fi", how="left")
        .with_columns(
            pl.when(moved)
            .then(pl.col("_step"))
            .otherwise(pl.col("decisive_span_id"))
            .alias("decisive_span_id"),
            pl.when(moved)
            .then(pl.concat_list(pl.col("_step")).list.concat(pl.col("evidence_span_ids")))
            .otherwise(pl.col("evidence_span_ids"))
            .alias("evidence_span_ids"),
            pl.when(moved)
            .then(
                pl.concat_str(
                    pl.col("explanation"), pl.lit(", all from one code action (its step decided them)")
                )
            )
            .otherwise(pl.col("explanation"))
            .alias("explanation"),
        )
        .sort("_fi")
        .drop("_fi", "_step")
    )
