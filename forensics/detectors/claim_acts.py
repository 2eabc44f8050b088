"""Acts that back a policy claim besides tool calls, for ``claims.claim_hits``."""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context


def handoff_acts(ctx: Context) -> pl.LazyFrame:
    """The run's handoff spans as acts (``run_key, call_tool, succeeded, span_id, seq, as_call``):
    a claim of passing the case on ("I've passed your refund to our refunds team") is backed by a handoff that happened, the OpenAI Agents SDK's handoff span or
    google-adk's transfer_to_agent, as by a transfer tool (langgraph-supervisor's
    transfer_to_<agent>).

    The act is named ``handoff``, not by its call: it backs only a claim whose tool vocabulary
    hands over. Named by its call, ``transfer_to_writer`` backed "The brief is posted in
    #research" (the posting claim's tool vocabulary has ``write``): a handoff posts nothing."""
    return (
        ctx.spans.lazy()
        .filter(pl.col("kind") == "handoff")
        .select(
            "run_key", pl.lit("handoff").alias("call_tool"), "succeeded", "span_id", "seq",
            pl.lit(None, dtype=pl.String).alias("as_call"),
        )
    )
