"""The same task handed to the same delegate again, after it had already reported.

Two stories leave that in the spans, told apart by what came between the report and the repeat:

* **a plan update** (smolagents ``planning_interval``: the manager's run makes a model call outside
  any step, ``_run_stream`` -> ``_generate_planning_step``, prompted to survey "facts that we have
  learned" and "facts still to look up"): the new plan listed as still to look up what the first
  report had settled, and the question went out again. The agent lost its thread:
  ``redelegated_after_replan``, context_collapse (TAXONOMY: it "drops prior decisions"), as
  ``redo_after_replan`` is for a tool call redone after a plan update;
* **nothing**: the manager asked again as if the report had not come: nobody took the report up,
  ``redelegated_same_task``, ownership_gap.

A manager that went on from the report to a call of its own (the next step of its task: a smolagents
manager's own tool call, outside the delegate's run) took the report up: asking the same again after
that is redoing a step it had done (a later step failed, and the manager went back to the start),
context_collapse's story, which ``duplicate_side_effect`` tells where the redone step made its
effect again (a second invoice).

A first report that said it could not do the work (``report_says_failed``) asked again is a retry,
neither of these (and a report that failed is ``dropped_delegation``'s, one that came back empty
``error_as_data``'s or ``dropped_delegation``'s: forensics.detectors.empty_reports); one
asked again after the delegating agent waited (a wait tool, ``time.sleep`` in a CodeAgent's code)
is polling a delegate whose answer changes.
"""

from __future__ import annotations

import polars as pl

from forensics.conventions.delegation import report_says_failed
from forensics.detectors.base import Context, Detector, finding, hms, txt
from forensics.detectors.delegation_loop import task_key
from forensics.detectors.ownership_gap import _NOTHING, delegations
from forensics.detectors.registry import register
from forensics.detectors.step_redo import plan_updates
from forensics.detectors.sub_agent_calls import waited_since


def _repeat_delegations(ctx: Context) -> pl.DataFrame:
    """``run_key, run_id, prev_id, span_id, agent, by_agent, prev_t, prev_end, t, ev_id, ev_t``: each
    delegation that hands the same task (compared without case, spacing or punctuation) to the same
    agent as an earlier one that had ended with a report (not failed, not empty, not saying it
    failed), made after that report came back; ``ev_id``/``ev_t`` the delegating agent's first plan
    update between the two, null when there was none."""

    def build() -> pl.LazyFrame:
        reported = (
            ~pl.col("failed")
            & ~pl.col("output").str.contains(_NOTHING).fill_null(True)
            & ~report_says_failed(pl.col("output"))
        )
        key = ["run_key", "by_agent", "agent", "task_key"]
        # Only a task handed to the same agent at least twice can be a repeat: the rest (nearly
        # every delegation) are dropped before the outputs are read and the rows sorted.
        d = (
            delegations(ctx)
            .filter(pl.len().over("run_key", "by_agent", "agent") > 1)
            .select("run_key", "run_id", "span_id", "seq", "agent", "by_agent", "t", "end_time", "args", "failed", "output")
            .with_columns(task_key(pl.col("args")).alias("task_key"))
            .filter(pl.col("task_key") != "")
            .filter(pl.len().over(key) > 1)
            .with_columns(reported.alias("reported"), pl.coalesce("end_time", "t").alias("d_end"))
            .sort("run_key", "seq")
        )
        prev = {c: pl.col(c).shift(1).over(key) for c in ("span_id", "reported", "t", "d_end")}
        # Asked again once the first run had reported back (ended): a delegation made inside the
        # delegate's own run (agents handing work back and forth, nested) is a loop, not this.
        again = (
            d.with_columns(
                prev["span_id"].alias("prev_id"), prev["reported"].alias("prev_reported"), prev["t"].alias("prev_t"),
                prev["d_end"].alias("prev_end"),
            )
            .filter(
                pl.col("prev_id").is_not_null()
                & pl.col("prev_reported").fill_null(False)
                & (pl.col("t") >= pl.col("prev_end")).fill_null(False)
            )
            .select("run_key", "run_id", "prev_id", "span_id", "seq", "agent", "by_agent", "prev_t", "prev_end", "t")
        )
        # Polling a delegate (a job, a managed agent watching one) with a wait between the calls
        # asks again because the answer changes (sub_agent_calls.waited_since: a wait tool, a
        # smolagents CodeAgent's time.sleep in the code that made the call): not a report dropped.
        polled = waited_since(ctx.spans.lazy(), again.with_columns(pl.col("prev_end").alias("_prev_end")))
        again = again.join(polled, on=["run_key", "span_id"], how="anti")
        replans = plan_updates(ctx).rename({"agent": "by_agent"})
        between = (
            again.join(replans, on=["run_key", "by_agent"])
            .filter((pl.col("ev_t") >= pl.col("prev_end")) & (pl.col("ev_t") <= pl.col("t")))
            .sort("ev_t")
            .group_by("run_key", "span_id")
            .agg(pl.col("ev_id").first(), pl.col("ev_t").first())
        )
        return again.join(between, on=["run_key", "span_id"], how="left")

    # build() collects as it goes (the plan updates' owners): run on the first call only.
    return ctx.once("repeat_delegations", lambda: build().collect())


def _first_repeat(rows: pl.LazyFrame, ids: list[str], decisive: str, explanation: pl.Expr) -> pl.LazyFrame:
    """One finding per run from its repeat delegations: the first one's ``ids`` as evidence,
    its ``decisive`` column as the decisive span, ``n`` the count of repeats."""
    per_run = (
        rows.sort("run_key", "seq")
        .group_by("run_key")
        .agg(
            pl.col("run_id").first(),
            pl.concat_list(*ids).first().alias("ids"),
            *[pl.col(c).first() for c in dict.fromkeys([decisive, "agent", "by_agent", "prev_t", "ev_t", "t"])],
            pl.len().alias("n"),
        )
    )
    return per_run.select(finding("run_id", pl.col("ids"), decisive, explanation))


def _went_on(ctx: Context, repeats: pl.LazyFrame) -> pl.LazyFrame:
    """``run_key, span_id`` of the ``repeats`` before which the delegating agent made a tool call of
    its own (not its answer tool) after the first report came back: it went on from the report."""
    from forensics.detectors.ignored_errors import ANSWER_TOOLS

    own = ctx.spans.lazy().filter(
        (pl.col("kind") == "tool") & ~pl.col("call_tool").is_in(ANSWER_TOOLS).fill_null(False)
    ).select("run_key", pl.col("agent").alias("by_agent"), pl.col("t").alias("_o_t"))
    return (
        repeats.select("run_key", "span_id", "by_agent", "prev_end", "t")
        .join(own, on=["run_key", "by_agent"])
        .filter((pl.col("_o_t") >= pl.col("prev_end")) & (pl.col("_o_t") < pl.col("t")))
        .select("run_key", "span_id")
        .unique()
    )


@register
class RedelegatedSameTask(Detector):
    name = "redelegated_same_task"
    failure_class = "ownership_gap"
    scope = "run"
    severity = "medium"
    strength = "weak"
    description = (
        "An agent handed the same task (compared without case, spacing or punctuation) to the same "
        "agent again after the first delegated run had reported a result, with no plan update between: "
        "the first report was never taken up. A delegation asked again after a failed, empty or "
        "could-not-do-it report, with a different question, or after a plan update "
        "(redelegated_after_replan) is not this; nor one made after the agent went on from the report to a "
        "tool call of its own (it took the report up, and went back to a step it had done: a redo, "
        "duplicate_side_effect where the step made its effect again)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        from forensics.detectors.registry import findings_of

        repeats = _repeat_delegations(ctx).lazy().filter(pl.col("ev_id").is_null())
        # A repeat that is part of a loop, the same report coming back each time
        # (repeated_delegation), is that loop's: the report was taken up and asked for again, which is
        # context_collapse, not a report nobody owned (delegation_loop.py: "Not this: the same task
        # asked twice").
        looped = (
            findings_of(ctx, "repeated_delegation")
            .lazy()
            .select("run_id", pl.col("evidence_span_ids").alias("span_id"))
            .explode("span_id")
        )
        repeats = repeats.join(looped, on=["run_id", "span_id"], how="anti")
        return _first_repeat(
            repeats.join(_went_on(ctx, repeats), on=["run_key", "span_id"], how="anti"),
            ["prev_id", "span_id"],
            "prev_id",
            pl.format(
                "{} delegated a task to {} at {}, got a report back, and at {} handed it the same task again "
                "({} repeat delegation(s) in the run): the first report was not taken up",
                txt(pl.col("by_agent")),
                txt(pl.col("agent")),
                hms("prev_t"),
                hms("t"),
                pl.col("n"),
            ),
        )


@register
class RedelegatedAfterReplan(Detector):
    name = "redelegated_after_replan"
    failure_class = "context_collapse"
    scope = "run"
    severity = "medium"
    strength = "weak"
    description = (
        "After a plan update (a model call the delegating agent's run makes between its steps, outside "
        "any step: smolagents' planning_interval planning step), the agent handed a delegate the same "
        "task (compared without case, spacing or punctuation) that the delegate had already answered "
        "before the update: the new plan dropped a fact the run had established."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        return _first_repeat(
            _repeat_delegations(ctx).lazy().filter(pl.col("ev_id").is_not_null()),
            ["prev_id", "ev_id", "span_id"],
            "ev_id",
            pl.format(
                "{} had {}'s report on a task at {}, updated its plan at {}, and at {} handed it the same task "
                "again ({} such repeat(s) in the run): the new plan dropped what the run had already established",
                txt(pl.col("by_agent")),
                txt(pl.col("agent")),
                hms("prev_t"),
                hms("ev_t"),
                hms("t"),
                pl.col("n"),
            ),
        )
