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

Re-verification is the same loop in other words: a manager that asks its researcher again what it
already asked ("... (independent re-check #2)") after the reports agreed pays a full sub-agent run
for nothing new each time (:func:`reasked_after_agreement`). Its decisive span is the caller's
model call that first asked again (the decision; for a smolagents manager, the model's tool call
naming the managed agent).
"""

from __future__ import annotations

import polars as pl

from forensics.conventions.sub_agent_requests import request_words
from forensics.detectors.base import Context, Detector, hms, txt
from forensics.detectors.delegated_work import delegations
from forensics.detectors.delegation_loop import task_key
from forensics.detectors.findings import per_run_finding
from forensics.detectors.registry import findings_of, register
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
        "budgets.max_sub_agent_calls where the policy sets it; or more than thresholds.repeat_count calls "
        "that asked again what an earlier call had asked (every word of it, and maybe more: a re-check) once "
        "it had come back, and got back the report the sub-agent had already given (cited links aside): "
        "re-verifying what the reports already agreed on. Not where repeated_delegation found the "
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
                # The sub-agent span's own input as written (a non-tool span's ``args`` keeps its spacing).
                pl.col("args").alias("request"),
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
        agreed = reasked_after_agreement(s, d, pol.repeat_count)
        rows = pl.concat([same, over]).unique(["run_key", "span_id"], keep="first", maintain_order=True)
        # A run whose same request crossed the limit is told as that; the re-asks are the rest.
        agreed = agreed.join(rows.select("run_key").unique(), on="run_key", how="anti")
        rows = pl.concat([rows.with_columns(pl.lit(False).alias("_agreed")), agreed], how="diagonal_relaxed")
        looped = findings_of(ctx, RepeatedDelegation).lazy().select("run_id")
        rows = rows.join(looped, on="run_id", how="anti")
        return per_run_finding(
            rows,
            key="run_key",
            first=["by_agent", "agent", "t", "_stated", "_agreed", "calls"],
            also=[pl.col("t").max().alias("last_t")],
            explanation=pl.format(
                "{} called sub-agent {} {} time(s) between {} and {}{}, each call a sub-agent run of its own",
                txt(pl.col("by_agent")),
                txt(pl.col("agent")),
                pl.col("n"),
                hms("t"),
                hms("last_t"),
                pl.when(pl.col("_agreed"))
                .then(
                    pl.format(
                        ", each asking again what an earlier call had asked (its words and more) after the sub-agent's "
                        "reports had already agreed, so the re-asks brought nothing new (more than {})",
                        pl.lit(pol.repeat_count),
                    )
                )
                .when(pl.col("_stated"))
                .then(pl.format(", more than the policy's {} (budgets.max_sub_agent_calls)", pl.lit(stated)))
                .otherwise(
                    pl.format(", with the same request each time (more than {})", pl.lit(pol.repeat_count))
                ),
            ),
        )


#: A link in a report: the page a sub-agent cites changes from run to run while what it reports
#: stays the same (a search ranks the same facts on other pages).
_LINK = r"https?://\S+"


def _words(request: pl.Expr) -> pl.Expr:
    """A request's words, each once, lower case, JSON keys dropped (as :func:`request_words`' bag),
    read from the request's text with its JSON escapes taken as the spacing they stand for (a
    smolagents managed agent's task is its prompt template with the task inside, serialised as
    JSON: ``"Task:\\nWhen do ..."``)."""
    text = request.str.replace_all(r"\\[nrt]", " ").str.replace_all(r'\\?"[^"\\]*\\?"\s*:', " ")
    return text.str.to_lowercase().str.extract_all(r"\w+").list.unique()


def reasked_after_agreement(s: pl.LazyFrame, d: pl.LazyFrame, repeat_count: int) -> pl.LazyFrame:
    """Calls of one sub-agent that asked again what an earlier call of the series had asked (every
    word of the earlier request, and maybe more: "... (independent re-check #2)", "verify again:
    ...") once that call had come back, and got back the report the sub-agent had already given
    (the same words, cited links aside), more than ``repeat_count`` such calls by one agent. A
    smolagents manager's managed agent runs afresh at every call (src/smolagents/agents.py
    ``MultiStepAgent.__call__``: ``self.run(full_task, **kwargs)``, the task wrapped in the managed
    agent's prompt), and an Agents SDK ``Agent.as_tool`` call is a whole ``Runner.run``: each
    re-verification of facts the reports already agreed on is a sub-agent run paid for again.
    A request asked once more after a report that differed, or calls after a wait (polling), are
    not counted. Rows: the series' columns, with the span and seq of the caller's model call that
    asked (its latest model call before the sub-agent started: the decision to ask again), else the
    delegated run's."""
    calls = (
        d.filter(pl.col("words").fill_null("") != "")
        .join(s.select("run_key", "span_id", "output"), on=["run_key", "span_id"], how="left")
        .with_columns(
            task_key(pl.col("output").str.replace_all(_LINK, "")).alias("_report"),
            # The words of the request as written, else (an agent called as a tool, whose span records
            # no input) the tool call's words kept apart (conventions sub_agent_requests).
            pl.coalesce(_words(pl.col("request")), pl.col("words").str.split(" | ").list.first().str.split(" ")).alias("_w"),
            pl.coalesce("end_time", "t").alias("_back"),
        )
        .filter(pl.col("_report").fill_null("") != "")
        .collect()
    )
    group = ["run_key", "by_agent", "agent"]
    # Every word of the earlier request in the later one: the earlier's words, one row each, all
    # found among the later's (pairs within one caller's series of one sub-agent only).
    pairs = (
        calls.select(*group, pl.col("span_id").alias("_e"), pl.col("_back").alias("_e_back"), pl.col("_report").alias("_e_report"), pl.col("_w").alias("_e_w"))
        .join(calls.select(*group, "span_id", "t", "_report", "_w"), on=group)
        .filter((pl.col("t") >= pl.col("_e_back")) & (pl.col("_report") == pl.col("_e_report")))
        .with_row_index("_pair")
    )
    # Each call's words once (not once per pair: a series of 64 calls makes 2,016 pairs).
    later = calls.select("run_key", "span_id", pl.col("_w").alias("_word")).explode("_word").unique()
    found = (
        pairs.select("_pair", "run_key", "span_id", pl.col("_e_w").alias("_word"), pl.col("_e_w").list.len().alias("_need"))
        .explode("_word")
        .join(later, on=["run_key", "span_id", "_word"])
        .group_by("_pair")
        .agg(pl.len().alias("_got"), pl.col("_need").first())
        .filter(pl.col("_got") == pl.col("_need"))
    )
    again = (
        pairs.join(found.select("_pair"), on="_pair", how="semi")
        .group_by("run_key", "span_id")
        .agg(pl.col("_e_back").max().alias("_prev_end"))
    )
    rows = calls.join(again, on=["run_key", "span_id"]).lazy()
    rows = rows.join(waited_since(s, rows), on=["run_key", "span_id"], how="anti").filter(pl.len().over(group) > repeat_count)
    # The decision to ask again: the caller's latest model call before the sub-agent started.
    asks = (
        s.filter(pl.col("kind") == "llm")
        .select("run_key", pl.col("agent").alias("by_agent"), pl.col("t").alias("_ask_t"), pl.col("span_id").alias("_ask"), pl.col("seq").alias("_ask_seq"))
        .drop_nulls(["by_agent", "_ask_t"])
        .sort("_ask_t")
    )
    rows = rows.sort("t").join_asof(asks, left_on="t", right_on="_ask_t", by=["run_key", "by_agent"], strategy="backward", check_sortedness=False)
    return rows.select(
        *group,
        "run_id",
        pl.coalesce("_ask", "span_id").alias("span_id"),
        pl.coalesce("_ask_seq", "seq").alias("seq"),
        "t",
        "end_time",
        "words",
        "calls",
        pl.lit(False).alias("_stated"),
        pl.lit(True).alias("_agreed"),
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
