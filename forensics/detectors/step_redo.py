"""context_collapse, the agent-step family: the agent loses its thread across its own steps.

The rules that read an agent run's steps and the step errors its framework hands back to the model
(smolagents' ``Step N`` spans, conventions column ``agent_error``) and its plan updates: the same
failing output written again, the same format error again, finished work redone after a step error
or a plan update. Split from :mod:`forensics.detectors.context_collapse` (the same failure class),
whose tool-call helpers they share.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.agent_runs import agent_run_of
from forensics.detectors.base import Context, Detector, finding, hms, txt
from forensics.detectors.context_collapse import _first_redo_per_run, _identical_repeats
from forensics.detectors.registry import register
from forensics.detectors.tool_calls import tool_calls

#: The action a CodeAgent's model output carries: the code smolagents runs, found as its
#: ``parse_code_blobs`` does (src/smolagents/utils.py: between the agent's code_block_tags,
#: ``<code>``/``</code>`` since smolagents 1.17, else a fenced block, ```py / ```python), in a raw
#: or a JSON-escaped output (the instrumentation records the ChatMessage as JSON). The thought
#: before it may say "I fixed it" while the code is unchanged.
CODE_BLOB: Final = r"(?s)(?:<code>|```(?:py|python)?(?:\\n|\n))(.*?)(?:</code>|(?:\\n|\n)```)"


@register
class RepeatedStepError(Detector):
    name = "repeated_step_error"
    failure_class = "context_collapse"
    scope = "run"
    severity = "medium"
    strength = "strong"
    description = (
        "The agent's model wrote the identical action (its code block, when it wrote one, whatever "
        "the thought around it said; else the whole output) repeat_count+ times in a run, and each time "
        "the step it drove failed with the same agent error (conventions column agent_error: a "
        "parsing or code-execution error handed back to the model): the error it was shown each "
        "time brought nothing it acted on."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        n = ctx.policy.repeat_count
        s = ctx.spans.lazy()
        failed_steps = s.filter(pl.col("agent_error").is_not_null()).select(
            "run_id",
            pl.col("span_id").alias("parent_id"),
            pl.col("agent_error").alias("step_error"),
        )
        outputs = (
            s.filter((pl.col("kind") == "llm") & (pl.col("output").str.strip_chars() != ""))
            .join(failed_steps, on=["run_id", "parent_id"])
            .sort("run_key", "seq")
        )
        groups = (
            outputs.with_columns(pl.coalesce(pl.col("output").str.extract(CODE_BLOB, 1), "output").alias("_act"))
            .group_by(pl.struct("run_key", "agent", "_act", "step_error").hash(11).alias("_k"))
            .agg(
                pl.col("run_id").first(),
                pl.col("agent").first().fill_null("(no agent)"),
                pl.col("step_error").first(),
                pl.col("parent_id").first().alias("first_step"),
                pl.concat_list("span_id", "parent_id").explode().alias("ids"),
                pl.len().alias("n"),
                pl.col("t").min().alias("first_t"),
                pl.col("t").max().alias("last_t"),
            )
            .filter(pl.col("n") >= n)
        )
        return groups.select(
            finding(
                "run_id",
                pl.col("ids"),
                "first_step",
                pl.format(
                    "agent {} wrote the identical model output {} times between {} and {}, and each step it "
                    "drove failed with {}: the error it was shown brought no change",
                    pl.col("agent"),
                    pl.col("n"),
                    hms("first_t"),
                    hms("last_t"),
                    pl.col("step_error"),
                ),
            )
        )


@register
class RedoAfterError(Detector):
    name = "redo_after_error"
    failure_class = "context_collapse"
    scope = "run"
    severity = "medium"
    strength = "weak"
    description = (
        "Within a run, after one of its steps failed with an agent error (the framework's own "
        "step error: a parsing, code-execution or tool-call error, conventions column agent_error), "
        "the agent redoes a tool call it had already completed before the error (same tool and "
        "normalised arguments) and gets the identical result: it lost track of what it had done. "
        "Calls without arguments (moving within the current page) and a call followed by one "
        "(re-opening a page to read on) are navigation, not redos."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        errors = agent_run_of(
            ctx,
            ctx.spans.lazy()
            .filter(pl.col("agent_error").is_not_null())
            .select(
                "run_key",
                "agent",
                "span_k",
                "parent_id",
                pl.col("span_id").alias("ev_id"),
                pl.col("agent_error").alias("err_type"),
                # The step error ended after the first call had completed and before the redo started.
                pl.coalesce("end_time", "t").alias("ev_t"),
            ),
        ).drop("span_k", "parent_id")
        # The redo is decisive: the first call was the agent's own finished work, the redo is where
        # it lost track of it (docs/DETECTORS.md, "Which span is decisive": as a loop's first repeat).
        per_run = _first_redo_per_run(_redone_calls(ctx, errors), errors, "err_type", decisive="redo")
        return per_run.select(
            finding(
                "run_id",
                pl.col("ids"),
                "decisive",
                pl.format(
                    "agent {} completed tool {} at {}, a step then failed with {}, and at {} it called {} again "
                    "with the same arguments and got the identical result ({} such redo(s) in the run): it "
                    "redid finished work instead of carrying on from it",
                    pl.col("agent"),
                    txt(pl.col("call")),
                    hms("prev_t"),
                    pl.col("err_type"),
                    hms("t"),
                    txt(pl.col("call")),
                    pl.col("n"),
                ),
            )
        )


def _redone_calls(ctx: Context, events: pl.LazyFrame) -> pl.LazyFrame:
    """Completed tool calls that repeat the same agent's earlier call with the same tool, normalised
    arguments and identical result (:func:`_identical_repeats`), navigation left out: the redo
    candidates of ``redo_after_error`` and ``redo_after_replan``, in the runs that hold one of
    their ``events`` (a step error, a plan update; ``run_key``) only: a redo needs one, and
    everything below is within a run, so the other runs are never read.

    A call without arguments acts on the state the previous calls left (smolagents' text browser,
    ``src/smolagents/default_tools.py`` / ``examples/open_deep_research/scripts/text_web_browser.py``:
    ``page_down``, ``page_up``, ``find_next`` move the viewport of the current page), so the same
    result again says nothing; and a call the agent follows with one of those was navigation
    (``visit_page`` starts at the top: re-opening a page to read on past what it had read is no
    redo), whatever came between, a plan update or a step error."""
    no_args = pl.col("call_args").is_in(["", "[]", "{}"])
    calls = (
        tool_calls(ctx)
        .lazy()
        .join(events.select("run_key").unique(), on="run_key", how="semi")
        .sort("run_key", "seq")
        .with_columns(no_args.shift(-1).over("run_key", "agent").fill_null(False).alias("then_moves"))
    )
    # Within one agent run: a later run of the same agent (a managed agent called again) starts
    # with an empty memory, so a call it makes again is no redo of its own finished work.
    # (Only calls made at least twice with one result can be redos: the agent run is looked up for
    # those few, not for every call.)
    done = calls.filter(pl.col("succeeded") & pl.col("output").is_not_null()).filter(
        pl.len().over("run_key", "agent", "call", "call_args", "output") > 1
    )
    return _identical_repeats(agent_run_of(ctx, done), by=("owner",)).filter(~no_args & ~pl.col("then_moves"))


def _agent_steps(ctx: Context) -> pl.LazyFrame:
    """The steps of each agent run: chain spans whose parent is an agent span (smolagents'
    ``Step N`` spans under ``<Agent>.run``, OpenInference ``_StepWrapper``), with the agent
    span as ``parent_id``."""
    s = ctx.spans.lazy()
    agents = s.filter(pl.col("kind") == "agent").select("run_key", pl.col("span_id").alias("parent_id"))
    return s.filter(pl.col("kind") == "chain").join(agents, on=["run_key", "parent_id"], how="semi")


def plan_updates(ctx: Context) -> pl.LazyFrame:
    """``run_key, agent, ev_id, ev_t, owner``: the plan updates of each agent run: model calls the run makes
    directly (outside any step) between its first and last step (smolagents ``planning_interval``:
    ``_run_stream`` -> ``_generate_planning_step``); not the initial plan, not the framework's closing
    model call at the step limit."""
    steps = (
        _agent_steps(ctx)
        .group_by("run_key", "parent_id")
        .agg(pl.col("seq").min().alias("s_first"), pl.col("seq").max().alias("s_last"))
    )
    updates = (
        ctx.spans.lazy()
        .filter(pl.col("kind") == "llm")
        .join(steps, on=["run_key", "parent_id"])
        .filter((pl.col("seq") > pl.col("s_first")) & (pl.col("seq") < pl.col("s_last")))
        .select("run_key", "agent", "span_k", "parent_id", pl.col("span_id").alias("ev_id"), pl.col("t").alias("ev_t"))
    )
    # ``owner``: the agent run that updated its plan (the update's parent, an agent span).
    return agent_run_of(ctx, updates, hops=1).drop("span_k", "parent_id")


#: Consecutive parsing errors that make a streak: the second one means the format the first
#: error restated (smolagents' parsing error quotes the expected "Thoughts: ... Code: ```py ..."
#: pattern) was ignored on the very next step. One error fixed at once is ordinary.
_FORMAT_STREAK = 2


@register
class RepeatedFormatError(Detector):
    name = "repeated_format_error"
    failure_class = "context_collapse"
    scope = "run"
    severity = "medium"
    strength = "weak"
    description = (
        "Two or more consecutive steps of one agent run fail with a parsing error (smolagents "
        "AgentParsingError, conventions column agent_error: the model's output was not in the step "
        "format it was told to use, e.g. no code blob), each error shown to the model with the "
        "format again: the next output ignored the format the error had just restated. A parsing "
        "error fixed in the next step is ordinary."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        n = _FORMAT_STREAK
        fmt = pl.col("agent_error").fill_null("").str.contains("ParsingError")
        steps = (
            _agent_steps(ctx)
            .select("run_key", "run_id", "parent_id", "span_id", "seq", "t", "agent", fmt.alias("fmt"))
            .sort("run_key", "seq")
            # A new streak starts wherever the step's kind (format error or not) changes.
            .with_columns(
                (pl.col("fmt") != pl.col("fmt").shift(1))
                .fill_null(True)
                .cum_sum()
                .over("run_key", "parent_id")
                .alias("streak")
            )
        )
        streaks = (
            steps.filter(pl.col("fmt"))
            .group_by("run_key", "parent_id", "streak")
            .agg(
                pl.col("run_id").first(),
                pl.col("agent").first().fill_null("(no agent)"),
                pl.col("span_id").alias("ids"),
                pl.col("span_id").first().alias("first_id"),
                pl.len().alias("n"),
                pl.col("t").min().alias("first_t"),
                pl.col("t").max().alias("last_t"),
            )
            .filter(pl.col("n") >= n)
        )
        per_run = (
            streaks.sort("run_key", "first_t")
            .group_by("run_key")
            .agg(pl.all().first())
        )
        return per_run.select(
            finding(
                "run_id",
                pl.col("ids"),
                "first_id",
                pl.format(
                    "agent {} failed {} steps in a row between {} and {} with a parsing error (its output was "
                    "not in the step format it was asked for), although each error restated the format",
                    pl.col("agent"),
                    pl.col("n"),
                    hms("first_t"),
                    hms("last_t"),
                ),
            )
        )


@register
class RedoAfterReplan(Detector):
    name = "redo_after_replan"
    failure_class = "context_collapse"
    scope = "run"
    severity = "medium"
    strength = "weak"
    description = (
        "After a plan update (a model call an agent run makes between its steps, outside any step: "
        "smolagents' planning_interval planning step), the agent redoes a tool call it had already "
        "completed before the update (same tool and normalised arguments) and gets the identical "
        "result: the new plan dropped what it had already learned. Calls without arguments (moving "
        "within the current page) and a call followed by one (re-opening a page to read on) are "
        "navigation, not redos."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        # Decisive: the plan update, the span that dropped what the run had established
        # (docs/DETECTORS.md, "Which span is decisive"; as redelegated_after_replan).
        updates = plan_updates(ctx)
        per_run = _first_redo_per_run(_redone_calls(ctx, updates), updates, decisive="event")
        return per_run.select(
            finding(
                "run_id",
                pl.col("ids"),
                "decisive",
                pl.format(
                    "agent {} completed tool {} at {}, updated its plan at {}, and at {} called {} again with "
                    "the same arguments and got the identical result ({} such redo(s) in the run): the new "
                    "plan dropped what it had already learned",
                    pl.col("agent"),
                    txt(pl.col("call")),
                    hms("prev_t"),
                    hms("ev_t"),
                    hms("t"),
                    txt(pl.col("call")),
                    pl.col("n"),
                ),
            )
        )
