"""The fallback rules, tried in order only when no evidence rule fires: ``unbacked_claim``,
``orchestrator_plan`` (a prior between agents, not evidence) and ``first_response``.
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import _FACT_NAME, _FACT_NUMBER, UNBACKED_MIN_FACTS, _pick


def _unbacked_claims(s: pl.DataFrame) -> pl.DataFrame:
    tokens = (
        s.select(
            "run_id",
            "step",
            pl.concat_list(
                pl.col("output").fill_null("").str.extract_all(_FACT_NUMBER),
                pl.col("output")
                .fill_null("")
                .str.extract_all(_FACT_NAME)
                .list.eval(pl.element().str.slice(2)),
            ).alias("_tok"),
        )
        .explode("_tok")
        .drop_nulls("_tok")
    )
    first_seen = tokens.group_by("run_id", "_tok").agg(pl.col("step").min().alias("_first"))
    novel = first_seen.group_by("run_id", pl.col("_first").alias("step")).agg(pl.len().alias("_novel"))
    claims = (
        s.join(novel, on=["run_id", "step"], how="left")
        .filter(
            (pl.col("step") > 0)
            & pl.col("worker")
            & ~pl.col("is_tool")
            & ~pl.col("has_code")
            & ~pl.col("observation")
            & (pl.col("_novel").fill_null(0) >= UNBACKED_MIN_FACTS)
        )
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    return _pick(
        claims.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} states {} facts that no earlier message or tool output held, with no code or tool behind them",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_novel"),
            ),
        ),
        "unbacked_claim",
        10,
    )


def _orchestrator_plan(s: pl.DataFrame) -> pl.DataFrame:
    """In a run with an orchestrator (an agent keeping a progress ledger) and no evidence: the
    orchestrator at its first plan ("Initial plan:"; a run without one falls to first_response). A PRIOR,
    not evidence: Magentic-One's LedgerOrchestrator writes the plan and every instruction the
    workers follow (autogen_magentic_one/agents/orchestrator.py), and it is the agent most runs'
    failures belong to: always naming it scores 33/58 on Who&When's hand-crafted Magentic-One
    runs (issue 13's baseline), where a worker can be at most the rest."""
    first = (
        s.filter(pl.col("orchestrator") & pl.col("plan_msg") & ~pl.col("human"))
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    return _pick(
        first.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {}'s plan, which every instruction of the run followed; a prior, not evidence (no rule "
                "found a step wrong)",
                pl.col("step"),
                pl.col("agent"),
            ),
        ),
        "orchestrator_plan",
        11,
    )


def _first_response(s: pl.DataFrame) -> pl.DataFrame:
    """The first step after the task statement (step 0), its owner if it is a tool call. A terminal
    reply that ran nothing (a tool step with no input: AG2's code-executing proxy answering a message
    without code with its default auto-reply, AgentBuilder.DEFAULT_PROXY_AUTO_REPLY "There is no code
    from the last 1 message for me to execute...", autogen agentchat/contrib/agent_builder.py) added
    nothing: it answers the message it was handed, whose author owns it (the task statement's)."""
    s = s.sort("run_id", "step").with_columns(
        _prev_step=pl.col("step").shift(1).over("_rk"), _prev_agent=pl.col("agent").shift(1).over("_rk")
    )
    ran_nothing = (
        pl.col("is_tool")
        & ~pl.col("failed")
        & (pl.col("owner_step") == pl.col("step"))
        & (pl.col("input").fill_null("").str.strip_chars() == "")
        & pl.col("_prev_step").is_not_null()
    )
    first = s.filter(pl.col("step") >= 1).unique("run_id", keep="first")
    alone = s.group_by("run_id").agg(pl.len().alias("_n")).filter(pl.col("_n") == 1)
    only = s.join(alone, on="run_id")
    return _pick(
        pl.concat([first, only.drop("_n")], how="vertical").with_columns(
            owner_agent=pl.when(ran_nothing).then(pl.col("_prev_agent")).otherwise(pl.col("owner_agent")),
            owner_step=pl.when(ran_nothing).then(pl.col("_prev_step")).otherwise(pl.col("owner_step")),
        ).with_columns(
            decisive_agent=pl.col("owner_agent"),
            decisive_step=pl.col("owner_step"),
            attribution_evidence=pl.format(
                "step {}: {}'s first response to the task, which the rest of the run built on (no stronger evidence)",
                pl.col("owner_step"),
                pl.col("owner_agent"),
            ),
        ),
        "first_response",
        12,
    )
