"""Fallbacks the framework itself declares: ``fallback_of`` names the span a fallback replaced.

* LangChain ``Runnable.with_fallbacks`` builds a ``RunnableWithFallbacks``: its run (named after the
  class) starts the primary as a child, and on an exception in ``exceptions_to_handle`` the next
  fallback as the next child. A child after a failed sibling is a fallback of that sibling.
* LiteLLM's Router logs ``attempted_fallbacks`` (the number of fallbacks tried before the call that
  answered) in its metadata: a model call with one or more is a fallback of the last failed model
  call before it.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, json_scalar, register

WITH_FALLBACKS: Final = "RunnableWithFallbacks"


def _extract() -> list[pl.Expr]:
    return [
        json_scalar("attributes", "attempted_fallbacks", "attempted_fallbacks")
        .cast(pl.Int64, strict=False)
        .alias("_cv_attempted_fallbacks"),
    ]


def _structure(df: pl.DataFrame) -> pl.DataFrame:
    wrappers = df.filter(pl.col("name") == WITH_FALLBACKS).get_column("span_k").implode()
    under = pl.col("parent_k").is_in(wrappers)
    prev_sibling = pl.col("span_id").shift(1).over("parent_k")
    prev_failed = pl.col("failed").shift(1).over("parent_k")
    langchain = pl.when(under & prev_failed.fill_null(False)).then(prev_sibling)
    # The last failed model call before this row, within the run (the frame is in run order).
    last_failed_llm = (
        pl.when((pl.col("kind") == "llm") & pl.col("failed")).then(pl.col("span_id")).shift(1).forward_fill()
    ).over("run_key")
    litellm = pl.when((pl.col("kind") == "llm") & (pl.col("_cv_attempted_fallbacks") > 0)).then(
        last_failed_llm
    )
    return df.with_columns(pl.coalesce(langchain, litellm).alias("fallback_of"))


register(
    Convention(
        name="fallbacks",
        signals=(
            Signal(
                "RunnableWithFallbacks run: children are the primary then each fallback",
                "LangChain (with_fallbacks)",
                "libs/core/langchain_core/runnables/fallbacks.py (RunnableWithFallbacks.invoke)",
                "fallback_of",
            ),
            Signal(
                "attempted_fallbacks in the logging metadata",
                "LiteLLM Router fallbacks",
                "litellm/router.py (async_function_with_fallbacks), litellm/types/utils.py (StandardLoggingMetadata)",
                "fallback_of",
            ),
        ),
        extract=_extract,
        structure=_structure,
        columns={"fallback_of": "span id of the failed call this span is a declared fallback for"},
    )
)
