"""Which spans lie below which: an ancestry walk over the few spans a convention asks about."""

from __future__ import annotations

from typing import Final

import polars as pl

#: How far up a span's ancestry an owner is looked for (deeper spans stay as they are: no agent
#: framework nests calls this deep).
MAX_DEPTH: Final = 64


def spans_below(df: pl.DataFrame, candidates: pl.DataFrame, owners: pl.Series) -> pl.Series:
    """The ``candidates`` (``run_key, span_k``) with one of ``owners`` (span keys) anywhere up their
    ancestry, strictly (a candidate that is itself an owner is not one). Walked a level per step
    over the candidates only, at most :data:`MAX_DEPTH` levels."""
    parent_of = df.lazy().join(candidates.lazy(), on="run_key", how="semi").select(
        pl.col("span_k").alias("_up"), pl.col("parent_k").alias("_next")
    ).collect()
    done = owners.implode()
    walk = df.lazy().join(candidates.lazy(), on="span_k", how="semi").select(
        "span_k", pl.col("parent_k").alias("_up")
    ).filter(~pl.col("span_k").is_in(done)).collect()
    found: list[pl.Series] = []
    for _ in range(MAX_DEPTH):
        if not walk.height:
            break
        hit = pl.col("_up").is_in(done)
        found.append(walk.filter(hit).get_column("span_k"))
        walk = (
            walk.filter(~hit & pl.col("_up").is_not_null())
            .join(parent_of, on="_up")
            .select("span_k", pl.col("_next").alias("_up"))
        )
    return pl.concat(found) if found else pl.Series("span_k", [], pl.UInt64)


def ancestors_of(df: pl.DataFrame, spans: pl.DataFrame) -> pl.Series:
    """The span keys of every ancestor of ``spans`` (``run_key, span_k``), strictly: walked a level
    per step over their runs' spans only, at most :data:`MAX_DEPTH` levels."""
    parent_of = df.lazy().join(spans.lazy(), on="run_key", how="semi").select(
        pl.col("span_k").alias("_up"), pl.col("parent_k").alias("_next")
    ).collect()
    walk = df.lazy().join(spans.lazy(), on="span_k", how="semi").select(pl.col("parent_k").alias("_up")).collect()
    found: list[pl.Series] = []
    for _ in range(MAX_DEPTH):
        walk = walk.filter(pl.col("_up").is_not_null()).unique()
        if not walk.height:
            break
        found.append(walk.get_column("_up").alias("span_k"))
        walk = walk.join(parent_of, on="_up").select(pl.col("_next").alias("_up"))
    return pl.concat(found) if found else pl.Series("span_k", [], pl.UInt64)
