"""failed_report_passed_on: a manager whose answer says it cannot give what was asked told the user.

A smolagents managed agent reported "The deal value was NOT disclosed ... I could not check
filings"; the manager answered "... so I can't give a EUR amount." That answer passes the
delegate's inability on as such: nothing was passed off as an answer. A manager that answers a
figure over the same failed report still passed it on.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from forensics.classify import classify
from forensics.load import load

DEV = Path(__file__).parents[1] / "data" / "incidents" / "smolagents_dev"
NOT_FOUND = (
    "### 1. Task outcome (short version): I could not find the height of the tallest building in Oslo; "
    "the only figure I found is 111 m, for Posthuset. ### 2. Task outcome (extremely detailed version): "
    "No list gave a height. ### 3. Additional context (if relevant): none."
)


def _run(answer: str | None) -> pl.DataFrame:
    t = load(DEV / "smol_managed_agent_report_used.json").to_polars()
    sub = t.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null()).sort("start_time")["span_id"][0]
    t = t.with_columns(pl.when(pl.col("span_id") == sub).then(pl.lit(NOT_FOUND)).otherwise(pl.col("output")).alias("output"))
    if answer is not None:
        root = t.filter(pl.col("parent_id").is_null())["span_id"][0]
        t = t.with_columns(pl.when(pl.col("span_id") == root).then(pl.lit(answer)).otherwise(pl.col("output")).alias("output"))
    findings, _ = classify(t, detectors=["failed_report_passed_on"]).to_polars()
    return findings


def test_a_figure_answered_over_the_failed_report_is_passed_on() -> None:
    # Firing: the manager answers a figure (the fixture's own answer, and a plain one).
    assert _run(None).height == 1
    assert _run("The tallest building in Oslo is Posthuset, 111 m.").height == 1


def test_near_miss_an_answer_saying_it_cannot_give_the_figure() -> None:
    for answer in (
        "No source gives the height of the tallest building, so I can't give a figure in metres.",
        "The sources disagree and we could not confirm the height of the tallest building.",
    ):
        assert _run(answer).height == 0, answer
