"""runaway_cost: the run spent past its budget, nested too deep, or fanned out too wide."""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, exact_sum, finding, hms, num, txt
from forensics.detectors.registry import register


@register
class BudgetExceeded(Detector):
    name = "budget_exceeded"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "medium"
    strength = "strong"
    description = (
        "The run's tokens (input + output) or cost exceed budgets.max_tokens_per_run or "
        "budgets.max_cost_usd_per_run; decisive is the span where the running total crossed it."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        pol = ctx.policy
        tok_budget = pol.max_tokens_per_run or None
        cost_budget = pol.max_cost_usd_per_run or None
        tokens = pl.col("input_tokens").fill_null(0) + pl.col("output_tokens").fill_null(0)
        cost = pl.col("cost_usd").fill_null(0.0)
        # Running totals only for the runs whose totals are over a budget (usually few).
        over_total = pl.lit(False)
        if tok_budget:
            over_total = over_total | (tokens.sum() > tok_budget)
        if cost_budget:
            over_total = over_total | (exact_sum(cost) > cost_budget)
        spenders = ctx.spans.lazy().group_by("run_key").agg(over_total.alias("over")).filter(pl.col("over"))
        s = (
            ctx.spans.lazy()
            .join(spenders.select("run_key"), on="run_key", how="semi")
            .sort("run_id", "seq")
            .with_columns(
                tokens.cum_sum().over("run_id").alias("cum_tokens"),
                pl.col("cost_usd").fill_null(0.0).cum_sum().over("run_id").alias("cum_cost"),
            )
        )
        over_tok = (pl.col("cum_tokens") > tok_budget) if tok_budget else pl.lit(False)
        over_cost = (pl.col("cum_cost") > cost_budget) if cost_budget else pl.lit(False)
        per_run = (
            s.with_columns(over_tok.alias("over_tok"), over_cost.alias("over_cost"))
            .group_by("run_id")
            .agg(
                pl.col("cum_tokens").max().alias("tokens"),
                pl.col("cum_cost").max().alias("cost"),
                pl.col("span_id").filter(pl.col("over_tok") | pl.col("over_cost")).first().alias("cross_id"),
                pl.col("kind").filter(pl.col("over_tok") | pl.col("over_cost")).first().alias("kind"),
                pl.col("call").filter(pl.col("over_tok") | pl.col("over_cost")).first().alias("call"),
                pl.col("t").filter(pl.col("over_tok") | pl.col("over_cost")).first().alias("t"),
                pl.col("over_tok").any(),
                pl.col("over_cost").any(),
            )
            .filter(pl.col("cross_id").is_not_null())
        )
        spent = pl.concat_str(
            [
                pl.when(pl.col("over_tok")).then(
                    pl.format("{} tokens against a budget of {}", pl.col("tokens"), pl.lit(tok_budget))
                ),
                pl.when(pl.col("over_cost")).then(
                    pl.format("${} against a budget of ${}", num(pl.col("cost"), 2), pl.lit(cost_budget))
                ),
            ],
            separator=" and ",
            ignore_nulls=True,
        )
        return per_run.select(
            finding(
                "run_id",
                pl.concat_list("cross_id"),
                "cross_id",
                pl.format(
                    "the run used {}, crossing it at {} {} at {}",
                    spent,
                    pl.col("kind"),
                    txt(pl.col("call")),
                    hms("t"),
                ),
            )
        )


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
        too_deep = (
            candidates.join(depths, on=["run_id", "span_id"])
            .filter((pl.col("kind") == "agent") & (pl.col("depth") > limit))
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.col("span_id").first().alias("first_id"),
                pl.col("agent").first(),
                pl.col("t").first(),
                pl.col("depth").max().alias("max_depth"),
            )
        )
        return too_deep.select(
            finding(
                "run_id",
                pl.col("ids"),
                "first_id",
                pl.format(
                    "agents nested {} deep against a limit of {}; the first past the limit was {} at {}",
                    pl.col("max_depth"),
                    pl.lit(limit),
                    txt(pl.col("agent")),
                    hms("t"),
                ),
            )
        )


@register
class FanOut(Detector):
    name = "fan_out"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "low"
    strength = "strong"
    description = "One span starts more sub-agents (agent children) than thresholds.max_fan_out."

    def detect(self, ctx: Context) -> pl.LazyFrame:
        limit = ctx.policy.max_fan_out
        children = ctx.spans.lazy().filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null())
        wide = (
            children.sort("run_id", "seq")
            .group_by("run_id", "parent_id")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.len().alias("n"),
                pl.col("seq").first().alias("first_child_seq"),
                pl.col("t").get(limit, null_on_oob=True).alias("over_t"),
            )
            .filter(pl.col("n") > limit)
        )
        s = ctx.spans.lazy()
        parents = s.select(
            "run_id",
            pl.col("span_id").alias("parent_id"),
            pl.col("call").alias("p_call"),
            pl.col("kind").alias("p_kind"),
        )
        # The plan that fanned out: the last model call directly under the parent before its first
        # sub-agent started (the decision); without one, the parent itself.
        plans = (
            wide.select("run_id", "parent_id", "first_child_seq")
            .join(
                s.filter(pl.col("kind") == "llm").select(
                    "run_id", "parent_id", pl.col("span_id").alias("plan_id"), pl.col("seq").alias("plan_seq")
                ),
                on=["run_id", "parent_id"],
            )
            .filter(pl.col("plan_seq") < pl.col("first_child_seq"))
            .sort("run_id", "plan_seq")
            .group_by("run_id", "parent_id")
            .agg(pl.col("plan_id").last())
        )
        per_run = (
            wide.join(parents, on=["run_id", "parent_id"], how="left")
            .join(plans, on=["run_id", "parent_id"], how="left")
            .with_columns(pl.coalesce("plan_id", "parent_id").alias("decisive"))
            .sort("run_id", "over_t")
            .group_by("run_id")
            .agg(pl.all().first())
        )
        return per_run.select(
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
        )
