"""A web surfer's click on a target for another period than it was sent to (forensics.attribution
.click_rules ``clicked_another_period``). Histories from Magentic-One's emitting code
(tests/m1_history.py; microsoft/autogen ``autogen-magentic-one``
``agents/multimodal_web_surfer/multimodal_web_surfer.py`` ``_execute_tool``: a click is reported by the
target's accessible name, "I clicked '<aria name>'."; MediaWiki's history page names each revision's
link by its timestamp, "14:02, 3 March 2024")."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, plan, said, tell

TASK = (
    "According to the English Wikipedia article 'List of ferry routes in Orkney' as it stood on 31 December "
    "2021, how many routes were listed as 'seasonal'?"
)
HISTORY_PAGE = (
    "I clicked 'View history'.\n\nHere is a screenshot of [List of ferry routes in Orkney: Revision history - "
    "Wikipedia](https://en.wikipedia.org/w/index.php?title=List_of_ferry_routes_in_Orkney&action=history). The "
    "viewport shows 12% of the webpage, and is positioned at the top of the page.\nAutomatic OCR of the page "
    "screenshot has detected the following text:\n\ncur prev  09:15, 2 May 2023  Tideway . . (18,204 bytes)\n"
    "cur prev  17:40, 14 December 2021  Holmfirth . . (17,650 bytes)\n"
)


def _revision(clicked: str) -> str:
    return (
        f"I clicked '{clicked}'.\n\nHere is a screenshot of [List of ferry routes in Orkney - Wikipedia]"
        "(https://en.wikipedia.org/w/index.php?title=List_of_ferry_routes_in_Orkney&oldid=1152233445). The viewport "
        "shows 10% of the webpage, and is positioned at the top of the page.\nAutomatic OCR of the page screenshot "
        "has detected the following text:\n\nList of ferry routes in Orkney\nRoute  Operator  Status\n"
    )


def _history(clicked: str) -> list[dict[str, str]]:
    """The surfer opens the history (step 4), is told to open the 14 December 2021 revision and
    clicks ``clicked`` (step 7); it then counts 6 seasonal routes (step 10), accepted at step 11."""
    return [
        plan(TASK, "- The article as of 31 December 2021.", "- WebSurfer: open the history.\n- Count."),
        *tell("WebSurfer", "Please open the article's 'View history' page."),
        said("WebSurfer", HISTORY_PAGE),
        *tell("WebSurfer", "Please open the last revision on or before 31 December 2021 (the 14 December 2021 edit)."),
        said("WebSurfer", _revision(clicked)),
        *tell("WebSurfer", "Please count the routes whose status is 'seasonal' on this revision."),
        said("WebSurfer", "This revision lists 6 routes with status 'seasonal'."),
        *accept("WebSurfer counted 6 seasonal routes.", "FINAL ANSWER: 6"),
    ]


def test_a_click_on_a_revision_of_another_year_is_the_surfers(tmp_path: Path) -> None:
    # Told to open the 14 December 2021 revision, the surfer clicked the 2 May 2023 one (step 7).
    assert blamed(tmp_path, "m1-click-period", TASK, _history("09:15, 2 May 2023")) == (
        "WebSurfer",
        7,
        "clicked_another_period",
    )


def test_a_click_on_the_revision_it_was_sent_to_is_no_such_click(tmp_path: Path) -> None:
    # Near miss: it clicked the 14 December 2021 revision, as told: the count is traced as before.
    assert blamed(tmp_path, "m1-click-period", TASK, _history("17:40, 14 December 2021"))[2] != "clicked_another_period"


def test_a_click_on_a_target_naming_no_year_is_no_such_click(tmp_path: Path) -> None:
    # Near miss: the target names no date ('prev'): nothing says which period the page is for.
    assert blamed(tmp_path, "m1-click-period", TASK, _history("prev"))[2] != "clicked_another_period"
