"""An accepted answer that picked one of the candidates a worker reported for a request asking to
select by order ("the first to ..."): the pick was the orchestrator's (forensics.attribution
ledger_rules ``_picked_year``). Histories from Magentic-One's emitting code (tests/m1_history.py:
microsoft/autogen ``autogen-magentic-one`` ``agents/orchestrator.py``: the ledger's
``is_request_satisfied`` reason and ``_prepare_final_answer`` with ``ORCHESTRATOR_GET_FINAL_ANSWER``,
written from the transcript; ``agents/multimodal_web_surfer``: the surfer's page view, then its
answer in its own words)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, plan, said, tell

TASK = "Which studio album by the band Fabrikam Quartet was the first to top the national chart, and in what year?"
PAGE = (
    "I clicked 'Fabrikam Quartet discography'.\n\nHere is a screenshot of [Fabrikam Quartet discography]"
    "(https://en.wikipedia.org/wiki/Fabrikam_Quartet_discography). The viewport shows 8% of the webpage, and is "
    "positioned 10% down from the top of the page.\nAutomatic OCR of the page screenshot has detected the "
    "following text:\n\nStudio albums\nTitle | Released | Peak\nNorthern Lights | 1999 | 1\nHarbour | 2001 | 4\n"
    "Tidewater | 2004 | 1\n"
)


def _history(report: str) -> list[dict[str, str]]:
    return [
        plan(TASK, "- Band: Fabrikam Quartet.", "- WebSurfer: read the discography.\n- Report the album and year."),
        *tell("WebSurfer", "Please open the Fabrikam Quartet discography and read the studio albums' peaks."),
        said("WebSurfer", PAGE),
        *tell("WebSurfer", "Please confirm from the table which albums reached number one."),
        said("WebSurfer", report),
        *accept("Tidewater topped the chart in 2004.", "Tidewater, 2004"),
    ]


def _named(tmp_path: Path, report: str) -> tuple[str, int, str]:
    return blamed(tmp_path, "m1-pick", TASK, _history(report))


def test_an_answer_picking_among_the_reported_candidates_is_the_orchestrators(tmp_path: Path) -> None:
    # The surfer reports both number ones with their years (step 7) and picks none; the accepting
    # ledger (step 8) states Tidewater, 2004, not the earlier 1999: the pick was the orchestrator's.
    report = "According to the table, two albums reached number one: Northern Lights (1999) and Tidewater (2004)."
    assert _named(tmp_path, report) == ("Orchestrator", 8, "accepted_wrong_answer")


def test_a_report_that_made_the_selection_itself_is_traced(tmp_path: Path) -> None:
    # Near miss: the surfer itself named the first ("The first album to reach number one was ..."):
    # the accepted year is its reading, traced to its report (step 7).
    report = "The first album to reach number one was Tidewater (2004); Northern Lights (1999) peaked lower."
    assert _named(tmp_path, report) == ("WebSurfer", 7, "accepted_wrong_answer")
