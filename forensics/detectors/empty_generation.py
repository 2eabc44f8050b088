"""A model call that generated nothing, whose run then delivered and reported success, for
``silent_failure.undelivered_output``.

A model can end a call normally with no text at all: Gemini 2.5's thinking tokens count against
the output budget, and a call whose thinking used it up can come back with finish reason STOP, an
empty text and zero candidate tokens. Spring AI's chat-model observation records what came back:
``gen_ai.usage.output_tokens`` from the response's usage, and, with completion logging on,
``gen_ai.completion`` as the generations' texts that have any text (spring-projects/spring-ai
``ChatModelObservationContentProcessor.completion``: ``filter(StringUtils::hasText)``, joined by
``TracingHelper.concatenateStrings``: ``[]`` when nothing came back). A job that then sends the
result on (a delivery span after the call: policy tools.delivery, a tool, or a traced step or
OpenTelemetry messaging ``send`` span named for it) delivered nothing and reported it done.

Anthropic's Messages API ends a turn the model declined with ``stop_reason: "refusal"``
(anthropics/anthropic-sdk-python ``src/anthropic/types/stop_reason.py``), HTTP 200 and no
exception, and its ``content`` may be empty: a refusal is the model's answer only where it wrote
one (conventions.content_filter leaves refusals alone for that reason). A refusal with no content
(``"content": []``, as MLflow's Anthropic autolog records the response, mlflow/anthropic/autolog.py)
generated nothing, whatever few output tokens it counted: that is the second word for it.

Only where the call says so twice: its output recorded and empty, and its output token count
recorded as zero (an instrumentation that records no usage, or no content, says nothing). Not
where a later model call answered before the delivery (the job asked again), nor where the run did
not report success, nor where the delivery's arguments tell of the fault (a note posted as "summary
unavailable: the model declined this transcript" delivered word of it, not nothing). Besides a
delivery (policy tools.delivery), a side-effecting tool call of the same step (the same parent as
the model call: the step that asked for the text and then wrote it, a ``post_crm_note`` under one
``summarize_call``) is where the empty answer went.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Q
from forensics.detectors.base import EMPTY_ANSWER, Context
from forensics.detectors.handling import TELLS_OF_FAULT_IN_ARGUMENTS

#: A response the model declined with nothing in it: Anthropic's ``stop_reason`` "refusal" and an
#: empty ``content`` list (or null), both fields of the recorded response itself (:func:`refused_empty`).
REFUSAL_STOP: Final = rf"{Q}stop_reason{Q}\s*:\s*{Q}refusal{Q}"
NO_CONTENT: Final = rf"{Q}content{Q}\s*:\s*(?:\[\s*\]|null)"


def refused_empty(output: pl.Expr) -> pl.Expr:
    """``output`` is a recorded response that stopped on a refusal with no content."""
    return (output.str.contains(REFUSAL_STOP) & output.str.contains(NO_CONTENT)).fill_null(False)


def empty_generations_delivered(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` (the empty model call), ``d_id``, ``d_call``, ``d_t`` (the first
    successful delivery after it), ``t``, ``model``, ``how`` (what it came back with): runs reporting success where a model call that
    ended normally generated nothing (output recorded empty and zero output tokens) and the next
    thing the run did with a model's answer was a delivery."""
    s = ctx.spans.lazy()
    success = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success").select("run_id")
    llm = s.filter(pl.col("kind") == "llm").join(success, on="run_id", how="semi")
    nothing = (
        (pl.col("output_tokens") == 0).fill_null(False) & pl.col("output").str.contains(EMPTY_ANSWER).fill_null(False)
    ) | refused_empty(pl.col("output"))
    empty = llm.filter(~pl.col("failed") & pl.col("end_time").is_not_null() & nothing).select(
        "run_id", "span_id", "parent_id", "t", "model", pl.col("end_time").alias("_end"),
        pl.when(refused_empty(pl.col("output")))
        .then(pl.lit("stopped on a refusal (stop_reason refusal) with no content"))
        .otherwise(pl.lit("ended normally with no output (zero output tokens, an empty answer)"))
        .alias("how"),
    )
    read_only = pl.col("call").str.contains(ctx.policy.read_only).fill_null(False)
    named = ((pl.col("kind") == "tool") & pl.col("is_delivery")) | (
        pl.col("kind").is_in(["chain", "unknown"]) & pl.col("call").str.contains(ctx.policy.delivery).fill_null(False)
    )
    delivery = (
        s.filter(
            pl.col("succeeded")
            & ~read_only
            & (named | ((pl.col("kind") == "tool") & pl.col("is_side_effect")))
            # What it sent told of the fault: word of it went out, not nothing.
            & ~pl.col("args").str.contains(TELLS_OF_FAULT_IN_ARGUMENTS).fill_null(False)
        )
        .join(success, on="run_id", how="semi")
        .select(
            "run_id", pl.col("span_id").alias("d_id"), pl.col("call").alias("d_call"), pl.col("t").alias("d_t"),
            named.alias("_named"), pl.col("parent_id").alias("_d_parent"),
        )
    )
    pairs = (
        empty.join(delivery, on="run_id")
        .filter((pl.col("d_t") >= pl.col("_end")) & (pl.col("_named") | (pl.col("_d_parent") == pl.col("parent_id"))))
        .sort("run_id", "d_t", "d_id")
        .group_by("run_id", "span_id", maintain_order=True)
        .agg(pl.all().first())
    )
    # A model call between them that answered (the job asked again and got text): that answer went out.
    answered = (
        llm.filter(~pl.col("failed") & ~pl.col("output").str.contains(EMPTY_ANSWER).fill_null(False)
                   & ~refused_empty(pl.col("output")))
        .select("run_id", pl.col("t").alias("_a_t"))
        .join(pairs.select("run_id", "span_id", "_end", "d_t"), on="run_id")
        .filter((pl.col("_a_t") >= pl.col("_end")) & (pl.col("_a_t") <= pl.col("d_t")))
        .select("run_id", "span_id")
    )
    return (
        pairs.join(answered, on=["run_id", "span_id"], how="anti")
        .sort("run_id", "t", "span_id")
        .group_by("run_id", maintain_order=True)
        .agg(pl.all().first())
        .select("run_id", "span_id", "t", "model", "how", "d_id", "d_call", "d_t")
    )
