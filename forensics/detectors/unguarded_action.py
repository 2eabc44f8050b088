"""unguarded_action: an irreversible tool ran with no human approval or guardrail before it."""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, finding, moment, txt
from forensics.detectors.registry import register


@register
class UnguardedIrreversible(Detector):
    name = "unguarded_irreversible"
    failure_class = "unguarded_action"
    scope = "run"
    severity = "critical"
    strength = "strong"
    description = (
        "An irreversible tool (policy tools.irreversible: delete, pay, refund, deploy, drop) ran with "
        "no human review, guardrail span or approval tool (tools.approval) before it in the run's "
        "order (seq: message order where the source has no times). A person's opening request is "
        "not a review of the action it asks for; a person's turn answering the agent is."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        first_review = (
            s.filter(pl.col("is_review")).group_by("run_id").agg(pl.col("seq").min().alias("r_seq"))
        )
        acts = (
            s.filter(
                (pl.col("kind") == "tool")
                & pl.col("is_irreversible")
                & (pl.col("status") != "error")
                # A call stopped to wait for a person (an approval request, an interrupt) did not act.
                & ~pl.col("pause_kind").is_in(["approval", "interrupt"]).fill_null(False)
            )
            .join(first_review, on="run_id", how="left")
            .join(ctx.runs.lazy().select("run_id", "synthetic_time"), on="run_id", how="left")
            .filter(pl.col("r_seq").is_null() | (pl.col("r_seq") > pl.col("seq")))
        )
        per_run = (
            acts.sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.col("span_id").first().alias("first_id"),
                pl.col("call").first(),
                pl.col("agent").first(),
                pl.col("t").first(),
                pl.col("seq").first(),
                pl.col("synthetic_time").first(),
                pl.len().alias("n"),
            )
        )
        return per_run.select(
            finding(
                "run_id",
                pl.col("ids"),
                "first_id",
                pl.format(
                    "{} ran irreversible tool {} {} with no human approval or guardrail before it ({} such call(s))",
                    txt(pl.col("agent"), "the run"),
                    txt(pl.col("call")),
                    moment(),
                    pl.col("n"),
                ),
            )
        )
