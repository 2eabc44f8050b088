"""runaway_cost's unchanged_refine_passes: a refine chain that kept paying for passes that changed nothing.

A refine synthesizer answers over many retrieved chunks one model call at a time: the first call
answers from the first chunk, and every later call is handed the answer so far with the next chunk
and asked to refine it "(only if needed)". LlamaIndex's ``Refine`` makes one call per chunk
(run-llama/llama_index ``llama-index-core/llama_index/core/response_synthesizers/refine.py``
``get_response``: ``_give_response_single`` for the first chunk, then ``_refine_response_single``
with ``prev_response``), and its refine prompt ends "If the context isn't useful, return the
original answer." (``llama-index-core/llama_index/core/prompts/default_prompts.py``
``DEFAULT_REFINE_PROMPT_TMPL``); LangChain's ``RefineDocumentsChain`` does the same with its
``existing_answer`` (langchain-ai/langchain ``libs/langchain/langchain/chains/combine_documents/refine.py``
``combine_docs``: ``_construct_refine_inputs`` per document).

So the log itself says when the passes stopped paying: a model call whose prompt holds the previous
call's answer word for word, with new context (its request differs from the previous call's), and
which wrote that same answer back. One such pass is the prompt doing its job on an unhelpful chunk;
``unchanged_refine_calls`` (10) of them in a row with nothing from the world between (no tool,
retriever, hand-off, guardrail or human span) is a chain paying a model call per chunk long after its
answer was settled: sixty retrieved chunks refined one by one for a one-line answer that stopped
changing at the second (similarity_top_k far above LlamaIndex's ``DEFAULT_SIMILARITY_TOP_K = 2``).
No budget and no fleet: the ratio is the run's own, passes that changed nothing against passes that did.

Not judged: a call retried with the same prompt (no new context: ``retry_storm``'s), answers shorter
than ``MIN_ANSWER_CHARS`` (a label or "yes" written back is a classifier's batch, not a refine), and
a log that records no outputs (nothing to compare).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context, Detector, finding, hms, txt
from forensics.detectors.registry import register
from forensics.policy import Threshold

#: Span kinds that bring something new from the world between two model calls.
_WORLD_KINDS: Final = ("tool", "retriever", "handoff", "guardrail", "human")
#: An answer written back must be at least this long to count: a short label repeated is no refine.
MIN_ANSWER_CHARS: Final = 40
#: At most this many passes are named as evidence (the first ones).
EVIDENCE_PASSES: Final = 20
#: The text of a chat message output (``{"role": "assistant", "content": "..."}``, a LangChain
#: message's ``kwargs.content``): the first ``content`` string, JSON-escaped as the prompt holds it.
_CONTENT: Final = r'"content"\s*:\s*"((?:[^"\\]|\\.)*)"'


def _answer(output: pl.Expr) -> pl.Expr:
    """What a model call wrote: its message content where the output is a message, else the output."""
    return pl.coalesce(output.str.extract(_CONTENT, 1), output).str.strip_chars()


def unchanged_streaks(ctx: Context, min_calls: int) -> pl.LazyFrame:
    """``run_id, span_id`` (the first unchanged pass), ``model, calls, tokens, t, first_answer_t,
    ids``: per run, its longest streak of at least ``min_calls`` consecutive model calls of one agent
    and model each handed the previous call's answer (in its prompt) with new context and writing that
    answer back unchanged, nothing from the world between them."""
    s = (
        ctx.spans.lazy()
        .select(
            "run_id",
            "span_id",
            "kind",
            "agent",
            "model",
            "args",
            "output",
            "succeeded",
            "input_tokens",
            "output_tokens",
            "t",
            "seq",
        )
        .filter((pl.col("kind") == "llm").any().over("run_id"))
        .sort("run_id", "seq")
        .with_columns(
            pl.col("kind").is_in(_WORLD_KINDS).cast(pl.Int64).cum_sum().over("run_id").alias("_world")
        )
        .filter((pl.col("kind") == "llm") & pl.col("succeeded").fill_null(False))
        .with_columns(_answer(pl.col("output")).alias("_answer"))
    )
    caller = ["run_id", "agent", "model"]
    prev = {c: pl.col(c).shift(1).over(caller) for c in ("_answer", "args", "_world", "t")}
    unchanged = (
        (pl.col("_answer").str.len_chars() >= MIN_ANSWER_CHARS)
        & (pl.col("_answer") == prev["_answer"])
        # Handed the previous answer (the refine prompt's existing answer) ...
        & pl.col("args").str.contains(prev["_answer"], literal=True)
        # ... with new context: the same prompt again is a retry or sampling, not a pass.
        & (pl.col("args") != prev["args"])
        & (pl.col("_world") == prev["_world"])
    ).fill_null(False)
    calls = s.with_columns(
        unchanged.alias("_unchanged"),
        prev["t"].alias("_answered_t"),
        (pl.col("input_tokens").fill_null(0) + pl.col("output_tokens").fill_null(0)).alias("_tokens"),
    ).with_columns(
        (pl.col("_unchanged") != pl.col("_unchanged").shift(1))
        .fill_null(True)
        .cum_sum()
        .over(caller)
        .alias("_streak")
    )
    streaks = (
        calls.filter("_unchanged")
        .group_by(*caller, "_streak")
        .agg(
            pl.len().alias("calls"),
            pl.col("span_id").first(),
            pl.col("_tokens").sum().alias("tokens"),
            pl.col("t").first(),
            pl.col("_answered_t").first().alias("first_answer_t"),
            pl.col("span_id").head(EVIDENCE_PASSES).alias("ids"),
        )
        .filter(pl.col("calls") >= min_calls)
    )
    return (
        streaks.sort(["run_id", "calls", "t"], descending=[False, True, False])
        .group_by("run_id", maintain_order=True)
        .first()
        .drop("_streak", "agent")
    )


@register
class UnchangedRefinePasses(Detector):
    name = "unchanged_refine_passes"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "medium"
    strength = "weak"
    thresholds = (
        Threshold("unchanged_refine_calls", 10,
                  "runaway_cost.unchanged_refine_passes: consecutive refine passes that wrote the answer they were "
                  "handed back unchanged.",
                  "an integer >= 2", lambda v: v >= 2, required=False),
    )  # fmt: skip
    description = (
        "A refine chain that kept paying for passes that changed nothing: thresholds.unchanged_refine_calls "
        "consecutive model calls of one agent and model, each handed the previous call's answer word for word "
        "with new context (its prompt holds that answer and differs from the previous prompt) and writing the "
        "same answer back (at least 40 characters), no tool, retriever, hand-off, guardrail or human span "
        "between them: LlamaIndex Refine / LangChain RefineDocumentsChain making one call per retrieved chunk "
        "long after the answer settled (the refine prompt: 'If the context isn't useful, return the original "
        "answer'). A retry with the same prompt, or short labels written back, are not passes. Decisive: the "
        "first pass that changed nothing."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        streaks = unchanged_streaks(ctx, ctx.policy.unchanged_refine_calls)
        return streaks.select(
            finding(
                "run_id",
                pl.col("ids"),
                "span_id",
                pl.format(
                    "{} consecutive calls to {} were each handed the answer written at {} with a new chunk of "
                    "context and wrote it back unchanged, from {}: {} tokens paid for passes that changed nothing",
                    pl.col("calls"),
                    txt(pl.col("model")),
                    hms("first_answer_t"),
                    hms("t"),
                    pl.col("tokens"),
                ),
            )
        )
