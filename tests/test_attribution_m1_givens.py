"""What a Magentic-One plan or instruction may state without a worker having found it, and what it may
not (forensics.attribution.plan_rules ``plan_unbacked_fact``, instruction_rules
``instruction_unbacked_figure``, plan_rules ``_assumed_values``). Histories from Magentic-One's emitting
code (tests/m1_history.py: microsoft/autogen ``autogen-magentic-one`` ``agents/orchestrator.py`` and
``orchestrator_prompts.py``'s synthesize prompt, ``agents/multimodal_web_surfer/multimodal_web_surfer.py``'s
"I typed '...' into '0'." / "I clicked '...'." / "Here is a screenshot of [title](url).", whose
``web_search`` opens https://www.bing.com/search?q=..., and ``coder.py``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from m1_history import accept, blamed_row, plan, said, tell, verdict, write

from forensics.attribution.plan_rules import _plan_unbacked_facts
from forensics.attribution.steps import _steps
from forensics.attribution.value_forms import restated_dates
from forensics.classify import _as_spans
from forensics.load import load

HIKE = (
    "A hiker walks the whole Coastal Ridge Trail of Pelican Bluffs State Park one way at 3.2 km/h, plus a "
    "45-minute lunch break. Using the length on the park's official trail page, how many hours will the hike "
    "take? Round to one decimal place."
)
SEARCH = (
    "I typed 'Pelican Bluffs Coastal Ridge Trail' into '0'.\n\nHere is a screenshot of [Pelican Bluffs Coastal "
    "Ridge Trail - Search](https://www.bing.com/search?q=Pelican+Bluffs+Coastal+Ridge+Trail&form=QBLH). The "
    "viewport shows 22% of the webpage, and is positioned at the top of the page.\nAutomatic OCR of the page "
    "screenshot has detected the following text:\n\nCoastal Ridge Trail - Pelican Bluffs State Park (official "
    "site)\nhttps://parks.example.gov/pelican-bluffs/coastal-ridge\nCoastal Ridge Trail - AllTrails\n"
    "14.8 km loop with the return via the dunes\n"
)
PAGE = (
    "I clicked 'Coastal Ridge Trail - Pelican Bluffs State Park (official site)'.\n\nHere is a screenshot of "
    "[Coastal Ridge Trail](https://parks.example.gov/pelican-bluffs/coastal-ridge). The viewport shows 55% of "
    "the webpage, and is positioned at the top of the page.\nAutomatic OCR of the page screenshot has detected "
    "the following text:\n\nCoastal Ridge Trail\nLength: 18.4 km one way, Lighthouse Trailhead to North Cove\n"
)
CODE = "```python\nprint(round(14.8 / 3.2 + 45 / 60, 1))\n```"


def _hike(
    read_the_page: bool = True,
    plan_step: str = "compute the hike's hours",
    task: str = HIKE,
    given: str = "- Speed 3.2 km/h; one 45-minute break.",
) -> list[dict[str, str]]:
    opened = [
        *tell("WebSurfer", "Please open the official park page and read the one-way length."),
        said("WebSurfer", PAGE),
    ]
    return [
        plan(task, given, f"- WebSurfer: find the length.\n- Coder: {plan_step}."),
        *tell("WebSurfer", "Please search for the official Coastal Ridge Trail page."),
        said("WebSurfer", SEARCH),
        *(opened if read_the_page else []),
        *tell("Coder", "The trail is 14.8 km one way. Please compute 14.8 / 3.2 + 45 minutes in hours."),
        said("Coder", CODE),
        *tell("ComputerTerminal", "Please run the Coder's script."),
        said("ComputerTerminal", "5.4\n"),
        *accept("The hike takes 5.4 hours.", "The hike takes about 5.4 hours."),
    ]


def _row(tmp_path: Path, task: str, history: list[dict[str, str]]) -> dict[str, object]:
    return blamed_row(tmp_path, "m1-givens", task, history)


def _plan_facts(tmp_path: Path, task: str, history: list[dict[str, str]]) -> list[int]:
    steps = _steps(_as_spans(load(write(tmp_path, "m1-plan", task, history), format="ag2-history")))
    return _plan_unbacked_facts(steps).get_column("decisive_step").to_list()


def test_a_plan_restating_the_requests_minutes_in_hours_invents_nothing(tmp_path: Path) -> None:
    # The plan computes with 0.75 h: the request's 45-minute break in the unit of the sum.
    assert _plan_facts(tmp_path, HIKE, _hike(plan_step="compute length / 3.2 + 0.75 hours")) == []


def test_a_plan_stating_a_figure_no_unit_of_the_request_gives(tmp_path: Path) -> None:
    # Near miss: 0.5 h is no restatement of 45 minutes (nor of 3.2 km/h): the plan invented it.
    assert _plan_facts(tmp_path, HIKE, _hike(plan_step="compute length / 3.2 + 0.5 hours")) == [1]


def test_a_plan_restating_a_time_and_an_ordinal_of_the_request(tmp_path: Path) -> None:
    # "1:05.00" is 65.00 s and "10th" is rank 10: restated, not invented.
    task = "How many swimmers in the 10th lane group swam 100 m faster than 1:05.00?"
    history = _hike(plan_step="count times under 65.00 s in rank 10", task=task, given="- A swim.")
    assert _plan_facts(tmp_path, task, history) == []
    history = _hike(plan_step="count times under 66.00 s in rank 11", task=task, given="- A swim.")
    assert _plan_facts(tmp_path, task, history) == [1]


def test_a_plan_writing_the_requests_date_in_numbers_invents_nothing(tmp_path: Path) -> None:
    # The request names "Saturday 14 September 2024"; the plan's bullet searches "on 14.09.2024" (the
    # form a timetable's date field takes): the request's date, not a fact the plan invented. HEAD
    # blamed the plan (plan_unbacked_fact at step 1).
    task = "Using the ferry timetable for Saturday 14 September 2024, when does the last boat leave Oban?"
    history = _hike(plan_step="search the timetable for 14.09.2024", task=task, given="- A Saturday.")
    assert _plan_facts(tmp_path, task, history) == []
    history = _hike(plan_step="search the timetable for 2024-09-14", task=task, given="- A Saturday.")
    assert _plan_facts(tmp_path, task, history) == []


def test_a_plan_writing_another_day_in_numbers_is_unbacked(tmp_path: Path) -> None:
    # Near miss: 15.09.2024 is not the request's date (the Sunday after): the plan acts on a date of its own.
    task = "Using the ferry timetable for Saturday 14 September 2024, when does the last boat leave Oban?"
    history = _hike(plan_step="search the timetable for 15.09.2024", task=task, given="- A Saturday.")
    assert _plan_facts(tmp_path, task, history) == [1]


def test_a_plan_dating_its_source_with_a_written_date_invents_nothing(tmp_path: Path) -> None:
    # The synthesize prompt's closed-book fact sheet dates the source it names ("published 6 February
    # 2024", orchestrator_prompts.py ORCHESTRATOR_SYNTHESIZE_PROMPT's "GIVEN OR VERIFIED FACTS"): a year
    # that dates a publication is no figure the team computes with. HEAD blamed the plan.
    task = "According to the Fabrikam Q4 2023 annual report, how many stores did Fabrikam run at year end?"
    given = "- Source: the Q4 2023 report (published 6 February 2024; the summary of February 2024)."
    history = _hike(plan_step="read the store count", task=task, given=given)
    assert _plan_facts(tmp_path, task, history) == []


def test_a_plan_acting_on_a_bare_year_of_its_own_is_unbacked(tmp_path: Path) -> None:
    # Near miss: "released in 2024" is a year the plan acts on (a search bullet), not a date it wrote.
    task = "According to the Fabrikam Q4 2023 annual report, how many stores did Fabrikam run at year end?"
    history = _hike(plan_step="search the report released in 2024", task=task, given="- A report.")
    assert _plan_facts(tmp_path, task, history) == [1]


def test_restated_dates_gives_the_numeric_forms_of_a_named_date() -> None:
    frame = pl.DataFrame(
        {"run_id": ["a", "b", "c"], "t": ["on 14 September 2024", "March 3rd, 2021", "in May 2020"]}
    )
    got = restated_dates(frame, pl.col("t")).group_by("run_id").agg(pl.col("_n")).sort("run_id")
    forms = dict(zip(got["run_id"], got["_n"].to_list(), strict=True))
    assert {"14.09.2024", "14.9.2024", "20240914"} <= set(forms["a"])
    assert {"03.03.2021", "20210303"} <= set(forms["b"])
    assert "c" not in forms  # a month without a day is no date


def test_an_instruction_handing_on_a_snippet_the_surfer_had_read_past(tmp_path: Path) -> None:
    # The results page (step 4) lists an AllTrails 14.8 km loop; the surfer then opens the official page
    # (step 7: 18.4 km one way); the instruction to the Coder (step 9) hands it 14.8 and the code computes
    # with it: the ledger that wrote the instruction (step 8) took the snippet over the surfer's reading.
    row = _row(tmp_path, HIKE, _hike())
    assert verdict(row) == (
        "Orchestrator",
        8,
        "instruction_unbacked_figure",
    )


def test_an_instruction_handing_on_the_latest_snippet(tmp_path: Path) -> None:
    # Near miss: the results page is the surfer's latest step: handing its figure on takes up the
    # team's latest finding, which is no mis-copy.
    row = _row(tmp_path, HIKE, _hike(read_the_page=False))
    assert row["attribution_rule"] != "instruction_unbacked_figure"


CENSUS = "What was the 2019 population estimate of Teton County, Wyoming, per the US Census Bureau?"


def _census(instruction: str, report: str) -> list[dict[str, str]]:
    return [
        plan(CENSUS, "- County: Teton County, Wyoming.", "- WebSurfer: look up the estimate.\n- Report it."),
        *tell("WebSurfer", "Please search census.gov for the county's population."),
        said("WebSurfer", "I could not open census.gov: the page did not load."),
        *tell("WebSurfer", instruction),
        said("WebSurfer", report),
        *accept("The WebSurfer gave the population, 23,100.", "The population was 23,100."),
    ]


def test_an_instruction_asking_for_a_best_estimate_instead(tmp_path: Path) -> None:
    # The orchestrator (ledger at step 5) has the surfer make the figure up: the run's answer is a guess.
    history = _census("Please give your best estimate instead.", "My estimate is 23,100 residents.")
    row = _row(tmp_path, CENSUS, history)
    assert verdict(row) == (
        "Orchestrator",
        5,
        "unverified_accepted",
    )


def test_an_instruction_asking_for_a_published_estimate(tmp_path: Path) -> None:
    # Near miss: "the 2019 population estimate" is the published figure the request names.
    history = _census(
        "Please open the Census Bureau's 2019 population estimate table for the county.",
        "The 2019 population estimate table lists Teton County, Wyoming at 23,100.",
    )
    assert _row(tmp_path, CENSUS, history)["attribution_rule"] != "unverified_accepted"


def test_a_plan_stating_the_length_of_the_requests_month_invents_nothing(tmp_path: Path) -> None:
    # ORCHESTRATOR_SYNTHESIZE_PROMPT's fact sheet (autogen-magentic-one agents/orchestrator_prompts.py;
    # agentchat's ORCHESTRATOR_TASK_LEDGER_FULL_PROMPT) writes the calendar facts of a month the request
    # names: "Month: March 2024 (31 days)" is the request's month, not a fact the plan invented. HEAD
    # blamed the plan (plan_unbacked_fact at step 1).
    task = "The attached log counts a kiln's firings per day. What was the mean number of firings a day in March 2024?"
    history = _hike(
        plan_step="average the 31 daily counts", task=task, given="- Month: March 2024 (31 days)."
    )
    assert _plan_facts(tmp_path, task, history) == []
    task = "What was the mean number of firings a day in February 2024?"
    history = _hike(
        plan_step="average the 29 daily counts", task=task, given="- Month: February 2024 (29 days)."
    )
    assert _plan_facts(tmp_path, task, history) == []


def test_a_plan_stating_another_months_length_is_unbacked(tmp_path: Path) -> None:
    # Near miss: April has 30 days; a plan averaging "31 daily counts" for it acts on a figure of its own.
    task = "The attached log counts a kiln's firings per day. What was the mean number of firings a day in April 2024?"
    history = _hike(plan_step="average the 31 daily counts", task=task, given="- Month: April 2024.")
    assert _plan_facts(tmp_path, task, history) == [1]


def test_a_plan_restating_the_requests_strict_bound_inclusively_invents_nothing(tmp_path: Path) -> None:
    # ORCHESTRATOR_SYNTHESIZE_PROMPT's fact sheet restates a strict bound of the request as the
    # inclusive one next to it: "earlier than 1850" is "1849 or earlier", "more than 20 kg" is "21 kg
    # or more". HEAD blamed the plan (plan_unbacked_fact at step 1).
    task = "On the park's official list, how many of the shelters were built earlier than 1850?"
    given = "- The threshold is built before 1850 (i.e. 1849 or earlier)."
    assert (
        _plan_facts(
            tmp_path, task, _hike(plan_step="count shelters built in 1849 or earlier", task=task, given=given)
        )
        == []
    )
    task = "How many of the parcels weighing more than 20 kg arrived late?"
    history = _hike(plan_step="count parcels of 21 kg or more", task=task, given="- Parcels over 20 kg.")
    assert _plan_facts(tmp_path, task, history) == []


def test_a_plan_moving_a_bound_the_other_way_is_unbacked(tmp_path: Path) -> None:
    # Near miss: "1851 or later" is no restatement of "earlier than 1850": the plan acts on a year of its own.
    task = "On the park's official list, how many of the shelters were built earlier than 1850?"
    history = _hike(plan_step="count shelters built in 1851 or later", task=task, given="- A list.")
    assert _plan_facts(tmp_path, task, history) == [1]
