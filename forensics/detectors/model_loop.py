"""runaway_cost, the loop family: model calls going round a cycle that nothing caps.

A writer/critic (generator/evaluator, actor/reflector) loop is two or three model calls taking
turns: the writer drafts, the critic judges, the writer drafts again. It ends when the critic
approves or when something caps the rounds. The frameworks ship such caps: LangGraph stops a graph
after ``recursion_limit`` super-steps (default 25: ``GraphRecursionError: Recursion limit of 25
reached without hitting a stop condition``; its GRAPH_RECURSION_LIMIT troubleshooting page shows
exactly this a -> b -> a cycle), the OpenAI Agents SDK's Runner after ``max_turns`` model turns
(``DEFAULT_MAX_TURNS = 10``, ``src/agents/run.py``), AG2's ``GroupChat`` after ``max_round``
messages. A cycle that went round more often than those defaults allow ran with no cap, and every
round re-sends a growing conversation: the cost runs away (seen on a held-out set: a subject line
rewritten 34 times, 68 Claude Opus calls, about $26, because the critic never scored above 7).

What makes it a cycle and not ordinary work, read from the log alone:

* the model calls follow each other with no tool, retriever, hand-off, guardrail or human span in
  between (nothing new came in from the world: a research run's model calls are separated by its
  searches and reads);
* the same call identity comes back every ``P`` calls (P = 2 or 3) and never twice in a row, the
  identity being the agent, the model (else span name) and the prompt where it is recorded, or the
  agent and model alone (two agents taking turns on a conversation whose every prompt carries the
  last output): two or three different calls taking
  turns (one call repeated alone is sampling or a retry, ``retry_storm``'s and
  ``repeated_action``'s business; calls that look all alike, as instrumentation without captured
  content writes every turn of a conversation, ``chat gpt-4o`` with no input, are one identity and
  never a cycle of two); or one caller re-sent its own output: the same agent, model and step
  right after itself, its input tokens grown by at least half of what it last wrote (a
  critique-and-rewrite loop on one text; a retry re-sends the same prompt), held to as many calls
  as a two-call cycle;
* more than ``max_cycle_rounds`` rounds of it, with no step/turn limit stopping the run (a limit
  that did is ``budget_exceeded``'s limit stop: the cap was there).

The decisive span is the call that closed the first round without ending the loop (the critic's
first "revise"): from its verdict on, the loop had no way out but the rounds running out.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context, Detector, finding, hms, num, txt
from forensics.detectors.registry import register
from forensics.policy import Threshold

#: Kinds whose span brings something new into the run: a model call after one of these has new input.
NEW_INPUT_KINDS: Final = ("tool", "retriever", "handoff", "guardrail", "human")
#: Cycle lengths looked for: two calls taking turns (writer/critic), or three (planner/writer/critic).
PERIODS: Final = (2, 3)


def model_cycles(ctx: Context, min_rounds: int) -> pl.DataFrame:
    """One row per run whose model calls went round a cycle more than ``min_rounds`` times (its
    longest cycle): ``run_id``, ``period``, ``calls`` (the cycle's calls), ``rounds``, ``ids``
    (their span ids), ``decisive`` (the call that closed the first round), ``first_t``,
    ``last_t``, ``tokens``, ``cost``, ``members`` (the calls that took turns: 'writer / critic')."""
    s = ctx.spans.lazy()
    # Only runs with enough model calls to hold such a cycle at all (a cheap count on integer keys):
    # more than min_rounds rounds of the shortest cycle (one call re-sent its own output is held
    # to as many calls: one caller re-called on its output is a writer and critic in one).
    enough = (
        s.filter(pl.col("kind") == "llm")
        .group_by("run_key")
        .len()
        .filter(pl.col("len") > min(PERIODS) * min_rounds)
        .select("run_key")
        .collect()
    )
    if enough.is_empty():
        return pl.DataFrame(schema={"run_id": pl.String})
    s = s.filter(pl.col("run_key").is_in(enough.get_column("run_key").implode()))
    if "step_limit_hit" in ctx.runs.columns:
        capped = ctx.runs.lazy().filter(pl.col("step_limit_hit").fill_null(False)).select("run_id")
        s = s.join(capped, on="run_id", how="anti")
    is_llm = pl.col("kind") == "llm"
    # Calls are compared by agent, model (else span name: ``call``) and prompt (``args`` holds a
    # model call's input); and by agent, model and step alone, where each round's prompt carries
    # the last round's output (two agents, or two steps, taking turns on a growing conversation).
    by_prompt = pl.struct(pl.col("agent").fill_null(""), pl.col("call").fill_null(""), pl.col("args").fill_null(""))
    # The caller also by the step the call is made in: its parent's name (a writer and a critic
    # step, a Langfuse span or LangGraph node of each, around model calls of the same agent and model).
    by_caller = pl.struct(
        pl.col("agent").fill_null(""), pl.col("call").fill_null(""), pl.col("parent_call").fill_null("")
    )
    parents = s.select("run_id", pl.col("span_id").alias("parent_id"), pl.col("call").alias("parent_call"))
    calls = (
        s.join(parents, on=["run_id", "parent_id"], how="left")
        .filter(is_llm | pl.col("kind").is_in(NEW_INPUT_KINDS))
        .select(
            "run_id",
            "run_key",
            "seq",
            "span_id",
            "kind",
            "t",
            "failed",
            pl.col("call").alias("label"),
            (pl.col("input_tokens").fill_null(0) + pl.col("output_tokens").fill_null(0)).alias("tok"),
            pl.col("input_tokens").alias("inp"),
            pl.col("output_tokens").alias("outp"),
            pl.col("cost_usd").alias("usd"),
            by_prompt.hash(7).alias("by_prompt"),
            by_caller.hash(7).alias("by_caller"),
        )
        .sort("run_key", "seq")
        # A stretch: the model calls between two spans that brought new input (counted over the
        # whole table: within a run the count differs from the run's own by a constant, so run and
        # count name the same stretches).
        .with_columns((~is_llm).cum_sum().alias("stretch"))
        .filter(is_llm)
        .collect()
    )
    if calls.height == 0:
        return pl.DataFrame(schema={"run_id": pl.String})
    # Each (run, stretch) is a block of consecutive rows: one integer group id, and window work as
    # shifts compared with the group id (no window over string keys, issue 15 item 4).
    idx = pl.int_range(pl.len(), dtype=pl.Int64)
    starts = (
        (pl.col("run_key") != pl.col("run_key").shift(1)) | (pl.col("stretch") != pl.col("stretch").shift(1))
    ).fill_null(True)
    calls = calls.with_columns(starts.cum_sum().alias("gid"), (idx - pl.when(starts).then(idx).forward_fill()).alias("pos"))

    def back(c: str, n: int) -> pl.Expr:
        """``c`` of the call ``n`` places earlier in the same stretch (null before its start)."""
        return pl.when(pl.col("gid").shift(n) == pl.col("gid")).then(pl.col(c).shift(n))

    # One call re-sent its own conversation: the same caller (agent, model, step) again right after
    # itself, its prompt now carrying the last call's output (input tokens grew by at least half of
    # what the last call wrote). A retry re-sends the same prompt; a new conversation starts smaller.
    grew = pl.col("inp") >= back("inp", 1) + back("outp", 1) // 2
    self_loop = (pl.col("by_caller") == back("by_caller", 1)) & grew & (pl.col("outp") > 0) & ~pl.col("failed")
    streaks = []
    for ident, p in [*((i, p) for i in ("by_prompt", "by_caller") for p in PERIODS), ("by_caller", 1)]:
        # A call is in the cycle when it is the call p places back again, not the call just before
        # it (two or three different calls take turns), and it did not fail (attempts of a failing
        # call are retries, not rounds); or, for one call, when it re-sent its own growing output.
        periodic = (
            self_loop
            if p == 1
            else (pl.col(ident) == back(ident, p)) & (pl.col(ident) != back(ident, 1)) & ~pl.col("failed")
        ).fill_null(False)
        streaks.append(
            calls.lazy()
            .with_columns(periodic.alias("_in"))
            # Streaks numbered over the whole table: with the stretch, the same runs of calls.
            .with_columns((~pl.col("_in")).cum_sum().alias("_streak"))
            .filter(pl.col("_in"))
            .group_by("gid", "_streak")
            .agg(pl.col("run_id").first(), pl.col("pos").min().alias("f"), pl.col("pos").max().alias("l"))
            .select("run_id", "gid", pl.lit(p).alias("period"), "f", "l", (pl.col("l") - pl.col("f") + 1 + p).alias("calls"))
            .filter(pl.col("calls") // max(p, min(PERIODS)) > min_rounds)
        )
    # Calls taking turns first (a writer and a critic of one model under one step are also one
    # caller re-called on a growing conversation): one call looping on itself only where no cycle
    # of two or three was found.
    longest = (
        pl.concat(streaks)
        .with_columns((pl.col("period") == 1).alias("_single"))
        .sort("run_id", "_single", "calls", "period", descending=[False, False, True, False])
        .group_by("run_id", maintain_order=True)
        .first()
        .drop("_single")
    )
    return (
        calls.lazy()
        .join(longest.drop("run_id"), on="gid")
        # The cycle: the first round (the p calls before the first repeat) and every call after it.
        .filter((pl.col("pos") >= pl.col("f") - pl.col("period")) & (pl.col("pos") <= pl.col("l")))
        .sort("run_key", "seq")
        .group_by("run_id")
        .agg(
            pl.col("period").first(),
            pl.col("calls").first(),
            (pl.col("calls").first() // pl.col("period").first()).alias("rounds"),
            pl.col("span_id").alias("ids"),
            # One call looping on itself: the first re-call (its own first draft was ordinary work).
            pl.col("span_id")
            .filter(pl.col("pos") == pl.col("f") - 1 + (pl.col("period") == 1).cast(pl.Int64))
            .first()
            .alias("decisive"),
            pl.col("t").first().alias("first_t"),
            pl.col("t").last().alias("last_t"),
            pl.col("tok").sum().alias("tokens"),
            pl.when(pl.col("usd").is_not_null().any()).then(pl.col("usd").sum()).alias("cost"),
            pl.col("label").head(pl.col("period").first()).unique(maintain_order=True).str.join(" / ").alias("members"),
        )
        .collect()
    )


@register
class ModelCallCycle(Detector):
    name = "model_call_cycle"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "medium"
    strength = "weak"
    thresholds = (
        Threshold(
            "max_cycle_rounds",
            10,
            "Rounds of two or three model calls taking turns (with nothing new in between) past which the "
            "loop ran uncapped: the frameworks' default caps stop a loop sooner (OpenAI Agents SDK "
            "max_turns 10, LangGraph recursion_limit 25 steps, AG2 GroupChat max_round).",
            "an integer >= 2",
            lambda v: v >= 2,
            required=False,
        ),
    )
    description = (
        "Model calls went round a cycle (two or three different calls, by agent, model and "
        "prompt, taking turns: a writer and a critic) more than thresholds.max_cycle_rounds times with "
        "no tool, retriever, hand-off, guardrail or human span in between and no step or turn limit "
        "stopping the run: a loop with no round cap, whose cost runs away. Decisive is the call that "
        "closed the first round (the critic's first verdict that sent it round again)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        cycles = model_cycles(ctx, ctx.policy.max_cycle_rounds)
        if cycles.is_empty():
            from forensics.detectors.base import empty_findings

            return empty_findings()
        spent = pl.concat_str(
            [
                pl.format("{} tokens", pl.col("tokens")),
                pl.when(pl.col("cost").is_not_null()).then(pl.format("${}", num(pl.col("cost"), 2))),
            ],
            separator=", ",
            ignore_nulls=True,
        )
        one_call = pl.format(
            "model call {} was sent its own growing output again {} times ({} calls, {}) from {} to {} with no "
            "tool, hand-off or other new input between them and no round cap: past the {} rounds a framework's "
            "default cap allows, the loop ran on its own",
            txt(pl.col("members")),
            pl.col("rounds") - 1,
            pl.col("calls"),
            spent,
            hms("first_t"),
            hms("last_t"),
            pl.lit(ctx.policy.max_cycle_rounds),
        )
        return cycles.lazy().select(
            finding(
                "run_id",
                pl.col("ids"),
                "decisive",
                pl.when(pl.col("period") == 1).then(one_call).otherwise(pl.format(
                    "{} different model calls ({}) took turns {} rounds ({} calls, {}) from {} to {} with no tool, hand-off "
                    "or other new input between them and no round cap: past the {} rounds a framework's "
                    "default cap allows, the loop ran on its own",
                    pl.col("period"),
                    txt(pl.col("members")),
                    pl.col("rounds"),
                    pl.col("calls"),
                    spent,
                    hms("first_t"),
                    hms("last_t"),
                    pl.lit(ctx.policy.max_cycle_rounds),
                )),
            )
        )
