"""context_collapse: the same task handed to the same delegate again and again, the same report back.

``repeated_action`` for delegations. A smolagents manager calls a managed agent from its code
(``search_agent(task=...)``, src/smolagents/agents.py ``MultiStepAgent.__call__``); the managed
agent runs afresh each time (``run(reset=True)``), so when the manager asks the identical question
three times and gets the identical report three times, the loop is the manager's: its delegate's
repeated searches are each a first search in a new memory (``repeated_action`` compares a managed
agent's calls within one of its runs, ``agent_runs.managed_run_of``). TAXONOMY: "the same
agent calls the same tool with the same arguments 3+ times, with no new information in between (an
error result counts as no new information)": a report that says it could not find the answer, the
same each time, is no new information either.

Not this: the same task asked twice (a second try: ``redelegated_same_task`` or
``redelegated_after_replan`` when the first report was taken as an answer), different questions
to one delegate, a report that changed, delegations running side by side (a fan-out).
"""

from __future__ import annotations

import polars as pl

from forensics.conventions.delegation import report_says_failed
from forensics.detectors.base import Context, Detector, hms, txt
from forensics.detectors.findings import per_run_finding
from forensics.detectors.ownership_gap import delegations
from forensics.detectors.registry import register


def task_key(text: pl.Expr) -> pl.Expr:
    """A task or report compared without case, spacing or punctuation, and by what it says, not
    the names of its fields: a JSON object's keys are dropped (``{"messages": "..."}``, a state
    whose content the export elided, says nothing, and two such are no same task; empty here)."""
    return text.str.replace_all(r'\\?"[^"\\]*\\?"\s*:', "").str.to_lowercase().str.replace_all(r"[^\w]", "")


@register
class RepeatedDelegation(Detector):
    name = "repeated_delegation"
    failure_class = "context_collapse"
    scope = "run"
    severity = "medium"
    strength = "strong"
    description = (
        "An agent handed the same task (compared without case, spacing or punctuation) to the same "
        "delegate repeat_count+ times, one after the other, and each delegated run came back with the "
        "same report (a report saying it could not do the work, in any words, or the same error): the "
        "repeats brought no new information "
        "(repeated_action for delegations)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        n = ctx.policy.repeat_count
        # What came back: the error it failed with; a report saying it could not do the work (in
        # whatever words: a model rewords its not-found report each time, and none is news); else
        # the report itself.
        back = (
            pl.when(pl.col("failed"))
            .then(pl.col("error_label"))
            .when(report_says_failed(pl.col("output")))
            .then(pl.lit("could not do it"))
            .otherwise(pl.col("output"))
        )
        key = ["run_key", "by_agent", "agent", "task_key", "back_key"]
        d = (
            delegations(ctx)
            # Only a delegate handed work n+ times by one agent can hold a loop: the texts of the
            # other delegations (nearly all) are never read.
            .filter(pl.len().over("run_key", "by_agent", "agent") >= n)
            .select("run_key", "run_id", "span_id", "seq", "agent", "by_agent", "t", "end_time", "args", "failed",
                    back.alias("back"))
            .with_columns(task_key(pl.col("args")).alias("task_key"), task_key(pl.col("back")).alias("back_key"))
            .filter((pl.col("task_key") != "") & (pl.col("back_key") != ""))
            .filter(pl.len().over(key) >= n)
            .sort("run_key", "seq")
            # One after the other: each asked once the one before had come back.
            .with_columns(pl.coalesce("end_time", "t").shift(1).over(key).alias("prev_end"))
            .with_columns(
                (pl.col("t") < pl.col("prev_end")).fill_null(False).any().over(key).alias("side_by_side")
            )
            .filter(~pl.col("side_by_side"))
        )
        # The loop's first repeat is decisive (docs/DETECTORS.md, "Which span is decisive"): the
        # first delegation was the agent's own step, the second is where it ignored the report.
        # One finding per run, from its first loop.
        first_loop = d.group_by("run_key", "by_agent", "agent", "task_key", "back_key").agg(pl.col("seq").min().alias("_s"))
        earliest = first_loop.sort("run_key", "_s").group_by("run_key").agg(pl.all().first())
        rows = d.join(earliest.drop("_s"), on=key, how="semi")
        return per_run_finding(
            rows,
            key="run_key",
            decisive_at=1,
            first=["by_agent", "agent", "t", "failed", "back"],
            also=[pl.col("t").max().alias("last_t")],
            explanation=pl.format(
                "{} handed {} the same task {} times between {} and {}, and got {} back each time, "
                "so the repeats brought no new information",
                txt(pl.col("by_agent")),
                txt(pl.col("agent")),
                pl.col("n"),
                hms("t"),
                hms("last_t"),
                pl.when(pl.col("failed"))
                .then(pl.lit("the same error"))
                .when(pl.col("back") == "could not do it")
                .then(pl.lit("a report that it could not do the work"))
                .otherwise(pl.lit("the same report")),
            ),
        )
