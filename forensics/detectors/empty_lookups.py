"""Answers given from nothing: every lookup of a single-agent run came back empty, and its answer
states figures none of them, nor the request, gave it. Read by ``silent_failure.error_as_data``
beside :func:`forensics.detectors.error_shapes.ungrounded_retrievals`.

A retriever's empty result is "an empty result where data was expected" by its kind (TAXONOMY
error_as_data). A tool's is not: an empty ticket list answered "you have no open tickets" is the
answer. What shows that data was expected of it is the answer: one that states figures (a number of
days, a date, a policy number) read from no tool result and from nothing the user or the calls
said went on as if a lookup had returned them. Tools write their empty result as an empty
collection: BeeAI's ``JSONToolOutput`` of ``[]`` (i-am-bee/beeai-framework ``tools/types.py``:
``get_text_content`` is the JSON text, ``is_empty`` true; the OpenInference BeeAI instrumentation
writes it as ``output.value`` with ``metadata.is_empty``, openinference-instrumentation-beeai
``processors/tool.py``), a LangChain tool's returned list, an MCP result's empty ``content``.

Clean: an answer that says nothing was found, that the lookup failed, or that speaks of absence at
all ("no", "none", "not"): it may be passing the empty result on, which is the honest answer
(precision first); a run with one lookup that returned something; a run with delegated agents,
whose reports may hold the figures.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

#: An empty collection as a tool's whole recorded result (not a missing one: many exporters write
#: no output at all, which says nothing).
_EMPTY_RESULT: Final = r"^\s*(?:\[\s*\]|\{\s*\})\s*$"
#: Words of absence or negation: an answer holding one may be telling the empty result.
_SPEAKS_OF_ABSENCE: Final = r"(?i)\b(?:no|none|nothing|not|never|zero|without|unable|cannot)\b|n'?t\b"
#: A figure: a run of digits (kept whole across a decimal point or thousands separator).
_FIGURE: Final = r"\d+(?:[.,]\d+)*"
#: How many distinct figures from nowhere make an answer given from nothing.
MIN_UNGROUNDED_FIGURES: Final = 2


def _figures(text: pl.Expr) -> pl.Expr:
    return text.fill_null("").str.extract_all(_FIGURE).list.unique()


def answered_from_nothing(ctx: Context) -> pl.LazyFrame:
    """Tool spans (status ok) that returned an empty collection, in single-agent runs where every
    tool and retriever call did, under an answer that states ``MIN_UNGROUNDED_FIGURES`` or more
    figures found in no call's arguments or result and not in the run's request, and that neither
    says nothing was found, nor that the lookup failed, nor speaks of absence."""
    from forensics.detectors.error_shapes import _SAYS_NOT_FOUND, _says_lookup_failed, no_documents

    s = ctx.spans.lazy()
    lookups = s.filter(pl.col("kind").is_in(["tool", "retriever"]))
    empty = pl.col("output").str.contains(_EMPTY_RESULT).fill_null(False) | no_documents(pl.col("output"))
    per_run = lookups.group_by("run_id").agg(
        (empty & ~pl.col("failed")).all().alias("_all_empty"),
        (pl.col("kind") == "tool").any().alias("_a_tool"),
    )
    delegated = s.filter(pl.col("kind").is_in(["agent", "handoff"]) & ~pl.col("is_root")).select("run_id").unique()
    # What the run was given and asked with: every span's arguments (the root's is the request).
    given = s.group_by("run_id").agg(pl.col("args").fill_null("").str.join(" ").alias("_given"))
    answer = pl.col("final_output")
    runs = (
        ctx.runs.lazy()
        .filter(
            (pl.col("reported_outcome") != "error")
            & ~answer.str.contains(_SAYS_NOT_FOUND).fill_null(True)
            & ~answer.str.contains(_says_lookup_failed()).fill_null(True)
            & ~answer.str.contains(_SPEAKS_OF_ABSENCE).fill_null(True)
        )
        .select("run_id", "task", "final_output")
        .join(per_run.filter(pl.col("_all_empty") & pl.col("_a_tool")), on="run_id", how="semi")
        .join(delegated, on="run_id", how="anti")
        .join(given, on="run_id", how="left")
        .with_columns(
            _figures(pl.col("final_output"))
            .list.set_difference(_figures(pl.concat_str([pl.col("task").fill_null(""), pl.col("_given")], separator=" ")))
            .list.len()
            .alias("_from_nowhere")
        )
        .filter(pl.col("_from_nowhere") >= MIN_UNGROUNDED_FIGURES)
        .select("run_id")
    )
    return lookups.filter((pl.col("kind") == "tool") & empty & ~pl.col("failed")).join(runs, on="run_id", how="semi")
