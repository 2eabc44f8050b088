"""silent_failure: the run reports success, and the evidence says otherwise."""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, failure_followups, finding, hms, snippet, txt
from forensics.detectors.registry import register


@register
class SwallowedError(Detector):
    name = "swallowed_error"
    failure_class = "silent_failure"
    scope = "run"
    severity = "critical"
    strength = "strong"
    description = (
        "The run reports success, yet it holds an error that was never recovered (no later "
        "successful retry of the same call, nor a successful fallback)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        follow = failure_followups(ctx).lazy()
        success = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success").select("run_id")
        lost = (
            ctx.spans.lazy()
            .filter(pl.col("failed") & ~pl.col("is_root") & ~pl.col("has_failed_child"))
            .join(success, on="run_id", how="semi")
            .join(follow, on=["run_id", "span_id"])
            .filter(~pl.col("recovered"))
        )
        per_run = (
            lost.sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.col("span_id").first().alias("first_id"),
                pl.col("kind").first(),
                pl.col("call").first(),
                pl.col("error_label").first(),
                pl.col("t").first(),
                pl.col("retried").first(),
                pl.len().alias("n"),
            )
        )
        tried = (
            pl.when(pl.col("retried"))
            .then(pl.lit("no retry of it succeeded"))
            .otherwise(pl.lit("it was never retried"))
        )
        return per_run.select(
            finding(
                "run_id",
                pl.col("ids"),
                "first_id",
                pl.format(
                    "{} {} failed with {} at {} and {}, yet the run reported success ({} unrecovered error(s))",
                    pl.col("kind"),
                    txt(pl.col("call")),
                    pl.col("error_label"),
                    hms("t"),
                    tried,
                    pl.col("n"),
                ),
            )
        )


@register
class ErrorAsData(Detector):
    name = "error_as_data"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "weak"
    description = (
        'A tool span with ok status returns an error-shaped output ({"error": ...}, a traceback, '
        '429 Too Many Requests, "status": "failed", an empty result) and the run goes on as if it '
        "succeeded (no retry, fallback or escalation, no failure reported)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        follow = failure_followups(ctx).lazy()
        not_failed_runs = ctx.runs.lazy().filter(pl.col("reported_outcome") != "error").select("run_id")
        shaped = (
            ctx.spans.lazy()
            .filter(pl.col("error_shaped") & ~pl.col("failed"))
            .join(not_failed_runs, on="run_id", how="semi")
            .join(follow, on=["run_id", "span_id"])
            .filter(~pl.col("retried") & ~pl.col("fell_back") & ~pl.col("escalated"))
        )
        per_run = (
            shaped.sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.col("span_id").first().alias("first_id"),
                pl.col("call").first(),
                pl.col("output").first(),
                pl.col("t").first(),
                pl.len().alias("n"),
            )
        )
        shown = (
            pl.when(snippet(pl.col("output")) == "")
            .then(pl.lit("an empty result"))
            .otherwise(pl.format('"{}"', snippet(pl.col("output"))))
        )
        return per_run.select(
            finding(
                "run_id",
                pl.col("ids"),
                "first_id",
                pl.format(
                    "tool {} returned {} with status ok at {} and the run went on as if it had succeeded "
                    "({} error-shaped result(s))",
                    txt(pl.col("call")),
                    shown,
                    hms("t"),
                    pl.col("n"),
                ),
            )
        )


@register
class ClaimedButNotDone(Detector):
    name = "claimed_but_not_done"
    failure_class = "silent_failure"
    scope = "run"
    severity = "critical"
    strength = "weak"
    description = (
        "The final answer claims an action (policy [[claims]]: 'I've sent the email', 'ticket "
        "created', 'refund issued') for which no successful matching tool call exists in the run."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        claims = ctx.policy.claims
        if not claims:
            from forensics.detectors.base import empty_findings

            return empty_findings()
        tools = ctx.spans.lazy().filter(pl.col("kind") == "tool")
        # Which claim each distinct tool name can satisfy: patterns run over a few hundred
        # names, not every span.
        names = (
            tools.select("call_tool")
            .unique()
            .with_columns(
                *[pl.col("call_tool").str.contains(c.tool).alias(f"m_{i}") for i, c in enumerate(claims)]
            )
        )
        tools = tools.join(names, on="call_tool", how="left", nulls_equal=True, maintain_order="left")
        # One column per policy claim (a handful), computed over every run at once.
        evidence = tools.group_by("run_key").agg(
            *[(pl.col(f"m_{i}") & pl.col("succeeded")).any().alias(f"done_{i}") for i in range(len(claims))],
            *[
                pl.col("span_id").filter(pl.col(f"m_{i}") & ~pl.col("succeeded")).alias(f"tried_{i}")
                for i in range(len(claims))
            ],
        )
        runs = (
            ctx.runs.lazy()
            .filter(pl.col("final_output").is_not_null())
            .select(
                "run_key",
                "run_id",
                "final_output",
                pl.col("answer_span_id").alias("final_span_id"),
                pl.col("answer_t").alias("final_t"),
            )
            .join(evidence, on="run_key", how="left")
        )
        parts = []
        for i, c in enumerate(claims):
            tried = pl.col(f"tried_{i}").fill_null(pl.lit([], dtype=pl.List(pl.String)))
            n_tried = tried.list.len()
            hit = runs.filter(
                pl.col("final_output").str.contains(c.claim) & ~pl.col(f"done_{i}").fill_null(False)
            ).select(
                "run_id",
                pl.concat_list(tried, pl.col("final_span_id")).alias("ev"),
                # The failed attempt is where the action was lost; with none, the false claim itself.
                pl.coalesce(tried.list.first(), pl.col("final_span_id")).alias("decisive"),
                pl.format(
                    'the final answer at {} says "{}" but no tool call for {} succeeded in the run ({} failed attempt(s))',
                    hms("final_t"),
                    # The whole sentence around the claim, so the reader sees what was said.
                    pl.col("final_output")
                    .str.extract(f"[^.!?\\n]{{0,80}}(?:{c.claim})[^.!?\\n]{{0,80}}", 0)
                    .str.strip_chars(),
                    pl.lit(c.action),
                    n_tried,
                ).alias("why"),
            )
            parts.append(hit)
        return pl.concat(parts).select(finding("run_id", pl.col("ev"), "decisive", pl.col("why")))


@register
class UndeliveredOutput(Detector):
    name = "undelivered_output"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "The run reports success but its output went nowhere: the root's output is empty, or the "
        "run attempted a delivery (policy tools.delivery) and none succeeded."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        from forensics.detectors.ownership_gap import dangling_handoffs

        success = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success")
        deliveries = (
            ctx.spans.lazy()
            .filter((pl.col("kind") == "tool") & pl.col("is_delivery"))
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("succeeded").any().alias("delivered"),
                pl.col("span_id").alias("d_ids"),
                pl.col("span_id").first().alias("d_first"),
                pl.col("call").first().alias("d_call"),
                pl.col("t").first().alias("d_t"),
                pl.len().alias("n_d"),
            )
        )
        # A handoff nobody received: the work was passed on and went nowhere.
        lost = (
            dangling_handoffs(ctx)
            .lazy()
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").first().alias("h_id"),
                pl.col("handoff_target").first().alias("h_to"),
                pl.col("t").first().alias("h_t"),
            )
        )
        judged = (
            success.join(deliveries, on="run_id", how="left")
            .join(lost, on="run_id", how="left")
            .with_columns(
                (pl.col("n_d").is_not_null() & ~pl.col("delivered").fill_null(True)).alias("undelivered"),
                pl.col("h_id").is_not_null().alias("handed_off"),
            )
            .filter(pl.col("undelivered") | pl.col("handed_off") | pl.col("empty_answer"))
        )
        why = (
            pl.when(pl.col("handed_off"))
            .then(
                pl.format(
                    "the run reported success at {} but its work was handed to {} at {}, who never received it",
                    hms("root_t"),
                    txt(pl.col("h_to")),
                    hms("h_t"),
                )
            )
            .when(pl.col("undelivered"))
            .then(
                pl.format(
                    "the run reported success but none of its {} delivery attempt(s) succeeded (first: tool {} at {})",
                    pl.col("n_d"),
                    txt(pl.col("d_call")),
                    hms("d_t"),
                )
            )
            .otherwise(pl.format("the run reported success at {} with an empty final output", hms("root_t")))
        )
        empty_from = pl.coalesce("empty_span_id", "root_span_id")
        return judged.select(
            finding(
                "run_id",
                pl.when(pl.col("handed_off"))
                .then(pl.concat_list("h_id"))
                .when(pl.col("undelivered"))
                .then(pl.col("d_ids"))
                .otherwise(pl.concat_list(empty_from, "root_span_id")),
                pl.when(pl.col("handed_off"))
                .then(pl.col("h_id"))
                .when(pl.col("undelivered"))
                .then(pl.col("d_first"))
                .otherwise(empty_from),
                why,
            )
        )


@register
class PrematureSuccess(Detector):
    name = "premature_success"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = "The run is marked done (its root ended without error) while some of its spans never ended."

    def detect(self, ctx: Context) -> pl.LazyFrame:
        done = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success").select("run_id", "last_end")
        open_spans = (
            ctx.spans.lazy().filter(pl.col("end_time").is_null() & ~pl.col("is_root")).join(done, on="run_id")
        )
        per_run = (
            open_spans.sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.col("span_id").first().alias("first_id"),
                pl.col("kind").first(),
                pl.col("call").first(),
                pl.col("t").first(),
                pl.col("last_end").first(),
                pl.len().alias("n"),
            )
        )
        return per_run.select(
            finding(
                "run_id",
                pl.col("ids"),
                "first_id",
                pl.format(
                    "the run reported success at {} while {} of its spans never ended (first: {} {} started at {})",
                    hms("last_end"),
                    pl.col("n"),
                    pl.col("kind"),
                    txt(pl.col("call")),
                    hms("t"),
                ),
            )
        )
