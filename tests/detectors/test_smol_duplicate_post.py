"""duplicate_side_effect for smolagents: the same post however its arguments were spelled.

The OpenInference instrumentation writes a tool call's input as ``Tool.__call__``'s bound arguments
(``{"args": [...], "sanitize_inputs_outputs": ..., "kwargs": {...}}``): a ToolCallingAgent passes
them by keyword with the sanitize flag True, a CodeAgent's code positionally or by keyword with the
flag False. The same post made both ways is one act done twice. The values themselves are compared
as given (a post's text, an amount): not as repeated_action's search queries, by their letters.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from forensics.classify import classify
from forensics.load import load

DEV = Path(__file__).parents[1] / "data" / "incidents" / "smolagents_dev"


def spans(name: str) -> pl.DataFrame:
    return load(DEV / f"{name}.json").to_polars()


def duplicates(table: pl.DataFrame) -> pl.DataFrame:
    return classify(table, detectors=["duplicate_side_effect"]).to_polars()[0]


def _second_post_input(table: pl.DataFrame, make: object) -> pl.DataFrame:
    posts = table.filter(pl.col("tool") == "post_newsletter").sort("start_time")
    second = posts.get_column("span_id")[1]
    given = json.loads(posts.get_column("input")[1])
    new = json.dumps(make(given["kwargs"]))  # type: ignore[operator]
    return table.with_columns(pl.when(pl.col("span_id") == second).then(pl.lit(new)).otherwise(pl.col("input")).alias("input"))


def test_a_managed_agent_called_again_posts_the_same_newsletter_twice() -> None:
    f = duplicates(spans("smol_newsletter_posted_twice"))
    assert f.get_column("decisive_span_id").to_list() == ["8a8f1931ae71b8f9"]
    assert f.get_column("evidence_span_ids").to_list() == [["8c98adb956d79197", "8a8f1931ae71b8f9"]]


def test_the_managers_own_post_then_the_delegates_is_one_post_made_twice() -> None:
    # The manager's code call has sanitize_inputs_outputs false, the publisher's true.
    f = duplicates(spans("smol_newsletter_posted_again_by_delegate"))
    assert f.get_column("decisive_span_id").to_list() == ["58bcce642223556b"]


def test_a_positional_call_is_the_same_call_as_its_keyword_form() -> None:
    t = _second_post_input(
        spans("smol_newsletter_posted_twice"),
        lambda kw: {"args": [kw["channel"], kw["content"]], "sanitize_inputs_outputs": False, "kwargs": {}},
    )
    assert duplicates(t).get_column("decisive_span_id").to_list() == ["8a8f1931ae71b8f9"]


def test_near_miss_two_posts_to_two_channels() -> None:
    assert duplicates(spans("smol_newsletter_two_channels")).height == 0


def test_near_miss_the_same_letters_in_other_content_are_another_post() -> None:
    # "issue 24" has the letters and digits of "issue 42": another post, not a re-send.
    t = _second_post_input(
        spans("smol_newsletter_posted_twice"),
        lambda kw: {"args": [], "sanitize_inputs_outputs": True,
                    "kwargs": {**kw, "content": kw["content"].replace("#42", "#24")}},
    )  # fmt: skip
    assert duplicates(t).height == 0
