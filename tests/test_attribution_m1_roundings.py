"""A final answer that rounds a worker's figure as the request asks restates it (forensics.attribution
.value_forms ``roundings``, read by ledger_rules ``accepted_wrong_answer`` / ``unverified_accepted``):
"about 122.4 days" for a page's 122.3874 is the rounding's "about", not a value nobody established, and
the rounded figure is held where the finer one was. Histories from Magentic-One's emitting code
(tests/m1_history.py: microsoft/autogen ``autogen-magentic-one`` ``agents/orchestrator.py``'s ledger
and ``_prepare_final_answer``; ``agents/multimodal_web_surfer/multimodal_web_surfer.py``'s "I clicked
'...'." / "Here is a screenshot of [title](url)." / "Automatic OCR of the page screenshot has detected
the following text:")."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, plan, said, tell

TASK = "What is the orbital period of Kepler-62 f in days, per the exoplanet archive? Round to one decimal place."
PAGE = (
    "I clicked 'Planet parameters'.\n\nHere is a screenshot of [Kepler-62 Overview](https://exoplanets.example"
    ".org/overview/Kepler-62). The viewport shows 18% of the webpage, and is positioned 41% down from the top "
    "of the page.\nAutomatic OCR of the page screenshot has detected the following text:\n\nPlanet parameters\n"
    "Parameter  Kepler-62 e  Kepler-62 f\nOrbital Period (days)  122.3874  267.291\n"
)


def _history(report: str, page: str) -> list[dict[str, str]]:
    return [
        plan(TASK, "- Planet: Kepler-62 f.", "- WebSurfer: read the orbital period.\n- Report it."),
        *tell("WebSurfer", "Please click 'Planet parameters' and show the orbital periods."),
        said("WebSurfer", page),
        *tell("WebSurfer", "Please state the orbital period listed for Kepler-62 f."),
        said("WebSurfer", report),
        *accept("The archive gives the orbital period of Kepler-62 f as about 122.4 days.", "122.4"),
    ]


def _named(tmp_path: Path, report: str, page: str = PAGE) -> tuple[object, object, object]:
    return blamed(tmp_path, "m1-rounding", TASK, _history(report, page))


def test_an_answer_rounding_the_surfers_figure_is_traced_to_the_surfer(tmp_path: Path) -> None:
    # The page (step 4, opened as told) lists both planets; the surfer reports Kepler-62 e's 122.3874
    # for f (step 7); the ledger accepts "about 122.4 days", the request's rounding of it: the surfer's
    # reading is where the wrong figure entered, not an estimate the orchestrator accepted.
    got = _named(tmp_path, "The orbital period listed for Kepler-62 f is 122.3874 days.")
    assert got == ("WebSurfer", 7, "accepted_wrong_answer")


def test_an_approximate_figure_no_step_held_finer_is_still_unestablished(tmp_path: Path) -> None:
    # Near miss: the page and the surfer give 122.4 (no finer figure anywhere): the ledger's "about
    # 122.4" is no rounding, and accepting an approximate value is the orchestrator's (its ledger, step 8).
    page = PAGE.replace("122.3874", "122.4")
    got = _named(tmp_path, "The orbital period listed for Kepler-62 f is 122.4 days.", page)
    assert got == ("Orchestrator", 8, "unverified_accepted")
