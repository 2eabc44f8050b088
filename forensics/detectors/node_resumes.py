"""A graph node resumed where it stopped is no restart: redo_after_restart (context_collapse.py) leaves
the runs whose every redone call re-read something inside the node that had stopped the earlier run
(LangGraph replays that node from its first line)."""

from __future__ import annotations

import polars as pl

from forensics.detectors.effects import created_nothing_new


def node_resumed(s: pl.LazyFrame, redo: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id`` of the later runs whose every redone call re-read something inside the step that
    had stopped the earlier run: the redo's parent span has the name of the earlier completion's
    parent, and that parent (a graph node: not the run's root) failed or paused in the earlier run.
    LangGraph resumes a
    thread from its last checkpoint at the beginning of the node where execution stopped, replaying
    that node's code from its first line (docs, durable execution: "the workflow will replay all
    steps from the starting point"; "StateGraph: the beginning of the node where execution stopped";
    human-in-the-loop: resuming re-runs the node), so the reads before the failed call are the
    resumed step itself, not a restart. A side effect redone there (a refund, an e-mail: the
    docs' advice is to wrap them in tasks) is still a redo, and so is any call of a node that had
    completed (the graph restarted from scratch). ``s``: the spans of the runs ``redo`` and the
    runs it redid belong to (or more)."""
    parents = s.select(
        "run_id",
        pl.col("span_id").alias("parent_id"),
        pl.col("call").alias("_p_call"),
        (pl.col("failed") | pl.col("pause_kind").is_in(["interrupt", "approval"]).fill_null(False)).alias("_p_stopped"),
    ).join(
        # A node inside the run (a span with a parent of its own), not the run's root: a run that
        # failed as a whole and ran again from its start is a restart.
        s.filter(pl.col("parent_id").is_not_null()).select("run_id", pl.col("span_id").alias("parent_id")),
        on=["run_id", "parent_id"],
        how="semi",
    )
    ids = s.select("run_id", "span_id", "parent_id")
    effect = (pl.col("is_side_effect").fill_null(False) & ~created_nothing_new()).alias("_effect")
    mine = redo.select("run_id", "span_id", "e_run", "e_span", effect).join(ids, on=["run_id", "span_id"])
    mine = mine.join(parents.select("run_id", "parent_id", "_p_call"), on=["run_id", "parent_id"], how="left")
    earlier = ids.select(pl.col("run_id").alias("e_run"), pl.col("span_id").alias("e_span"), pl.col("parent_id").alias("_e_parent"))
    mine = mine.join(earlier, on=["e_run", "e_span"], how="left").join(
        parents.select(
            pl.col("run_id").alias("e_run"), pl.col("parent_id").alias("_e_parent"),
            pl.col("_p_call").alias("_e_call"), pl.col("_p_stopped").alias("_e_stopped"),
        ),
        on=["e_run", "_e_parent"],
        how="left",
    )  # fmt: skip
    resumed = (
        pl.col("_e_stopped").fill_null(False)
        & (pl.col("_p_call") == pl.col("_e_call")).fill_null(False)
        & ~pl.col("_effect")
    )
    return mine.group_by("run_id").agg(resumed.all().alias("_all")).filter(pl.col("_all")).select("run_id")
