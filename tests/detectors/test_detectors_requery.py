"""requery_same_results (context_collapse): a search asked again in new words, the same results.

Built from tests/data/incidents/smolagents_dev/smol_requery_cosmetic (three web_search calls of one
ToolCallingAgent, each answered with the identical result list): its queries are re-worded here,
or its results changed, to make the firing case and its near misses.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from forensics.classify import classify
from forensics.load import load

DEV = Path(__file__).parents[1] / "data" / "incidents" / "smolagents_dev"


def searches() -> pl.DataFrame:
    return load(DEV / "smol_requery_cosmetic.json").to_polars()


def found(table: pl.DataFrame, detector: str = "requery_same_results") -> pl.DataFrame:
    findings, _ = classify(table, detectors=[detector]).to_polars()
    return findings


def search_ids(table: pl.DataFrame) -> list[str]:
    return table.filter(pl.col("tool") == "web_search").sort("start_time")["span_id"].to_list()


def with_queries(table: pl.DataFrame, queries: list[str]) -> pl.DataFrame:
    """The searches re-asked as ``queries`` (smolagents' {args, kwargs} input, as the tool span has it)."""
    for sid, q in zip(search_ids(table), queries, strict=True):
        text = json.dumps({"args": [], "sanitize_inputs_outputs": True, "kwargs": {"query": q, "filter_year": None}})
        table = table.with_columns(pl.when(pl.col("span_id") == sid).then(pl.lit(text)).otherwise(pl.col("input")).alias("input"))
    return table


def with_outputs(table: pl.DataFrame, outputs: list[str]) -> pl.DataFrame:
    for sid, out in zip(search_ids(table), outputs, strict=True):
        table = table.with_columns(pl.when(pl.col("span_id") == sid).then(pl.lit(out)).otherwise(pl.col("output")).alias("output"))
    return table


REWORDED = ["Galdhøpiggen height metres", "how tall is Galdhøpiggen in metres", "Galdhøpiggen elevation in metres"]


def test_the_same_question_in_new_words_with_the_same_results_fires() -> None:
    t = with_queries(searches(), REWORDED)
    f = found(t)
    ids = search_ids(t)
    assert f.get_column("failure_class").to_list() == ["context_collapse"]
    assert f.get_column("decisive_span_id").to_list() == [ids[1]]  # the first re-worded search
    assert f.get_column("evidence_span_ids").to_list() == [ids]
    assert "ran web_search 3 times" in f.get_column("explanation").item()
    assert "in 3 different wordings and got the same 1 results" in f.get_column("explanation").item()
    # Not the same normalised arguments: repeated_action does not see it.
    assert found(t, "repeated_action").height == 0


def test_the_same_words_again_are_repeated_actions_not_this() -> None:
    t = searches()  # re-cased and re-ordered: the same letters, repeated_action's case
    assert found(t).height == 0
    assert found(t, "repeated_action").height == 1


def test_new_words_that_bring_new_results_are_refinement() -> None:
    page = "## Search Results\n0. [{}]({})\nDate published: 2024-02-02\n"
    t = with_outputs(
        with_queries(searches(), REWORDED),
        [page.format("Galdhøpiggen", "https://en.wikipedia.org/wiki/Galdh%C3%B8piggen"),
         page.format("Galdhøpiggen - Store norske leksikon", "https://snl.no/Galdh%C3%B8piggen"),
         page.format("Galdhøpiggen - Kartverket", "https://www.kartverket.no/galdhopiggen")],
    )  # fmt: skip
    assert found(t).height == 0


def test_different_questions_a_stub_search_answers_alike_are_not_one_question() -> None:
    t = with_queries(searches(), ["Galdhøpiggen height metres", "Jotunheimen national park founded year",
                                  "Lom municipality population census"])  # fmt: skip
    assert found(t).height == 0


def test_searches_that_found_nothing_are_no_result_list() -> None:
    nothing = "No results found for query. Try with a more general query, or remove the year filter."
    t = with_outputs(with_queries(searches(), REWORDED), [nothing] * 3)
    assert found(t).height == 0
