"""An agent run that returned with no reply for the user, for ``silent_failure.undelivered_output``.

The agent span's own record says so (conventions ``reply_missing``: Microsoft Agent Framework's
``invoke_agent`` whose output messages end with nothing for the user, or that recorded none). A
later model call or agent turn of the run (the reply in a later span) delivered it, so only the run's
last agent span is judged, and only one that ended without error (an error is another rule's).
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import EMPTY_ANSWER, Context


def empty_agent_replies(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` (the agent's last model call where it answered nothing or recorded no
    output, else the agent span), ``agent_id``, ``agent``, ``t`` (the agent's end),
    ``how``: the run's last agent span with ``reply_missing``; no model call or agent span of the
    run starts after it ends."""
    s = ctx.spans.lazy()
    agents = s.filter(pl.col("reply_missing").is_not_null() & ~pl.col("failed") & pl.col("end_time").is_not_null()).select(
        "run_id", pl.col("span_id").alias("agent_id"), "agent", "t", pl.col("end_time").alias("_end"), "reply_missing"
    )
    # Anything that speaks after it: a later model call or agent turn.
    later = s.filter(pl.col("kind").is_in(["llm", "agent"])).select("run_id", pl.col("t").alias("_later_t"))
    spoken = agents.join(later, on="run_id").filter(pl.col("_later_t") > pl.col("_end")).select("run_id", "agent_id")
    last = agents.join(spoken, on=["run_id", "agent_id"], how="anti")
    # The agent's last model call, and whether it answered nothing (an empty output or none).
    silent = (
        s.filter(pl.col("kind") == "llm")
        .select(
            "run_id", pl.col("span_id").alias("_llm_id"), pl.col("t").alias("_llm_t"), pl.col("end_time").alias("_llm_end"),
            (pl.col("output").is_null() | pl.col("output").str.contains(EMPTY_ANSWER).fill_null(False)).alias("_said_none"),
        )
        .join(last.select("run_id", "agent_id", "t", "_end"), on="run_id")
        .filter((pl.col("_llm_t") >= pl.col("t")) & (pl.col("_llm_end") <= pl.col("_end")))
        .sort("_llm_end")
        .group_by("run_id", "agent_id")
        .agg(pl.col("_llm_id").last(), pl.col("_said_none").last())
    )
    how = (
        pl.when(pl.col("reply_missing") == "none")
        .then(pl.lit("recorded no output message"))
        .otherwise(pl.lit("its output messages ended with no reply"))
    )
    # Ending on a tool result is a reply lost only where the model was asked after it and said
    # nothing (Agent Framework's loop calls the model again after every result); a function
    # middleware may end the loop on a result on purpose, with no model call after it.
    # Recording no output is a reply lost only where the agent asked its model: a streamed run
    # nobody read never calls the model, and Agent Framework ends its span when the stream is
    # collected, with the input and no output (AgentTelemetryLayer.run, stream=True:
    # weakref.finalize(wrapped_stream, _close_span); the model is called as the stream is read).
    # The caller dropped the stream; the span says nothing of what the user got.
    asked = (pl.col("reply_missing") != "none") | pl.col("_llm_id").is_not_null()
    return (
        last.join(silent, on=["run_id", "agent_id"], how="left")
        .filter(((pl.col("reply_missing") != "after_tool") | pl.col("_said_none").fill_null(False)) & asked)
        .select(
            "run_id",
            pl.when(pl.col("_said_none").fill_null(False)).then(pl.col("_llm_id")).otherwise(pl.col("agent_id")).alias("span_id"),
            "agent_id", "agent", pl.col("_end").alias("t"), how.alias("how"),
        )
    )  # fmt: skip
