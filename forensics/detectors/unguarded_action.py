"""unguarded_action: an irreversible tool ran with no human approval or guardrail before it."""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, finding, hms, txt
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
        "no human span, guardrail span or approval tool (tools.approval) before it in the run."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        first_review = (
            s.filter(pl.col("is_review")).group_by("run_id").agg(pl.col("seq").min().alias("r_seq"))
        )
        acts = (
            s.filter((pl.col("kind") == "tool") & pl.col("is_irreversible") & (pl.col("status") != "error"))
            .join(first_review, on="run_id", how="left")
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
                pl.len().alias("n"),
            )
        )
        return per_run.select(
            finding(
                "run_id",
                pl.col("ids"),
                "first_id",
                pl.format(
                    "{} ran irreversible tool {} at {} with no human approval or guardrail before it ({} such call(s))",
                    txt(pl.col("agent"), "the run"),
                    txt(pl.col("call")),
                    hms("t"),
                    pl.col("n"),
                ),
            )
        )
