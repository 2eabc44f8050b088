"""A model turn the provider paused, never resumed, under a run reported done: read by
``silent_failure.premature_success``.

Anthropic's Messages API runs server tools (web search, web fetch, code execution) in a loop of its
own and may stop a long turn before it is finished, with ``stop_reason: "pause_turn"``
(anthropics/anthropic-sdk-python ``src/anthropic/types/stop_reason.py``: end_turn, max_tokens,
stop_sequence, tool_use, pause_turn, refusal ...). The turn is not over: the client is to send the
paused response back as it is and the model goes on from there. LangChain's
``AnthropicPauseTurnMiddleware`` exists for this: a paused response "carries no client tool calls, so
the agent loop would end the run on the unfinished turn" (langchain-anthropic
``middleware/pause_turn``). Conventions ``paused_turns`` reads the reason as each instrumentation
writes it (the call's ``paused_turn``).

A paused turn after which the run made no model call (nothing resumed it), in a run that reported
success, is a turn that never ended passed off as the answer: the premature success of a span left
open, one level up. Decisive: the paused model call (from it on, nothing continued the turn). A run
that sent the turn back (any later model call in the run) resumed it, whatever came of that.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, finding, hms, txt


def unresumed_pauses(ctx: Context) -> pl.LazyFrame:
    """Findings (``finding`` columns): per run reported success, its first model call paused with
    ``pause_turn`` after which no model call of the run started (module docstring)."""
    models = ctx.spans.lazy().filter(pl.col("kind") == "llm")
    paused = models.filter(pl.col("paused_turn")).select("run_id", "span_id", "seq", "t", "model")
    resumed = (
        paused.select("run_id", "span_id", "seq")
        .join(models.select("run_id", pl.col("seq").alias("_m_seq")), on="run_id")
        .filter(pl.col("_m_seq") > pl.col("seq"))
        .select("run_id", "span_id")
        .unique()
    )
    done = (
        ctx.runs.lazy()
        .filter(pl.col("reported_outcome") == "success")
        .select("run_id", "root_span_id", "root_t")
    )
    return (
        paused.join(resumed, on=["run_id", "span_id"], how="anti")
        .join(done, on="run_id")
        .sort("run_id", "seq")
        .group_by("run_id", maintain_order=True)
        .agg(pl.all().first())
        .select(
            finding(
                "run_id",
                pl.concat_list("span_id", "root_span_id").list.unique(maintain_order=True),
                "span_id",
                pl.format(
                    "model call {} at {} was paused by the provider (stop_reason pause_turn: the turn was not "
                    "finished) and no later model call resumed it, yet the run reported success at {}",
                    txt(pl.col("model")), hms("t"), hms("root_t"),
                ),
            )
        )
    )  # fmt: skip
