"""Runs whose every step made progress: what a fleet of other tasks cannot call a runaway.

TAXONOMY.md defines runaway cost as cost out of proportion to the task. Runs of the same
configured agent on *different* tasks say how much that agent usually spends, not how much this
task needed: a research agent's run on a hard question may take ten times its fleet's median and
be healthy (13 smolagents runs of one CodeAgent at a median of 8k tokens; a 103k-token research run
on another question, every step a new search or page, ended with its answer). Against such a fleet
the ratio alone is no evidence; waste is: the run repeated itself or never finished. A run given the
same task as its fleet is compared as it is (the task is held fixed), and a budget the policy sets
applies to every run.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context


def progressing_runs(ctx: Context, among: pl.DataFrame | None = None) -> pl.LazyFrame:
    """``run_id`` of the runs (of ``among``'s ``run_id``, when given: every test below is a run's
    own, so the others' spans are not read) that finished and never repeated or failed a step: the run reported
    success with a final answer that is not empty (no span left open at its root), no span failed or
    returned an error-shaped result, no tool call of an agent was made twice with the same
    normalised arguments (``call``, ``args``), and no model call of an agent wrote the same output
    twice (a model re-sending one answer is a loop with no tool in it), and no agent fanned out or
    nested sub-agents past the policy's limits (fan_out, delegation_depth).

    Progress is told from each model call's *input*, not only its output: every model call must have
    recorded its request, and no model call of an agent sent the same request as the agent's call
    before it. Six passes over one corpus write six different summaries, yet each was asked the same
    thing; a log that kept no request cannot tell a new step from a re-read, so its run is judged
    against the fleet as before. (``args`` holds a model call's input as recorded; preparation strips
    whitespace only from tool arguments.)"""
    s, runs = ctx.spans.lazy(), ctx.runs.lazy()
    if among is not None:
        if among.height == 0:
            return pl.LazyFrame(schema={"run_id": pl.String})
        s = s.join(among.lazy(), on="run_id", how="semi")
        runs = runs.join(among.lazy(), on="run_id", how="semi")
    finished = runs.filter(
        (pl.col("reported_outcome") == "success")
        & ~pl.col("root_open").fill_null(False)
        & (pl.col("final_output").str.strip_chars().str.len_chars() > 0).fill_null(False)
    )
    faulty = s.filter(pl.col("failed") | pl.col("error_shaped").fill_null(False)).select("run_id")
    tool_repeats = (
        s.filter(pl.col("kind") == "tool")
        .group_by("run_id", "agent", "call", "args")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") > 1)
        .select("run_id")
    )
    model_repeats = (
        s.filter(
            (pl.col("kind") == "llm")
            & (pl.col("output").str.strip_chars().str.len_chars() > 0).fill_null(False)
        )
        .group_by("run_id", "agent", "output")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") > 1)
        .select("run_id")
    )
    llm = s.filter(pl.col("kind") == "llm")
    no_request = llm.filter(pl.col("args").str.strip_chars().str.len_chars().fill_null(0) == 0).select(
        "run_id"
    )
    # The same request sent again by the agent's next model call (a replan that re-sends the first
    # plan's prompt after other steps is the agent's schedule, not a re-read).
    request_repeats = (
        llm.sort("run_id", "agent", "start_time", "span_id")
        .filter(pl.col("args") == pl.col("args").shift(1).over("run_id", "agent"))
        .select("run_id")
    )
    # Work spread wider or deeper than the policy allows (fan_out, delegation_depth: a lead that
    # started 24 researchers for a one-page brief) is waste too, whatever each step did.
    from forensics.detectors.agent_spread import DelegationDepth, FanOut
    from forensics.detectors.registry import findings_of

    spread = [findings_of(ctx, d).lazy().select("run_id") for d in (FanOut, DelegationDepth)]
    wasted = pl.concat([faulty, tool_repeats, model_repeats, no_request, request_repeats, *spread]).unique()
    return finished.select("run_id").join(wasted, on="run_id", how="anti")
