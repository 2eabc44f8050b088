"""failed_report_passed_on: a manager whose answer says, in its own words, that the work was not done
surfaced its delegate's "I could not".

smolagents hands a managed agent's final answer back to the manager as an ordinary string
(huggingface/smolagents ``src/smolagents/agents.py``, ``MultiStepAgent.__call__``: "Here is the final
answer from your managed agent '{name}':\\n{output}"), and the manager answers with
``final_answer(...)`` (``src/smolagents/default_tools.py`` FinalAnswerTool: returns what it was
given, the run's output). A manager may relay "I could not book: ... Nothing was booked." in words
of its own: "Not booked. ... I have not made any appointment." That is the failure told to the
user, whichever verb it uses; a manager that answers with the act done ("Done: ... now has 12.0
days") over the same report still passed it on.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from forensics.classify import classify
from forensics.load import load

DEV = Path(__file__).parents[1] / "data" / "incidents" / "smolagents_dev"
COULD_NOT = (
    "I could not book: the provider's schedule for 21-30 November is locked for a scheduling-system "
    "migration and bookings must go through the department. Nothing was booked."
)


def _run(answer: str) -> pl.DataFrame:
    t = load(DEV / "smol_managed_agent_report_used.json").to_polars()
    sub = t.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null()).sort("start_time")["span_id"][0]
    root = t.filter(pl.col("parent_id").is_null())["span_id"][0]
    t = t.with_columns(
        pl.when(pl.col("span_id") == sub)
        .then(pl.lit(COULD_NOT))
        .when(pl.col("span_id") == root)
        .then(pl.lit(answer))
        .otherwise(pl.col("output"))
        .alias("output")
    )
    findings, _ = classify(t, detectors=["failed_report_passed_on"]).to_polars()
    return findings


@pytest.mark.parametrize(
    "answer",
    [
        "Booked: Tuesday 24 November at 09:00 with the cardiologist. The confirmation is on its way.",
        "Your follow-up has been booked for the week of the 23rd; no further changes are needed.",
    ],
)
def test_an_answer_saying_the_act_was_done_over_a_could_not_report_fires(answer: str) -> None:
    assert _run(answer).height == 1, answer


@pytest.mark.parametrize(
    "answer",
    [
        # A clause opening on the negated act, and a negated perfect in the first person.
        "Not booked. The calendar for 21-30 Nov is locked for the migration; the front desk has to book "
        "it by hand. I have not made any appointment.",
        # Nothing / no thing as the subject of a passive.
        "The schedule is locked until the 30th, so no appointment was created; please call the front desk.",
        "Nothing was changed on your record: the department books these by hand this week.",
        # A negated passive, with yet.
        "The follow-up has not yet been scheduled: the department must book it during the migration.",
    ],
)
def test_near_miss_an_answer_saying_the_act_did_not_happen(answer: str) -> None:
    assert _run(answer).height == 0, answer
