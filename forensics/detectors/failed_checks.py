"""missing_fallback's failed_check_passed_on: a gate said no, and the work went out anyway.

A validator that failed with nothing done about it (Guardrails AI on_fail NOOP), or a refinement
loop that ran out of attempts below its threshold and returned its best try (DSPy Refine), is a
check whose failure had no defined path after it (``conventions.failed_checks``:
``check_let_through``). What makes it an incident is what followed: a side-effecting act (the
policy's side-effecting or irreversible tools, or a step named for one:
``ungated_confidence.acting_steps``) that started once the check had ended, with no person's
review, guardrail or escalation in between. A failed check nothing acted on (the app read
``validation_passed`` and stopped, escalated, or ran the guard again and passed) is no finding.

Decisive: the check (the validator span, the Refine span): from its verdict on, the work was sure
to go out unchecked; the act is evidence.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, finding, hms, txt
from forensics.detectors.confidence_gates import blind_guardrail
from forensics.detectors.registry import register
from forensics.detectors.ungated_confidence import acting_steps


@register
class FailedCheckPassedOn(Detector):
    name = "failed_check_passed_on"
    failure_class = "missing_fallback"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "A check failed and let the work through (a Guardrails AI validator that failed with on_fail NOOP; a DSPy "
        "Refine that ran out of attempts below its threshold and returned its best try), and a side-effecting act "
        "followed once the check had ended, with no human review, guardrail or escalation in between."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        checks = s.filter(pl.col("check_let_through") & pl.col("end_time").is_not_null()).select(
            "run_id",
            pl.col("span_id").alias("check_id"),
            pl.col("seq").alias("check_seq"),
            pl.col("end_time").alias("check_end"),
            "check_said",
        )
        acts = acting_steps(ctx).join(
            s.select("run_id", "span_id", "succeeded", pl.col("t").alias("_start")), on=["run_id", "span_id"]
        ).filter(pl.col("succeeded"))
        next_act = (
            checks.join(acts, on="run_id")
            .filter(pl.col("_start") >= pl.col("check_end"))
            .sort("run_id", "check_seq", "seq", "span_id")
            .group_by("run_id", "check_id")
            .agg(pl.all().first())
        )
        # A person, a guardrail or an escalation between the check and the act: the failure was taken up.
        between = s.filter((pl.col("is_review") & ~blind_guardrail()) | pl.col("is_escalation")).select(
            "run_id", pl.col("t").alias("_r_t"), pl.col("seq").alias("_r_seq")
        )
        taken_up = (
            next_act.join(between, on="run_id")
            .filter((pl.col("_r_t") >= pl.col("check_end")) & (pl.col("_r_seq") < pl.col("seq")))
            .select("run_id", "check_id")
            .unique()
        )
        per_run = (
            next_act.join(taken_up, on=["run_id", "check_id"], how="anti")
            .sort("run_id", "check_seq", "check_id")
            .group_by("run_id")
            .agg(pl.all().first())
        )
        return per_run.select(
            finding(
                "run_id",
                pl.concat_list("check_id", "span_id"),
                "check_id",
                pl.format(
                    "{}, and side-effecting {} ran at {} with no review, guardrail or escalation in between",
                    pl.col("check_said"),
                    txt(pl.col("call")),
                    hms("t"),
                ),
            )
        )
