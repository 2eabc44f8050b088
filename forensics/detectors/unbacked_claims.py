"""claimed_but_not_done (silent_failure): the run's last words claim an act no successful call backs.

Its own module (it was the largest of silent_failure.py's detectors, which had reached the house's
600 lines): the claim readings it joins live in claims.py, claim_*.py and pending_work.py.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, finding, hms
from forensics.detectors.registry import register
from forensics.outcome import CANCELLED_WORDS


@register
class ClaimedButNotDone(Detector):
    name = "claimed_but_not_done"
    failure_class = "silent_failure"
    scope = "run"
    severity = "critical"
    strength = "weak"
    description = (
        "The final answer (or any model message after the run's last tool call) claims an action no "
        "successful tool call backs: a policy [[claims]] phrase ('I've sent the email', 'ticket created') "
        "with no successful matching tool, or a past-tense statement of exactly what one of the run's own "
        "tools does (send_email -> 'sent the email', 'email sent') with no successful call of that tool; or "
        "work a call only started (a job left queued, an upload never completed) reported done, or a message "
        "only saved as a draft (the DRAFT label, no SENT after it) reported sent, or an infrastructure "
        "plan no call applied (terraform plan's 'Plan: 0 to add, 1 to change', no apply) reported as the "
        "change made, or a run a framework stopped (OpenAI Agents SDK MaxTurnsExceeded, a guardrail "
        "tripwire) whose answer, given after the stop with no model call after it, says the work was done "
        "('your request has been processed') and tells neither the stop nor work left. A sentence "
        "the user wrote, quoted back, is not a claim; nor is one its sentence negates or makes conditional, "
        "nor a policy claim a successful call's own result already states (relayed from a status lookup), "
        "nor a policy claim naming an identifier an acting call returned ('saved as intake LI-26-3391' "
        "after create_intake), nor one done *as* a value another tool's call was given ('I sent the date as "
        "2024-11-3', a query's variable: that call's request, not a message)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        from forensics.detectors.claim_ids import claims_naming_given_values, claims_naming_returned_ids
        from forensics.detectors.claims import claim_hits
        from forensics.detectors.missing_fallback import ignored_tool_errors

        # A claim about a call that failed, was handed back to the model and ignored is that
        # ignored error (swallowed_error), told once.
        ignored = ignored_tool_errors(ctx).lazy().select("run_id", pl.col("span_id").alias("_ignored"))
        # Collected once: the claims' row order is not fixed (parallel joins), and a lazy plan read
        # twice below would number its rows twice, so one claim's about-an-ignored-error mark could
        # land on another claim (a run's unbacked claim came and went from run to run).
        claimed = claim_hits(ctx).with_row_index("_c").collect().lazy()
        about_ignored = (
            claimed.select("_c", "run_id", pl.col("tried").alias("_ignored"))
            .explode("_ignored")
            .join(ignored, on=["run_id", "_ignored"])
            .select("_c")
            .unique()
        )
        # A policy claim naming the identifier an acting call returned reports that call (claim_ids).
        reported = claims_naming_returned_ids(ctx, claimed).select("_c")
        # A policy claim of doing something *as* a value another call was given tells that call's
        # request ("I sent the date as 2025-03-1"), not the claimed act (claim_ids).
        reported = pl.concat([reported, claims_naming_given_values(ctx, claimed).select("_c")])
        hits = claimed.join(about_ignored, on="_c", how="anti").join(reported, on="_c", how="anti").drop("_c")
        # A run its own state says was cancelled (a chat transcript's or Letta's ``state``
        # "cancelled", read onto the root as its error type: loaders/chat_messages.py, outcome.py
        # CANCELLED_WORDS) that says "I've cancelled that" states that cancellation: the stop its
        # user asked for, not an act a tool should back.
        cancelled_runs = (
            ctx.spans.lazy()
            .filter(pl.col("is_root") & pl.col("error_type").str.to_lowercase().is_in(sorted(CANCELLED_WORDS)))
            .select("run_id")
            .unique()
        )
        cancelling = (pl.col("action").str.contains("(?i)cancel").fill_null(False)
                      | pl.col("tool_name").str.contains("(?i)cancel").fill_null(False))
        hits = pl.concat(
            [hits.filter(~cancelling), hits.filter(cancelling).join(cancelled_runs, on="run_id", how="anti")],
            how="vertical_relaxed",
        )
        # One finding per run: its first claim (the run's tools in the order it first called them,
        # then policy claims in policy order); every failed attempt behind any claim is evidence.
        per_run = (
            # Ties in order (one claim said in two messages) broken by time and span: the same finding every run.
            hits.sort("run_id", "order", "final_t", "final_span_id", nulls_last=True, maintain_order=True)
            .group_by("run_id", maintain_order=True)
            .agg(
                pl.col("said").first(),
                pl.col("action").first(),
                pl.col("tool_name").first(),
                pl.col("tried").first().alias("tried_first"),
                pl.col("tried").list.explode(keep_nulls=False, empty_as_null=False).unique(maintain_order=True).alias("tried_all"),
                pl.col("final_span_id").first(),
                pl.col("final_t").first(),
            )
        )
        tried = pl.col("tried_first")
        what_failed = (
            pl.when(pl.col("tool_name").is_not_null())
            .then(pl.format("no call of {} succeeded", pl.col("action")))
            .otherwise(pl.format("no tool call for {} succeeded", pl.col("action")))
        )
        found = per_run.select(
            finding(
                "run_id",
                pl.concat_list("tried_all", pl.col("final_span_id")),
                # The failed attempt is where the action was lost; with none, the false claim itself.
                pl.coalesce(tried.list.first(), pl.col("final_span_id")),
                pl.format(
                    'the final answer at {} says "{}" but {} in the run ({} failed attempt(s))',
                    hms("final_t"),
                    pl.col("said"),
                    what_failed,
                    tried.list.len(),
                ),
            )
        )
        # Each step's findings are collected before the next reads them (its ``besides``): as a plan,
        # every step held the one before it twice (its rows and its anti-join), so the claims' plan
        # was run again for every later step (claimed_but_not_done 2.8 -> 1.1 CPU s at 5k runs).
        # Work a call only started (a job accepted, an upload never completed), reported done (pending_work).
        from forensics.detectors.pending_work import unfinished_claims

        found = (
            pl.concat([found, unfinished_claims(ctx, besides=found)], how="vertical_relaxed").collect().lazy()
        )
        # A message only saved as a draft (Gmail's DRAFT label), reported sent (unsent_drafts).
        from forensics.detectors.unsent_drafts import drafted_claims

        found = (
            pl.concat([found, drafted_claims(ctx, besides=found)], how="vertical_relaxed").collect().lazy()
        )
        # An infrastructure plan (terraform plan) no call applied, reported as the change made (unapplied_plans).
        from forensics.detectors.unapplied_plans import unapplied_claims

        found = (
            pl.concat([found, unapplied_claims(ctx, besides=found)], how="vertical_relaxed").collect().lazy()
        )
        # A framework's stop (a turn limit, a guardrail tripwire) the app answered by reporting the
        # work done (stopped_claims).
        from forensics.detectors.stopped_claims import stopped_claims

        return pl.concat([found, stopped_claims(ctx, besides=found)], how="vertical_relaxed")
