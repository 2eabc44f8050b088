"""Who sent a tool call again: the agent's own model, or the runtime around it.

A retry is the runtime or a wrapper sending the same request again (an HTTP client's resend,
tenacity, a client's ``maxRetries``, a tool wrapper's loop): no model call decides it. A repeat is
the agent's model choosing the same action again after it saw the result: every such call is the
tool call of a model response (Claude Code writes each ``tool_use`` in the assistant message that
issued it; OpenHands writes the response that issued an action on the action itself,
``tool_call_metadata.model_response``, openhands/events/tool.py; an OpenAI-style agent loop calls the
model, then the tools its response asked for; in a group chat's history with no model call, AG2's,
each agent message is its model's reply and the terminal runs the code it holds). retry_storm judges
retries, repeated_action repeats.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context


def model_decided(ctx: Context, calls: pl.LazyFrame, key: list[str]) -> pl.LazyFrame:
    """``calls`` (tool spans with ``run_key``, ``agent``, ``span_id``, ``seq``, ``t``, ``end_time``,
    ``model``, ``input_tokens``) with ``decided``: the call is the first of its ``key`` group, or a
    model call of the same agent (of any agent, for an agent that calls no model) started between the end of the group's previous call and this
    call's start (both included: a transcript stamps a response and its tool call alike), or the
    call carries the model response that issued it (``model`` or usage on the tool span itself).
    Time, not ``seq``, orders the model call and its tool call: loaders that stamp both alike may
    order either first."""
    # The run's order is the window's own (order_by), not a sort of every call with its texts.
    chain = (
        calls.with_columns(pl.coalesce("end_time", "t").shift(1).over(key, order_by="seq").alias("_prev_end"))
        .collect()
        .lazy()
    )
    # The latest model call at or before each repeat (as-of joins: a run's model calls are never
    # paired with all its repeats), of the same agent, and of any agent: an agent that never calls a
    # model runs the calls another's model asked for (LangGraph's ToolNode "tools" executes the
    # tool_calls of the "agent" node's response), so any model call counts for it.
    agent = pl.col("agent").fill_null("").alias("_a")
    # A run that holds no model call but agent messages (a group chat's history: AG2 writes each
    # agent's reply, ConversableAgent.generate_reply, as one message; the code terminal runs the code
    # of the message before it) has its model responses as those messages.
    # Only the repeats (the calls with a previous one) are looked up: most tool calls are single.
    taken = (
        chain.filter(pl.col("_prev_end").is_not_null()).select("run_key", "span_id", "t", "_prev_end", agent).collect()
    )
    # Everything below pairs a repeat with model calls of its own run: only those runs' spans are
    # read (the whole table's model calls, sorted for the as-of joins, were most of the time).
    spans = ctx.spans.lazy().filter(pl.col("run_key").is_in(taken.get_column("run_key").unique().implode()))
    talking = spans.filter(pl.col("kind") == "llm").select("run_key").unique()
    messages = spans.filter(pl.col("kind") == "agent").join(talking, on="run_key", how="anti")
    models = pl.concat(
        [spans.filter(pl.col("kind") == "llm").select("run_key", agent, pl.col("t").alias("_m_t")),
         messages.select("run_key", agent, pl.col("t").alias("_m_t"))]
    )
    talkers = models.select("run_key", "_a", pl.lit(True).alias("_talks")).unique()
    repeats = taken.lazy().join(talkers, on=["run_key", "_a"], how="left").sort("t")
    asked = (
        repeats.join_asof(
            models.sort("_m_t"),
            left_on="t",
            right_on="_m_t",
            by=["run_key", "_a"],
            strategy="backward",
            check_sortedness=False,
        )
        .join_asof(
            models.select("run_key", pl.col("_m_t").alias("_any_t")).sort("_any_t"),
            left_on="t",
            right_on="_any_t",
            by="run_key",
            strategy="backward",
            check_sortedness=False,
        )
        .select(
            "run_key",
            "span_id",
            (
                (pl.col("_m_t") >= pl.col("_prev_end")).fill_null(False)
                | (pl.col("_talks").is_null() & (pl.col("_any_t") >= pl.col("_prev_end")).fill_null(False))
            ).alias("_asked"),
        )
    )
    carries = pl.col("model").is_not_null() | pl.col("input_tokens").is_not_null()
    return (
        chain.join(asked, on=["run_key", "span_id"], how="left")
        .with_columns(
            (pl.col("_prev_end").is_null() | carries | pl.col("_asked").fill_null(False)).alias("decided")
        )
        .drop("_prev_end", "_asked")
        .sort("run_key", "seq")
    )
