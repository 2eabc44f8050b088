"""Where an accepted answer's figure was first held (``accepted_wrong_answer``, forensics.attribution.ledger_rules
``_accepted_answers``): not in a browser's report of its own viewport, nor inside a title the answer quotes.
Histories from Magentic-One's emitting code (tests/m1_history.py; microsoft/autogen ``autogen-magentic-one``
``agents/file_surfer/file_surfer.py``: the markdown browser's "Address: file:///p\\nTitle: ...\\nViewport
position: Showing page i of n.\\n=======================" header over the page's text; ``agents/orchestrator.py``:
the ledger that finds the request satisfied, "Request satisfied." and ``_prepare_final_answer``'s message)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed_row, file_view, orchestrator, plan, said, tell, verdict, write

from forensics.attribution.ledger_rules import _answer_numbers
from forensics.attribution.steps import _steps
from forensics.classify import _as_spans
from forensics.load import load

TASK = (
    "The attached document is the program of a two-day robotics fair. How many demos were scheduled in Hall B "
    "on the second day?"
)
PAGE_1 = "## Day 1\n\n| Time | Hall | Demo |\n| --- | --- | --- |\n| 09:00 | A | Opening |\n| 10:00 | B | Swarm drones |\n"
PAGE_2 = (
    "## Day 2\n\n| Time | Hall | Demo |\n| --- | --- | --- |\n| 09:00 | B | Soft grippers |\n"
    "| 10:00 | B | Walking on 40 legs |\n| 11:00 | C | Underwater arms |\n"
)


def _run(count_line: str, answer: str) -> list[dict[str, str]]:
    return [
        plan(
            TASK,
            "- The program is the attached file fair.docx.",
            "- FileSurfer: open it and count day 2's Hall B demos.",
        ),
        *tell("FileSurfer", "Please open fair.docx and show the day 2 schedule."),
        file_view("/workspace/fair.docx", PAGE_1, page=1, pages=3),
        *tell("FileSurfer", "Please go to the Day 2 section."),
        file_view("/workspace/fair.docx", PAGE_2 + count_line, page=2, pages=3),
        *tell("FileSurfer", "How many demos are in Hall B on day 2? Please list them."),
        said(
            "FileSurfer",
            "On day 2, Hall B has: 1. Soft grippers; 2. Walking on 40 legs.\nSo there are 3 demos in Hall B.",
        ),
        *accept("FileSurfer listed the Hall B demos of the second day.", answer),
    ]


ANSWER = "There were 3 demos in Hall B on the second day."


def test_a_count_first_said_by_the_worker_is_not_held_by_the_viewport_header(tmp_path: Path) -> None:
    # "Showing page 1 of 3." is where the browser is, not the page's text: the FileSurfer's own count
    # (step 10) is where the 3 entered. HEAD traced it to the first view's header (step 4).
    row = blamed_row(tmp_path, "m1-viewport", TASK, _run("", ANSWER))
    assert verdict(row) == (
        "FileSurfer",
        10,
        "accepted_wrong_answer",
    )


def test_a_count_the_page_itself_prints_is_held_by_that_view(tmp_path: Path) -> None:
    # Near miss: the page's own text states the count ("Hall B demos: 3"): the view holding it (step 7)
    # is where the figure entered.
    row = blamed_row(tmp_path, "m1-viewport-held", TASK, _run("\nHall B demos on day 2: 3\n", ANSWER))
    assert verdict(row) == (
        "FileSurfer",
        7,
        "accepted_wrong_answer",
    )


def _answer_figures(tmp_path: Path, answer: str) -> list[str]:
    history = _run("", answer)
    steps = _steps(_as_spans(load(write(tmp_path, "m1-quoted", TASK, history), format="ag2-history")))
    return sorted(_answer_numbers(steps).get_column("_n").to_list())


def test_a_figure_inside_a_title_the_answer_quotes_is_not_stated(tmp_path: Path) -> None:
    # _prepare_final_answer's message names the demos it counted: the 40 of "Walking on 40 legs" is
    # part of a title, not a figure the answer states (HEAD read both 3 and 40).
    answer = (
        'There were 3 demos in Hall B on the second day: "Soft grippers" and \u201cWalking on 40 legs\u201d.'
    )
    assert _answer_figures(tmp_path, answer) == ["3"]


def test_a_figure_outside_the_quotes_is_still_stated(tmp_path: Path) -> None:
    # Near miss: a figure the answer states next to a quoted name stays the answer's.
    answer = 'The demo "Soft grippers" drew 40 visitors.'
    assert _answer_figures(tmp_path, answer) == ["40"]


def _final_answer_run(count_line: str) -> list[dict[str, str]]:
    """The run of ``_run`` whose final answer is a ``FINAL ANSWER:`` line:
    final_answer_origin traces the line (autogen-magentic-one ``_prepare_final_answer`` with
    ``ORCHESTRATOR_GET_FINAL_ANSWER``'s "FINAL ANSWER: [YOUR FINAL ANSWER]" template)."""
    return [*_run(count_line, ANSWER)[:-1], orchestrator("final answer", "FINAL ANSWER: 3")]


def test_a_final_answer_line_is_not_held_by_the_viewport_header(tmp_path: Path) -> None:
    # The one-digit FINAL ANSWER 3 is in "Showing page 2 of 3." (steps 4 and 7): the browser's position.
    # The FileSurfer's own count (step 10) is where it entered.
    row = blamed_row(tmp_path, "m1-viewport-final", TASK, _final_answer_run(""))
    assert verdict(row) == ("FileSurfer", 10, "final_answer_origin")


def test_a_final_answer_line_the_page_prints_is_held_by_that_view(tmp_path: Path) -> None:
    # Near miss: the page's own text states the count: the view holding it (step 7).
    row = blamed_row(
        tmp_path, "m1-viewport-final-held", TASK, _final_answer_run("\nHall B demos on day 2: 3\n")
    )
    assert verdict(row) == ("FileSurfer", 7, "final_answer_origin")
