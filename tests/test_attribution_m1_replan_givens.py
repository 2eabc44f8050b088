"""A replan whose fact sheet dropped a condition of the request that the first plan stated
(``replan_dropped_fact``, forensics.attribution.plan_rules ``_dropped_givens``). Histories from
Magentic-One's emitting code (tests/m1_history.py; microsoft/autogen ``autogen-magentic-one``
``agents/orchestrator.py``: "Initial plan:" / "New plan:" + ORCHESTRATOR_SYNTHESIZE_PROMPT's fact sheet
and plan, the replan resetting every history to the new plan (``_select_next_agent``); ``agents/
orchestrator_prompts.py``: ORCHESTRATOR_UPDATE_FACTS_PROMPT rewrites the fact sheet)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, file_view, plan, said, tell

TASK = (
    "The attached CSV lists the workshops of a teachers' conference. On the first day, which workshop held "
    "in Hall C had the most attendees? Give the workshop title."
)
KEPT = "- Only day one counts.\n- Only workshops held in Hall C count."
CODE = (
    "```python\nimport pandas as pd\ndf = pd.read_csv('/workspace/workshops.csv')\nday = df[df['day'] == 1]\n"
    "print(day.sort_values('attendees').iloc[-1]['title'])\n```"
)


def _run(replan_given: str) -> list[dict[str, str]]:
    first = plan(TASK, KEPT, "- FileSurfer: open the CSV.\n- Report the largest workshop.")
    new = plan(TASK, replan_given, "- Coder: read the CSV with pandas and print the largest workshop.")
    new["content"] = new["content"].replace("Initial plan:", "New plan:", 1)
    return [
        first,
        *tell("FileSurfer", "Please open the attached CSV."),
        file_view("/workspace/workshops.csv", "day,hall,title,attendees", pages=3),
        new,
        *tell("Coder", "Please write a script that prints the largest day-one workshop."),
        said("Coder", CODE),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", "The script ran, then exited with Unix exit code: 0\nIts output was:\nReading circles\n"),
        *accept("The largest workshop is Reading circles.", "FINAL ANSWER: Reading circles"),
    ]


def _named(tmp_path: Path, history: list[dict[str, str]]) -> tuple[object, object, object]:
    return blamed(tmp_path, "m1-replan-givens", TASK, history)


def test_a_replan_whose_fact_sheet_drops_the_requests_hall(tmp_path: Path) -> None:
    # The first plan's facts state "Only workshops held in Hall C count."; the new plan (step 5) keeps
    # day one and drops the hall, and the team answered by it (the script counts every hall).
    assert _named(tmp_path, _run("- Only day one counts.")) == ("Orchestrator", 5, "replan_dropped_fact")


def test_a_replan_that_keeps_the_requests_hall(tmp_path: Path) -> None:
    # Near miss: the new fact sheet keeps the condition; what went wrong after it is not the replan's.
    assert _named(tmp_path, _run(KEPT))[2] != "replan_dropped_fact"


# A condition the first fact sheet wrote in a word of its own ("must be <word>", ``_CONDITION_WORD``),
# not a name: a lower-case qualifier of the request's subject.
BAKERY_TASK = (
    "Which gluten-free bakery in Ghent's Patershol quarter has the most reviews on Tripadvisor? Give its name."
)
BAKERY_KEPT = "- Quarter: Patershol, Ghent.\n- The bakery must be gluten-free."


def _bakery(replan_given: str) -> list[dict[str, str]]:
    first = plan(BAKERY_TASK, BAKERY_KEPT, "- WebSurfer: search for gluten-free bakeries in Patershol.\n- Report it.")
    new = plan(BAKERY_TASK, replan_given, "- WebSurfer: search Bing for bakeries in Patershol and compare reviews.")
    new["content"] = new["content"].replace("Initial plan:", "New plan:", 1)
    return [
        first,
        *tell("WebSurfer", "Please search for gluten-free bakeries in Patershol, Ghent."),
        said("WebSurfer", "I scrolled down one page in the browser.\n\nThe results list did not load."),
        new,
        *tell("WebSurfer", "Please search Bing for 'bakeries Patershol Ghent reviews' and list the top results."),
        said("WebSurfer", "I typed 'bakeries Patershol Ghent reviews' into the search box.\n\nBakkerij Vandaele: 1,204 reviews"),
        *accept("Bakkerij Vandaele has the most reviews.", "FINAL ANSWER: Bakkerij Vandaele"),
    ]


def test_a_replan_whose_fact_sheet_drops_the_requests_qualifier_word(tmp_path: Path) -> None:
    # The first plan's facts state "The bakery must be gluten-free."; the new plan (step 5) keeps the
    # quarter and drops the qualifier, and the team answered by it.
    history = _bakery("- Quarter: Patershol, Ghent.\n- The first search did not load.")
    assert blamed(tmp_path, "m1-replan-word", BAKERY_TASK, history) == ("Orchestrator", 5, "replan_dropped_fact")


def test_a_replan_that_keeps_the_qualifier_word(tmp_path: Path) -> None:
    # Near miss: the new fact sheet keeps it, in other words ("Gluten-free bakeries only").
    history = _bakery("- Quarter: Patershol, Ghent.\n- Gluten-free bakeries only.")
    assert blamed(tmp_path, "m1-replan-word", BAKERY_TASK, history)[2] != "replan_dropped_fact"


def test_a_dropped_condition_word_the_request_never_asked_is_no_evidence(tmp_path: Path) -> None:
    # Near miss: the first sheet's "must be open" is the plan's own condition, not the request's.
    first = _bakery("- Quarter: Patershol, Ghent.\n- Gluten-free bakeries only.")
    first[0]["content"] = first[0]["content"].replace(BAKERY_KEPT, BAKERY_KEPT + "\n- The bakery must be open today.")
    assert blamed(tmp_path, "m1-replan-word", BAKERY_TASK, first)[2] != "replan_dropped_fact"
