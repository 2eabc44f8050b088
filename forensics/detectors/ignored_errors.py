"""Failures handed back to the model that it then did nothing with (``ignored_tool_errors``),
shared by unhandled_error, swallowed_error and claimed_but_not_done."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context, failure_followups
from forensics.detectors.claim_vocabulary import tool_verb_object
from forensics.detectors.handling import MENTIONS_FAILURE as MENTIONS_FAILURE
from forensics.detectors.handling import tells

#: Tools whose call is the agent's answer, not work: smolagents' ``FinalAnswerTool`` (``name =
#: "final_answer"``, src/smolagents/default_tools.py), which every CodeAgent and ToolCallingAgent ends on.
ANSWER_TOOLS: Final = ("final_answer",)


def ignored_tool_errors(ctx: Context) -> pl.DataFrame:
    """Tool errors the framework handed back to the model (``error_handled``: the OpenAI Agents
    SDK's ``failure_error_function`` text as the tool's output, a LangGraph ToolNode error message,
    a Claude Code ``is_error`` result) that the model then did nothing with: no retry of the tool,
    no fallback, no escalation, no tool, retriever or handoff at all afterwards (after a failed
    write: no successful tool with the same verb or object afterwards), and a final answer that
    reports success without a word of the failure. The span rows (every ``ctx.spans`` column),
    shared by unhandled_error and claimed_but_not_done (a claim about such a call is this failure,
    told once)."""

    def build() -> pl.LazyFrame:
        follow = failure_followups(ctx).lazy()
        runs = ctx.runs.lazy().select(
            "run_id", "structured_failure", "span_count", "reported_outcome", "final_output", "empty_answer"
        )
        s = ctx.spans.lazy()
        work = s.filter(pl.col("kind").is_in(["tool", "retriever", "handoff"]))
        # Delivering the answer is no way around the failure (smolagents' FinalAnswerTool).
        # Work the model could have done about the failure starts after the failure came back: a call
        # of the same parallel batch (LangGraph's ToolNode runs a turn's tool calls concurrently; the
        # Agents SDK likewise) that started before the failed call ended was issued with it, not after it.
        later_work = work.filter(~pl.col("call_tool").is_in(ANSWER_TOOLS).fill_null(False)).select(
            "run_id", pl.col("seq").alias("_w_seq"), pl.col("t").alias("_w_t")
        )
        errors = (
            s.filter(
                pl.col("failed")
                & pl.col("error_handled")
                # A delegation call answered with an error (Claude Code's Task tool) is handed back too;
                # so is a call of a tool the agent does not have, refused on its step before any tool
                # span opened (smolagents' execute_tool_call: "Unknown tool X, should be one of: ...",
                # conventions ``unknown_tool``). A refused delegation is unknown_delegate's.
                & (pl.col("kind").is_in(["tool", "handoff"]) | pl.col("unknown_tool").is_not_null())
                & ~pl.col("limit_stop")
                & ~(pl.col("attempt_count") > 1).fill_null(False)
                & ~pl.col("retried_below")
            )
            .join(follow, on=["run_id", "span_id"])
            .join(runs, on="run_id")
            .filter(
                ~pl.col("retried")
                & ~pl.col("fell_back")
                & ~pl.col("escalated")
                & ~pl.col("structured_failure")
                & (pl.col("reported_outcome") == "success")
                & pl.col("final_output").is_not_null()
                & ~pl.col("empty_answer")
                & ~pl.col("final_output").str.contains(MENTIONS_FAILURE).fill_null(False)
                # Nor names the fault in the words every other rule reads as telling (TELLS_OF_FAULT:
                # "a technical issue", "a service issue", which MENTIONS_FAILURE has no word for).
                & ~tells(pl.col("final_output"))
            )
        )
        # A refused call that handed a task to an agent the manager does not have is ownership_gap's
        # (unknown_delegate): one failure, one class.
        from forensics.detectors.unknown_delegate import unknown_delegations

        errors = errors.join(unknown_delegations(ctx).select("run_id", "span_id"), on=["run_id", "span_id"], how="anti")
        # What came after: nothing at all; or, after a failed write (a side-effecting tool), no
        # successful write doing that change another way (a tool with the same verb or the same
        # object: update_address -> set_shipping_address). Other work after a failed write does not
        # make the change; after a failed read, any later work may be the way around it.
        names = s.filter(pl.col("kind") == "tool").select("call_tool").unique().drop_nulls().collect()
        parts = [(n, vo) for n in names.get_column("call_tool").to_list() if (vo := tool_verb_object(n)) is not None]
        words = pl.DataFrame(
            {
                "call_tool": [n for n, _ in parts],
                "verb": [vo[0] for _, vo in parts],
                "obj": [vo[1][-1] for _, vo in parts],
            },
            schema={"call_tool": pl.String, "verb": pl.String, "obj": pl.String},
        ).lazy()
        redone = (
            errors.filter(pl.col("is_side_effect"))
            .select("run_id", "span_id", "seq", "call_tool")
            .join(words, on="call_tool")
            .join(
                work.filter(pl.col("succeeded") & (pl.col("kind") == "tool") & pl.col("is_side_effect"))
                .select("run_id", pl.col("seq").alias("l_seq"), pl.col("call_tool").alias("l_tool"))
                .join(words.rename({"call_tool": "l_tool", "verb": "l_verb", "obj": "l_obj"}), on="l_tool"),
                on="run_id",
            )
            .filter(
                (pl.col("l_seq") > pl.col("seq"))
                & ((pl.col("l_verb") == pl.col("verb")) | (pl.col("l_obj") == pl.col("obj")))
            )
            .select("run_id", "span_id")
            .unique()
        )
        worked_after = (
            errors.select("run_id", "span_id", "seq", pl.coalesce("end_time", "t").alias("_end"))
            .join(later_work, on="run_id")
            .filter((pl.col("_w_seq") > pl.col("seq")) & (pl.col("_w_t") >= pl.col("_end")))
            .select("run_id", "span_id")
            .unique()
        )
        return (
            errors.join(redone, on=["run_id", "span_id"], how="anti")
            .join(acted_on_error(errors, work), on=["run_id", "span_id"], how="anti")
            .join(worked_after.with_columns(pl.lit(True).alias("_worked")), on=["run_id", "span_id"], how="left")
            .filter(pl.col("_worked").is_null() | pl.col("is_side_effect"))
            .drop("_worked")
        )

    # build() collects as it goes (the distinct tool names): run on the first call only.
    return ctx.once("ignored_tool_errors", lambda: build().collect())


def acted_on_error(errors: pl.LazyFrame, work: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the handed-back ``errors`` that a later call of the run acted on: its
    arguments name an identifier that only the error had given (conventions ``error_names``, not in
    the failed call's own arguments). A 409 "receipts r-1..r-5 already belong to report
    ER-55102", then ``get_expense_report(report_id="ER-55102")``: the model read the error and went
    after what it named. Not ignored, whatever the call was (a read after a failed write included)."""
    named = (
        errors.select("run_id", "span_id", "seq", pl.col("args").fill_null(""), pl.col("error_names").alias("_name"))
        .explode("_name")
        .filter(pl.col("_name").is_not_null() & ~pl.col("args").str.contains(pl.col("_name"), literal=True))
    )
    later = work.filter(pl.col("args").is_not_null() & ~pl.col("call_tool").is_in(ANSWER_TOOLS).fill_null(False)).select(
        "run_id", pl.col("seq").alias("_a_seq"), pl.col("args").alias("_a_args")
    )
    return (
        named.join(later, on="run_id")
        .filter((pl.col("_a_seq") > pl.col("seq")) & pl.col("_a_args").str.contains(pl.col("_name"), literal=True))
        .select("run_id", "span_id")
        .unique()
    )


def lost_with_ignored(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the earlier failed attempts of an ignored call (:func:`ignored_tool_errors`):
    failed tool calls of the same tool, handed back to the model, before it. The model tried again,
    got the error back each time and gave up (DSPy ReAct's "Execution error in search_wikipedia"
    three times, then finish: dspy/predict/react.py keeps each exception as the observation). Handed
    back, they were the model's to act on, and its last word on them was to ignore them: the
    framework's hand-back made none of them good (handling.failure_handling gives them no
    ``framework`` credit), though a retry that succeeded or a message that told of them still did."""
    ignored = ignored_tool_errors(ctx).lazy().select("run_id", "call_tool", pl.col("seq").alias("_i_seq"))
    return (
        ctx.spans.lazy()
        .filter(pl.col("failed") & pl.col("error_handled") & (pl.col("kind") == "tool"))
        .select("run_id", "span_id", "seq", "call_tool")
        .join(ignored, on=["run_id", "call_tool"])
        .filter(pl.col("seq") < pl.col("_i_seq"))
        .select("run_id", "span_id")
        .unique()
    )
