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


DIVE_TASK = (
    "The file /workspace/dives.csv has the judges' marks of the spring meet. What is Ana Lind's total, the "
    "sum of her dive scores rounded to the nearest whole point with halves rounded up?"
)


def _tie_history(printed: str, answer: str) -> list[dict[str, str]]:
    """The Coder's first script (step 2) prints the unrounded total 234.5 (step 3); a second script
    (step 6) prints ``printed`` (step 7) as the rounded total; the ledger accepts ``answer``.
    agents/coder.py's Executor: "The script ran, then exited with Unix exit code: 0\\nIts output was:\\n"."""
    run = "The script ran, then exited with Unix exit code: 0\nIts output was:\n"
    return [
        plan(DIVE_TASK, "- The file /workspace/dives.csv.", "- Coder: compute the total.\n- Report it."),
        said("Coder", "```python\nprint('Unrounded total:', 234.5)\n```"),
        said("ComputerTerminal", run + "Unrounded total: 234.5\n"),
        *tell("Coder", "Please print the rounded total."),
        said("Coder", "```python\ntotal = 234.5\nprint('Rounded total:', round(total))\n```"),
        said("ComputerTerminal", run + f"Rounded total: {printed}\n"),
        *accept(f"The rounded total for Ana Lind has been computed as {answer}.", f"FINAL ANSWER: {answer}"),
    ]


def test_a_half_rounded_to_even_is_no_rounding_of_the_held_tie(tmp_path: Path) -> None:
    # Python's round(234.5) is 234 (halves to even); the request rounds halves up (235): the 234 is not
    # the first script's 234.5 rounded as asked but the second script's own figure, traced to its code.
    got = blamed(tmp_path, "m1-tie", DIVE_TASK, _tie_history("234", "234"))
    assert got[:2] == ("Coder", 6)


def test_a_half_rounded_up_is_the_held_tie(tmp_path: Path) -> None:
    # Near miss: 235 is 234.5 rounded as a request means it: held where 234.5 was (the first script, step 2).
    got = blamed(tmp_path, "m1-tie-up", DIVE_TASK, _tie_history("235", "235"))
    assert got[:2] == ("Coder", 2)
