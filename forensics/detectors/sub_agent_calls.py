"""runaway_cost: one agent called the same sub-agent with the same request over and over.

The OpenAI Agents SDK's ``Agent.as_tool`` (openai-agents-python ``src/agents/agent.py``) wraps a
whole nested ``Runner.run`` of the sub-agent in a function tool: each call the orchestrator's model
makes runs the sub-agent afresh, with its own turns and model calls (traced as a ``function`` span
with the tool's input, the sub-agent's ``agent`` span under it: ``src/agents/tracing/``). Nothing
bounds how often: an orchestrator that keeps asking its research tool the same question pays for a
full sub-agent run each time (64 calls, 7.1M tokens, in one run). A smolagents manager calling a
managed agent from its code is the same shape.

How many calls are too many is not one number: a wide research run asks one sub-agent about 64
different companies and is healthy. So the rule counts what no healthy run does, the same request
(the same words, whatever their case, order or punctuation) sent to the same sub-agent more than
``repeat_count`` times over more than one decision (not one batch sent side by side: sampling the
same question in parallel to vote is a design); or, where the policy states it
(``budgets.max_sub_agent_calls``, not set by default), more calls of one sub-agent than that. A run
where ``repeated_delegation`` already found the loop (the same report back each time) is that
loop's story, told once. A call the caller made after waiting (a wait or sleep tool or step of its
own since the previous call of the series: :data:`WAITED`) is polling a state that changes (an
orchestrator asking its CI agent "has run 4821 finished?" every two minutes), not asking again;
such calls are not counted.
"""

from __future__ import annotations

import polars as pl

from forensics.conventions.sub_agent_requests import request_words
from forensics.detectors.base import Context, Detector, hms, txt
from forensics.detectors.delegated_work import delegations
from forensics.detectors.findings import per_run_finding
from forensics.detectors.registry import register
from forensics.policy import Threshold

#: A step whose name says the caller waited on purpose: a ``wait`` / ``sleep`` / ``delay`` tool
#: (an Agents SDK function tool, a LangChain tool), ``time.sleep`` or ``asyncio.sleep`` as a step.
WAITED = r"(?i)(?:^|[^a-z])(?:wait|sleep|delay|pause)(?:[^a-z]|$)"
#: A wait written in the code the caller runs, with its seconds: a smolagents CodeAgent's model
#: writes Python (``time.sleep(120)`` in a polling loop) that the local executor runs inside the
#: step, with no span of its own (src/smolagents/agents.py CodeAgent._step_stream: the code parsed
#: from the model's output is run by python_executor; local_python_executor.py runs ``time`` and
#: ``asyncio`` calls as any other). The OpenInference instrumentation records the code in the
#: model call's output (``_ModelWrapper``: output.value, the ChatMessage JSON) and the step's
#: execution logs as the ``Step N`` span's output (``_StepWrapper``: observations).
CODE_SLEEP = r"(?:\b(?:time|asyncio)\.)?\bsleep\(\s*(?:(?:secs|seconds|delay)\s*=\s*)?(\d+(?:\.\d+)?)"


@register
class RepeatedSubAgentCalls(Detector):
    name = "repeated_sub_agent_calls"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "medium"
    thresholds = (
        Threshold(
            "max_sub_agent_calls",
            0,
            "Calls of one sub-agent (an agent as a tool, a managed agent) by one "
            "agent in one run, at most (0: not set).",
            "an integer >= 0 (0 disables)",
            lambda v: v >= 0,
            table="budgets",
            required=False,
        ),
    )
    strength = "strong"
    description = (
        "One agent called the same sub-agent (an OpenAI Agents SDK Agent.as_tool, a managed agent) with "
        "the same request (the same words, in any order, case or punctuation) more than "
        "thresholds.repeat_count times, over more than one decision (not one batch sent side by side), "
        "each call a full sub-agent run paid for again; or more calls of one sub-agent than "
        "budgets.max_sub_agent_calls where the policy sets it. Not where repeated_delegation found the "
        "same report back each time (that loop's story)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        from forensics.detectors.delegation_loop import RepeatedDelegation

        pol = ctx.policy
        stated = int(pol.max_sub_agent_calls)
        floor = min(pol.repeat_count, stated) if stated else pol.repeat_count
        s = ctx.spans.lazy()
        # The request: the sub-agent span's own input, else the tool call around it (as_tool's
        # function span holds the input; the SDK's agent span records none).
        # The tool call's request words are kept apart by a convention (sub_agent_requests): its
        # ``args`` has no whitespace.
        callers = s.select(
            "run_id",
            pl.col("span_id").alias("parent_id"),
            pl.col("request_words").alias("_p_words"),
            pl.col("args").alias("_p_args"),
        )
        group = ["run_key", "by_agent", "agent"]
        d = (
            delegations(ctx)
            .filter(pl.len().over(group) > floor)
            .join(callers, on=["run_id", "parent_id"], how="left")
            .select(
                *group,
                "run_id",
                "span_id",
                "seq",
                "t",
                "end_time",
                pl.coalesce(
                    request_words(pl.col("args")), "_p_words", request_words(pl.col("_p_args"))
                ).alias("words"),
            )
            .with_columns(pl.len().over(group).alias("calls"))
        )
        same = (
            d.filter(pl.col("words").fill_null("") != "")
            .filter(pl.len().over(*group, "words") > pol.repeat_count)
            # Over more than one decision: some call started after the first of them came back.
            .with_columns(pl.coalesce("end_time", "t").min().over(*group, "words").alias("_back"))
            .with_columns((pl.col("t") >= pl.col("_back")).any().over(*group, "words").alias("_again"))
            .filter(pl.col("_again"))
            .drop("_back", "_again")
        )
        # Polling, not asking again: a call made after the caller waited since the series' previous
        # call is not counted; what is left must still be more than repeat_count calls.
        series = [*group, "words"]
        same = same.sort(*series, "t", "span_id").with_columns(
            pl.coalesce("end_time", "t").shift(1).over(series).alias("_prev_end")
        )
        waited = waited_since(s, same)
        same = (
            same.join(waited, on=["run_key", "span_id"], how="anti")
            .filter(pl.len().over(series) > pol.repeat_count)
            .drop("_prev_end")
            .with_columns(pl.lit(False).alias("_stated"))
        )
        over = (d.filter(pl.col("calls") > stated) if stated else d.filter(pl.lit(False))).with_columns(
            pl.lit(True).alias("_stated")
        )
        rows = pl.concat([same, over]).unique(["run_key", "span_id"], keep="first", maintain_order=True)
        looped = RepeatedDelegation().detect(ctx).select("run_id")
        rows = rows.join(looped, on="run_id", how="anti")
        return per_run_finding(
            rows,
            key="run_key",
            first=["by_agent", "agent", "t", "_stated", "calls"],
            also=[pl.col("t").max().alias("last_t")],
            explanation=pl.format(
                "{} called sub-agent {} {} time(s) between {} and {}{}, each call a sub-agent run of its own",
                txt(pl.col("by_agent")),
                txt(pl.col("agent")),
                pl.col("n"),
                hms("t"),
                hms("last_t"),
                pl.when(pl.col("_stated"))
                .then(pl.format(", more than the policy's {} (budgets.max_sub_agent_calls)", pl.lit(stated)))
                .otherwise(
                    pl.format(", with the same request each time (more than {})", pl.lit(pol.repeat_count))
                ),
            ),
        )


def waited_since(s: pl.LazyFrame, calls: pl.LazyFrame) -> pl.LazyFrame:
    """``run_key, span_id`` of the ``calls`` (with ``by_agent``, ``t`` and ``_prev_end``, the end of
    the previous call of their series) that the caller made after waiting since ``_prev_end``: a
    wait or sleep tool of its own between the two (:data:`WAITED`), or code that sleeps
    (:func:`_slept_in_code`). Polling a state that changes, not asking again."""
    waits = s.filter(pl.col("call").str.contains(WAITED).fill_null(False)).select(
        "run_key", pl.col("agent").alias("by_agent"), pl.col("t").alias("w_t")
    )
    waited = (
        calls.join(waits, on=["run_key", "by_agent"])
        .filter((pl.col("w_t") >= pl.col("_prev_end")) & (pl.col("w_t") <= pl.col("t")))
        .select("run_key", "span_id")
    )
    return pl.concat([waited, _slept_in_code(s, calls)]).unique()


def _slept_in_code(s: pl.LazyFrame, calls: pl.LazyFrame) -> pl.LazyFrame:
    """``run_key, span_id`` of the ``calls`` (with ``by_agent``, ``t`` and ``_prev_end``, the end
    of the series' previous call) made by code that waits: the caller's latest model call or step
    before the call (the code it was running) holds a sleep of N seconds (:data:`CODE_SLEEP`),
    and the caller was idle at least half of N between the previous call's end and this one. A
    sleep that has no span is seen by the time it took; code that sleeps a second and calls again
    at once is not polling a state that changes."""
    code = (
        s.filter(pl.col("kind").is_in(["llm", "chain"]) & ~pl.col("is_root"))
        .select("run_key", pl.col("agent").alias("by_agent"), pl.col("t").alias("_code_t"),
                # A model call's code is its output; a step's input is in ``args`` (a tool's only is
                # stripped of whitespace), its execution logs in its output.
                pl.concat_str([pl.col("args").fill_null(""), pl.col("output").fill_null("")], separator="\n").alias("_code"))
        .with_columns(pl.col("_code").str.extract(CODE_SLEEP, 1).cast(pl.Float64, strict=False).alias("_sleep_s"))
        .drop("_code")
        .drop_nulls(["by_agent", "_code_t"])
        .sort("_code_t")
    )  # fmt: skip
    asked = calls.filter(pl.col("_prev_end").is_not_null()).select(
        "run_key", "by_agent", "span_id", "t", "_prev_end"
    )
    return (
        asked.sort("t")
        .join_asof(
            code,
            left_on="t",
            right_on="_code_t",
            by=["run_key", "by_agent"],
            strategy="backward",
            check_sortedness=False,
        )
        .filter(
            (pl.col("_sleep_s") > 0)
            & ((pl.col("t") - pl.col("_prev_end")).dt.total_milliseconds() >= pl.col("_sleep_s") * 500)
        )
        .select("run_key", "span_id")
    )
