"""Delegated work: agent runs started from inside another agent's work, and whether anyone took the
work up after them. Read by ownership_gap's dropped_delegation and by delegate_report,
delegation_loop and redelegation (ownership_gap re-exports both names)."""

from __future__ import annotations

import polars as pl

from forensics.conventions.delegation import AGENT_WHO
from forensics.detectors.base import HASH_SEED, Context


def delegations(ctx: Context) -> pl.LazyFrame:
    """Agent runs started from inside another agent's work (an agent span under a span of a
    different agent: smolagents' managed agents, called from the manager's step), with the
    delegating agent as ``by_agent``."""
    s = ctx.spans.lazy()
    # Joined on prepare's integer span keys (span_k: run and span id hashed), not the id strings;
    # the parent's key is hashed the same way, on the few agent spans only.
    parents = s.select(pl.col("span_k").alias("parent_k"), pl.col("agent").alias("by_agent"))
    parent_k = pl.struct("run_key", pl.col("parent_id").hash(HASH_SEED).alias("span_h")).hash(HASH_SEED)
    build = (
        s.filter((pl.col("kind") == "agent") & ~pl.col("is_root"))
        .with_columns(parent_k.alias("parent_k"), AGENT_WHO.alias("agent"))
        .join(parents, on="parent_k", maintain_order="left")
        .drop("parent_k")
        .filter(pl.col("by_agent").is_not_null() & pl.col("by_agent").ne_missing(pl.col("agent")))
    )
    # Built once (several rules read it) and materialised: a text filter a rule puts on it (a
    # report's words) then reads the delegations only, not pushed down onto every span's output.
    return ctx.cached("delegations", build).lazy()


def not_taken_up(ctx: Context, delegated: pl.LazyFrame) -> pl.LazyFrame:
    """The delegations (columns run_key, run_id, span_id, d_end) after which nobody took the work
    up: no agent started and no tool was called except the run's last one (smolagents'
    final_answer delivers the answer), in a run that went on to report success."""
    # Materialised first: ``delegated`` is read twice below, and a lazy frame read twice in one
    # plan is computed twice (its text tests with it).
    delegated = delegated.collect().lazy()
    s = ctx.spans.lazy()
    last_tool = s.filter(pl.col("kind") == "tool").group_by("run_key").agg(pl.col("seq").max().alias("last_tool_seq"))
    work = (
        s.filter(pl.col("kind").is_in(["agent", "tool", "retriever", "handoff"]))
        .join(last_tool, on="run_key", how="left")
        .filter(pl.col("seq").ne_missing(pl.col("last_tool_seq")))
        .select("run_key", pl.col("t").alias("w_t"))
    )
    # Some work started after the delegation ended: the run's last work start is after it (one
    # row per run to compare with, not every work span of the run with every delegation).
    last_work = work.group_by("run_key").agg(pl.col("w_t").max())
    taken_up = (
        delegated.join(last_work, on="run_key").filter(pl.col("w_t") > pl.col("d_end")).select("run_key", "span_id").unique()
    )
    succeeded = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success").select("run_id")
    return delegated.join(succeeded, on="run_id", how="semi").join(taken_up, on=["run_key", "span_id"], how="anti")
