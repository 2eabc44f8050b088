"""Where an error-shaped result was read as data, for ``silent_failure.error_as_data``: the answer
that passed it on, and the tool call the agent read it through."""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context


def answered_with_error(failing: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, _answer_id`` of the ``failing`` spans (``run_id, span_id, seq, agent,
    call_tool``: failed calls and error-shaped results) that the same agent then followed with an
    error-shaped answer of its own (its answer tool, smolagents' final_answer; the answer span is
    among ``failing``): a managed agent whose visit_webpage got "429 Too Many Requests" and answered
    "Error: could not retrieve ...: 429 Too Many Requests" told its caller; what was read as data, if
    anything, is that answer, which stays."""
    from forensics.detectors.ignored_errors import ANSWER_TOOLS

    answers = failing.filter(pl.col("call_tool").is_in(ANSWER_TOOLS).fill_null(False)).select(
        "run_id", "agent", pl.col("seq").alias("_a_seq"), pl.col("span_id").alias("_answer_id")
    )
    return (
        failing.select("run_id", "span_id", "seq", "agent")
        .join(answers, on=["run_id", "agent"], nulls_equal=True)
        .filter(pl.col("_a_seq") > pl.col("seq"))
        .sort("run_id", "span_id", "_a_seq")
        .group_by("run_id", "span_id")
        .agg(pl.col("_answer_id").first())
    )


def passed_on_as_answer(shaped: pl.LazyFrame) -> pl.LazyFrame:
    """``shaped`` without the error-shaped results an agent then gave as its own answer
    (:func:`answered_with_error`)."""
    return shaped.join(answered_with_error(shaped), on=["run_id", "span_id"], how="anti")


def calling_tool(ctx: Context, rows: pl.LazyFrame) -> pl.LazyFrame:
    """``rows`` (spans with ``run_id``, ``span_id``, ``seq``) named by the tool call that holds them,
    where one does (up to three levels up): a retriever inside a query-engine tool (LlamaIndex's
    QueryEngineTool.call -> RetrieverQueryEngine.query -> VectorIndexRetriever.retrieve) returned
    nothing, and what the agent read was that tool's result (with no nodes the response
    synthesizer answers "Empty Response", llama_index/core/response_synthesizers/base.py). The
    agent misread the call it made: that call is the decisive span, the retrieval under it the
    reason. Rows with no tool above them are kept as they are."""
    s = ctx.spans.lazy().select("run_id", "span_id", "parent_id", "kind", "seq")
    up = rows.join(
        s.select("run_id", "span_id", pl.col("parent_id").alias("_p0")), on=["run_id", "span_id"], how="left"
    )
    for level in range(3):
        hop = s.select(
            "run_id", pl.col("span_id").alias(f"_p{level}"), pl.col("parent_id").alias(f"_p{level + 1}"),
            pl.when(pl.col("kind") == "tool").then(pl.col("span_id")).alias(f"_t{level}"),
            pl.when(pl.col("kind") == "tool").then(pl.col("seq")).alias(f"_s{level}"),
        )
        up = up.join(hop, on=["run_id", f"_p{level}"], how="left")
    tool_id = pl.coalesce(*[pl.col(f"_t{i}") for i in range(3)])
    tool_seq = pl.coalesce(*[pl.col(f"_s{i}") for i in range(3)])
    return up.with_columns(
        pl.coalesce(tool_id, pl.col("span_id")).alias("span_id"),
        pl.coalesce(tool_seq, pl.col("seq")).alias("seq"),
    ).select(rows.collect_schema().names())
