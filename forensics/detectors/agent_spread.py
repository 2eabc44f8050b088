"""runaway_cost's spread rules: agents nested too deep (delegation_depth) or fanned out too wide
(fan_out). Their own module (runaway_cost.py holds the spend budgets and limit stops)."""

from __future__ import annotations

import polars as pl

from forensics.detectors.agent_runs import agent_run_of
from forensics.detectors.base import HASH_SEED, Context, Detector, finding, hms, txt
from forensics.detectors.code_step import decided_by_code_step
from forensics.detectors.findings import per_run_finding
from forensics.detectors.recursion import first_reentries
from forensics.detectors.registry import register
from forensics.policy import Threshold


def _agent_depths(spans: pl.LazyFrame) -> pl.LazyFrame:
    """Number of agent spans on each span's path from the root (itself included).

    Pointer doubling: each round jumps every span to its ancestor's ancestor and adds up the
    agent counts in between, so depth D takes log2(D) joins over the table, not D.
    """
    # Only a parent still running when the child starts delegated to it; a parent that had ended
    # is a predecessor (flat conversations chain each message to the previous one, as in the
    # Who&When histories) and does not add depth.
    parents = spans.select(
        "run_id",
        pl.col("span_id").alias("parent_id"),
        pl.col("t").alias("p_t"),
        pl.col("end_time").alias("p_end"),
    )
    contained = (pl.col("t") >= pl.col("p_t")) & (pl.col("p_end").is_null() | (pl.col("t") < pl.col("p_end")))
    state = (
        spans.join(parents, on=["run_id", "parent_id"], how="left")
        .select(
            "run_id",
            "span_id",
            pl.when(contained.fill_null(True)).then(pl.col("parent_id")).alias("anc"),
            (pl.col("kind") == "agent").cast(pl.Int64).alias("depth"),
        )
        .collect()
    )
    for _ in range(64):  # 2**64 levels: the loop ends on the data long before
        if state.get_column("anc").null_count() == state.height:
            break
        hop = state.select(
            "run_id",
            pl.col("span_id").alias("anc"),
            pl.col("anc").alias("anc2"),
            pl.col("depth").alias("depth2"),
        )
        state = state.join(hop, on=["run_id", "anc"], how="left").select(
            "run_id",
            "span_id",
            pl.col("anc2").alias("anc"),
            (pl.col("depth") + pl.col("depth2").fill_null(0)).alias("depth"),
        )
    return state.lazy()


@register
class DelegationDepth(Detector):
    name = "delegation_depth"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "medium"
    thresholds = (
        Threshold("max_delegation_depth", 5, "Agent spans nested deeper than this.", "an integer >= 1",
                  lambda v: v >= 1),
    )
    strength = "strong"
    description = "Agent spans nested deeper than thresholds.max_delegation_depth (recursion or delegation)."

    def detect(self, ctx: Context) -> pl.LazyFrame:
        limit = ctx.policy.max_delegation_depth
        s = ctx.spans.lazy()
        # Only runs with more agent spans than the limit can nest past it: walk just those.
        deep_enough = (
            s.filter(pl.col("kind") == "agent")
            .group_by("run_id")
            .len()
            .filter(pl.col("len") > limit)
            .select("run_id")
        )
        candidates = s.join(deep_enough, on="run_id", how="semi")
        depths = _agent_depths(candidates)
        too_deep = candidates.join(depths, on=["run_id", "span_id"]).filter(
            (pl.col("kind") == "agent") & (pl.col("depth") > limit)
        )
        found = per_run_finding(
            too_deep,
            first=["agent", "t"],
            also=[pl.col("depth").max().alias("max_depth")],
            explanation=pl.format(
                "agents nested {} deep against a limit of {}; the first past the limit was {} at {}",
                pl.col("max_depth"),
                pl.lit(limit),
                txt(pl.col("agent")),
                hms("t"),
            ),
        )
        # Agents calling each other (recursion.py): decisive is the call that closed the loop, the
        # first agent started inside a run of itself, not the first agent past the limit.
        loops = first_reentries(ctx, found.select("run_id"))
        return (
            found.join(loops, on="run_id", how="left")
            .with_columns(
                pl.coalesce("closing_id", "decisive_span_id").alias("decisive_span_id"),
                pl.when(pl.col("closing_id").is_not_null())
                .then(pl.concat_list(pl.col("closing_id"), pl.col("evidence_span_ids")).list.unique(maintain_order=True))
                .otherwise(pl.col("evidence_span_ids"))
                .alias("evidence_span_ids"),
                pl.when(pl.col("closing_id").is_not_null())
                .then(pl.format("{}, a loop between agents: {} was started again inside its own run at {}",
                                pl.col("explanation"), txt(pl.col("again")), hms("again_t")))
                .otherwise(pl.col("explanation"))
                .alias("explanation"),
            )  # fmt: skip
            .select("run_id", "evidence_span_ids", "decisive_span_id", "explanation", "strength")
        )


@register
class FanOut(Detector):
    name = "fan_out"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "low"
    thresholds = (
        Threshold("max_fan_out", 8, "More sub-agents started by one agent in one step than this.", "an integer >= 1",
                  lambda v: v >= 1),
    )
    strength = "strong"
    description = (
        "One agent starts more sub-agents than thresholds.max_fan_out in one step: with no model call "
        "of its own between them (one plan sent them all). Sub-agents no agent started (a workflow "
        "graph's nodes under its root chain) fan out when more than max_fan_out runs of one node started "
        "before the first of them ended (LangGraph's Send: one superstep, in parallel); run in turn by "
        "a router they are no fan-out."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        limit = ctx.policy.max_fan_out
        s = ctx.spans.lazy()
        # The agent that started each sub-agent: the agent run its parent span belongs to (a
        # sub-agent called as a tool sits under that tool's span: any-agent / OTel GenAI
        # ``execute_tool`` -> ``invoke_agent``). A LangGraph supervisor graph's nodes are agent
        # spans under the graph's root chain, which no agent runs: the router chose each in turn.
        children = agent_run_of(
            ctx,
            s.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null()).select(
                "run_id",
                "span_id",
                "seq",
                "t",
                pl.struct("run_key", pl.col("parent_id").hash(HASH_SEED).alias("span_h")).hash(HASH_SEED).alias("span_k"),
                pl.col("span_k").alias("child_k"),
            ),
        ).filter(pl.col("owner").is_not_null() & (pl.col("owner") != pl.col("child_k")))
        # Only an agent that started more sub-agents than the limit can fan out past it in one step:
        # the model calls are looked up in those agents' runs only.
        children = children.filter(pl.len().over("owner") > limit).collect().lazy()
        in_play = s.join(children.select("run_id").unique(), on="run_id", how="semi")
        # One step: the owner's own model calls split its sub-agents into decisions; those started
        # after the same decision were sent by one plan.
        plans = agent_run_of(ctx, in_play.filter(pl.col("kind") == "llm").select("run_id", "span_k", "span_id", "seq")).select(
            "owner", pl.col("span_id").alias("plan_id"), pl.col("seq").alias("plan_seq")
        )
        decided = (
            children.join(plans, on="owner", how="left")
            .with_columns(pl.col("plan_seq").fill_null(-1))
            .filter(pl.col("plan_seq") < pl.col("seq"))
            .sort("child_k", "plan_seq")
            .group_by("child_k")
            .agg(pl.all().exclude("child_k").last())
        )
        wide = (
            decided.sort("run_id", "seq")
            .group_by("run_id", "owner", "plan_seq")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.len().alias("n"),
                pl.col("plan_id").first(),
                pl.col("t").get(limit, null_on_oob=True).alias("over_t"),
            )
            .filter(pl.col("n") > limit)
        )
        owners = s.select(
            pl.col("span_k").alias("owner"),
            pl.col("span_id").alias("owner_id"),
            pl.coalesce("agent", "call").alias("p_call"),
            pl.col("kind").alias("p_kind"),
        )
        per_run = (
            pl.concat(
                [
                    wide.join(owners, on="owner", how="left")
                    .with_columns(pl.coalesce("plan_id", "owner_id").alias("decisive"))
                    .select("run_id", "ids", "n", "over_t", "decisive", "p_kind", "p_call"),
                    _sent_in_one_superstep(ctx, limit),
                    _sent_in_one_graph_step(ctx, limit),
                ]
            )
            .sort("run_id", "over_t")
            .group_by("run_id")
            .agg(pl.all().first())
        )
        # One code action that called them all (a smolagents CodeAgent's loop over managed agents):
        # its step decided them (code_step).
        return decided_by_code_step(ctx, per_run.select(
            finding(
                "run_id",
                pl.concat_list(pl.col("decisive"), pl.col("ids")),
                "decisive",
                pl.format(
                    "{} {} started {} sub-agents against a limit of {}; sub-agent {} started at {}",
                    txt(pl.col("p_kind")),
                    txt(pl.col("p_call")),
                    pl.col("n"),
                    pl.lit(limit),
                    pl.lit(limit + 1),
                    hms("over_t"),
                ),
            )
        ))


def _sent_in_one_superstep(ctx: Context, limit: int) -> pl.LazyFrame:
    """Runs of one graph node that no agent started (under the graph's root chain) and that ran side
    by side: more than ``limit`` of them started before the first of them ended were sent in one
    step. LangGraph's Send (a conditional edge returning ``[Send("researcher", s) for s in ...]``)
    runs the node once per Send, all in the next superstep, in parallel (LangGraph docs: low-level
    concepts, Send; how-tos/map-reduce); a router's nodes run in turn, one ending before the next
    starts, and are no fan-out. Decisive: the node that ended last before them under the same parent
    (its output sent them: the planner), else that parent. Columns as FanOut's per-run rows."""
    s = ctx.spans.lazy()
    parent_k = pl.struct("run_key", pl.col("parent_id").hash(HASH_SEED).alias("span_h")).hash(HASH_SEED)
    group = ["run_id", "parent_id", "agent"]
    nodes = (
        s.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null())
        .filter(pl.len().over("run_id", "parent_id", "agent") > limit)
        .select(*group, "span_id", "t", "end_time", parent_k.alias("span_k"))
    )
    together = (
        agent_run_of(ctx, nodes)
        .filter(pl.col("owner").is_null())
        .filter(pl.col("t") < pl.col("end_time").min().over(group))
        .sort("t")
        .group_by(group)
        .agg(
            pl.col("span_id").alias("ids"),
            pl.len().alias("n"),
            pl.col("t").min().alias("first_t"),
            pl.col("t").get(limit, null_on_oob=True).alias("over_t"),
        )
        .filter(pl.col("n") > limit)
    )
    senders = s.filter(pl.col("kind") == "agent").select(
        "run_id", "parent_id", pl.col("span_id").alias("sender"), pl.col("end_time").alias("s_end"),
        pl.coalesce("agent", "call").alias("s_call"),
    )
    sent_by = (
        together.join(senders, on=["run_id", "parent_id"], how="left")
        .filter(pl.col("s_end") <= pl.col("first_t"))
        .sort("s_end")
        .group_by(group)
        .agg(pl.col("sender").last(), pl.col("s_call").last())
    )
    return together.join(sent_by, on=group, how="left", nulls_equal=True).select(
        "run_id",
        "ids",
        "n",
        "over_t",
        pl.coalesce("sender", "parent_id").alias("decisive"),
        pl.lit("agent").alias("p_kind"),
        pl.coalesce("s_call", pl.lit("the graph")).alias("p_call"),
    )


def _sent_in_one_graph_step(ctx: Context, limit: int) -> pl.LazyFrame:
    """Runs of one LangGraph node that made a model call, sent in one superstep as the graph's own
    metadata says (conventions ``superstep_batch``: one ``langgraph_step``, one parent): more than
    ``limit`` tasks in one batch were sent by one plan, however many its ``max_concurrency`` let
    run at once (LangGraph's Send, langgraph/pregel/_algo.py). Decisive: the graph node that ended
    last before the first of them started, under the same parent (its output sent them), else that
    parent. Columns as FanOut's per-run rows."""
    s = ctx.spans.lazy()
    if "superstep_batch" not in ctx.spans.columns:
        return pl.LazyFrame(schema={"run_id": pl.String, "ids": pl.List(pl.String), "n": pl.UInt32,
                                    "over_t": ctx.spans.schema["t"], "decisive": pl.String, "p_kind": pl.String,
                                    "p_call": pl.String})  # fmt: skip
    sent = (
        s.filter(pl.col("superstep_batch").is_not_null())
        .sort("t", "span_id")
        .group_by("run_id", "superstep_batch")
        .agg(
            pl.col("span_id").alias("ids"),
            pl.col("superstep_task").n_unique().cast(pl.UInt32).alias("n"),
            pl.col("t").min().alias("first_t"),
            pl.col("t").get(limit, null_on_oob=True).alias("over_t"),
            pl.col("parent_id").first(),
        )
        .filter(pl.col("n") > limit)
    )
    senders = s.filter(pl.col("superstep_task").is_not_null()).select(
        "run_id", "parent_id", pl.col("span_id").alias("sender"), pl.col("end_time").alias("s_end"),
        pl.coalesce("agent", "call").alias("s_call"), pl.col("kind").alias("s_kind"),
    )
    sent_by = (
        sent.join(senders, on=["run_id", "parent_id"], how="left")
        .filter(pl.col("s_end") <= pl.col("first_t"))
        .sort("s_end", "sender")
        .group_by("run_id", "superstep_batch")
        .agg(pl.col("sender").last(), pl.col("s_call").last(), pl.col("s_kind").last())
    )
    return sent.join(sent_by, on=["run_id", "superstep_batch"], how="left").select(
        "run_id",
        "ids",
        "n",
        "over_t",
        pl.coalesce("sender", "parent_id").alias("decisive"),
        pl.coalesce("s_kind", pl.lit("agent")).alias("p_kind"),
        pl.coalesce("s_call", pl.lit("the graph")).alias("p_call"),
    )
