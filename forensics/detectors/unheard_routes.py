"""ownership_gap: a CrewAI Flow's router sent the work down a route no listener took.

The flow's kickoff returned the route label itself (conventions ``flow_routes``): nothing ran after
the router, so the case it routed (a referral, an escalation, a review) was left with nobody. A
flow whose listener took the route returns that listener's result instead and is not judged.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, finding, hms, txt
from forensics.detectors.registry import register


@register
class UnheardRoute(Detector):
    name = "unheard_route"
    failure_class = "ownership_gap"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "A CrewAI Flow ended on the label its @router returned: the kickoff's whole result is one bare identifier "
        "(not a completion or yes/no word), so no @listen method took the route and the routed work has no owner "
        "(conventions flow_routes)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        ended = s.filter(pl.col("flow_ended_on_route")).select(
            "run_id",
            pl.col("span_id").alias("flow_id"),
            pl.col("output").str.strip_chars(' "').alias("label"),
            "t",
        )
        # The router's own span when the flow's methods were traced: the flow's child that returned
        # the label, its last one.
        router = (
            s.join(ended, left_on=["run_id", "parent_id"], right_on=["run_id", "flow_id"])
            .filter(pl.col("output").str.strip_chars(' "') == pl.col("label"))
            .group_by("run_id", "parent_id")
            .agg(
                pl.col("span_id").sort_by("seq").last().alias("router_id"),
                pl.col("call").sort_by("seq").last().alias("router"),
            )
            .rename({"parent_id": "flow_id"})
        )
        rows = ended.join(router, on=["run_id", "flow_id"], how="left").with_columns(
            pl.coalesce("router_id", "flow_id").alias("decisive")
        )
        by = (
            pl.when(pl.col("router").is_not_null())
            .then(pl.format(" from {}", txt(pl.col("router"))))
            .otherwise(pl.lit(""))
        )
        why = pl.format(
            "the flow started at {} ended on the route label {}{}: no listener took that route, so the work routed "
            "there has no owner",
            hms("t"),
            txt(pl.col("label")),
            by,
        )
        return rows.select(
            finding(
                "run_id",
                pl.concat_list(pl.col("decisive"), pl.col("flow_id")).list.unique(maintain_order=True),
                "decisive",
                why,
            )
        )
