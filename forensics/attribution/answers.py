"""Answer tracing: ``final_answer_origin``, the first step that held the run's stated final answer
(see :mod:`forensics.attribution`).
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import (
    _FINAL_ANSWER,
    _SEARCH_PAGE,
    _hedged,
    _no_rows,
    _page_url,
    _pick,
    _taken_up,
)


def _final_answer_origin(s: pl.DataFrame) -> pl.DataFrame:
    text = pl.col("output").fill_null("")
    answers = (
        s.filter(text.str.contains(_FINAL_ANSWER))
        .with_columns(_answer=text.str.extract(_FINAL_ANSWER, 1).str.strip_chars(" .\"'*").str.to_lowercase())
        .filter(pl.col("_answer").str.len_chars() > 0)
        .sort("run_id", "step")
        .unique("run_id", keep="last")
        .select("run_id", "_answer", pl.col("step").alias("_final_step"))
    )
    if answers.height == 0:
        return _pick(_no_rows(s), "final_answer_origin", 3)
    hits = (
        s.join(answers, on="run_id")
        .filter(
            (pl.col("step") < pl.col("_final_step"))
            & (pl.col("step") > 0)
            & ~pl.col("human")
            & ~pl.col("meta")
            & ~pl.col("plan_msg")
            & ~_hedged()
            & text.str.to_lowercase().str.contains(
                pl.concat_str(pl.lit(r"(^|\W)"), pl.col("_answer").str.escape_regex(), pl.lit(r"($|\W)"))
            )
        )
        .with_columns(_search=_page_url().fill_null("").str.contains(_SEARCH_PAGE))
    )
    hits = _taken_up(hits)
    return _pick(
        hits.with_columns(
            decisive_agent=pl.col("owner_agent"),
            decisive_step=pl.col("owner_step"),
            attribution_evidence=pl.format(
                "step {}: the final answer '{}' (step {}) first appears here, from {}",
                pl.col("step"),
                pl.col("_answer"),
                pl.col("_final_step"),
                pl.col("owner_agent"),
            ),
        ),
        "final_answer_origin",
        3,
    )
