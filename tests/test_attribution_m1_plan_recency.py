"""A plan that asks for the most recent value where the request names a year
(``plan_contradicts_task``, forensics.attribution.plan_rules ``_plan_unpinned_year``). Histories from
Magentic-One's emitting code (tests/m1_history.py; microsoft/autogen ``autogen-magentic-one``
``agents/orchestrator_prompts.py``: ORCHESTRATOR_SYNTHESIZE_PROMPT's fact sheet and the plan after "Here
is the plan to follow as best as possible:"; ``agents/orchestrator.py``: the ledger's
``instruction_or_question`` broadcast as ``Orchestrator (-> X)``; the WebSurfer's page description)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, plan, said, tell

TASK = "According to the 2010 United States census, how many people lived in Burlington, Vermont?"
PAGE = (
    "I clicked 'QuickFacts: Burlington city, Vermont'.\n\nHere is a screenshot of [QuickFacts: Burlington city, "
    "Vermont](https://www.census.gov/quickfacts/fact/table/burlingtoncityvermont). The viewport shows 12% of the "
    "webpage, and is positioned at the top of the page.\nAutomatic OCR of the page screenshot has detected the "
    "following text:\n\nPopulation estimates, July 1, 2023  44,595\nPopulation, Census, April 1, 2020  44,743\n"
    "Population, Census, April 1, 2010  42,417\n"
)


def _run(bullet: str, task: str = TASK) -> list[dict[str, str]]:
    return [
        plan(task, "- The city is Burlington, Vermont.", f"- WebSurfer: {bullet}\n- Report the figure."),
        *tell("WebSurfer", "Please open the Census Bureau QuickFacts page for Burlington city, Vermont."),
        said("WebSurfer", PAGE),
        *tell("WebSurfer", "Please report the population figure the plan asks for."),
        said("WebSurfer", "The newest figure on the page is the July 1, 2023 estimate: 44,595."),
        *accept("The population figure is 44,595.", "FINAL ANSWER: 44595"),
    ]


def _named(tmp_path: Path, history: list[dict[str, str]], task: str = TASK) -> tuple[object, object, object]:
    return blamed(tmp_path, "m1-recency", task, history)


def test_a_plan_asking_for_the_latest_figure_where_the_request_names_a_census_year(tmp_path: Path) -> None:
    # The request pins the 2010 census; the plan (step 1) asks for the latest population figure and
    # names no year: the team read the 2023 estimate. HEAD traced 44595 to the surfer's report (step 7).
    bullet = "open the Census Bureau QuickFacts page for Burlington and read the latest population figure."
    assert _named(tmp_path, _run(bullet)) == ("Orchestrator", 1, "plan_contradicts_task")


def test_a_plan_keeping_the_requests_year_is_no_contradiction(tmp_path: Path) -> None:
    # Near miss: "the latest 2010 census count" keeps the request's year; the plan asked for it.
    bullet = "open the Census Bureau QuickFacts page for Burlington and read the latest 2010 census count."
    assert _named(tmp_path, _run(bullet))[2] != "plan_contradicts_task"


def test_a_request_asking_for_the_latest_figure_itself(tmp_path: Path) -> None:
    # Near miss: the request asks for the latest estimate (after the 2010 census): the plan restates it.
    task = "What is the latest population estimate for Burlington, Vermont, and how much has it grown since 2010?"
    bullet = "open the Census Bureau QuickFacts page for Burlington and read the latest population figure."
    assert _named(tmp_path, _run(bullet, task), task)[2] != "plan_contradicts_task"
