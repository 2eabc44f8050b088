"""contains_literal (conventions.registry): any of several literal needles in one scan per group of
needles, the same answer as a literal ``contains`` per needle (where_contains reads it)."""

from __future__ import annotations

import polars as pl

from forensics.conventions.registry import contains_literal, where_contains


def _per_needle(text: pl.Expr, needles: tuple[str, ...]) -> pl.Expr:
    return pl.any_horizontal([text.str.contains(n, literal=True) for n in needles])


def test_regex_metacharacters_are_read_as_literals() -> None:
    texts = pl.DataFrame({"t": ['{"a.b": 1}', "axb", "x|y", "(ok)", "a b-c#d", None]})
    needles = ("a.b", "x|y", "(ok)", "b-c#", "[", "$")
    got = texts.select(contains_literal(pl.col("t"), needles).alias("hit")).get_column("hit").to_list()
    assert got == [True, False, True, True, True, None]
    assert got == texts.select(_per_needle(pl.col("t"), needles).alias("hit")).get_column("hit").to_list()


def test_more_needles_than_one_scan_holds() -> None:
    # Past _RARE_PER_SCAN needles the scans are split; the last needle still counts.
    needles = tuple(f"needle{i}" for i in range(20))
    texts = pl.DataFrame({"t": ["... needle19 ...", "needle0", "needle", "nothing"]})
    got = texts.select(contains_literal(pl.col("t"), needles).alias("hit")).get_column("hit").to_list()
    assert got == [True, True, False, False]


def test_where_contains_keeps_the_text_holding_a_needle_only() -> None:
    frame = pl.DataFrame({"output": ['{"approved_by": "dana"}', '{"decided_by": "x"}', "plain", None]})
    got = frame.select(where_contains("output", ("decided_by", "approved_by")).alias("kept")).get_column("kept")
    assert got.to_list() == ['{"approved_by": "dana"}', '{"decided_by": "x"}', None, None]
