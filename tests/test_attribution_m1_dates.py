"""An orchestrator instruction writing a date in numbers ("born 1941-12-22") that a worker reported
with its month's name ("22 December 1941"): the month's number is no figure the orchestrator
invented (``instruction_unbacked_figure``, forensics.attribution.instruction_rules
``_restated_date_parts``). Histories from Magentic-One's emitting code (tests/m1_history.py:
microsoft/autogen ``autogen-magentic-one`` ``agents/orchestrator.py``, whose ledger writes the
``instruction_or_question`` from the transcript in the form the Coder's code needs, broadcast as
``Orchestrator (-> Coder)``; ``agents/coder.py``: the Coder's fenced script)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, plan, said, tell

TASK = (
    "How old, in whole years, was the chemist Stanley Whittingham on the day of the 2019 Nobel award "
    "ceremony (10 December 2019)?"
)
PAGE = (
    "I clicked 'M. Stanley Whittingham - Facts'.\n\nHere is a screenshot of [M. Stanley Whittingham - Facts]"
    "(https://www.nobelprize.org/prizes/chemistry/2019/whittingham/facts/). The viewport shows 40% of the "
    "webpage, and is positioned at the top of the page.\nAutomatic OCR of the page screenshot has detected "
    "the following text:\n\nM. Stanley Whittingham\nBorn: 22 December 1941, Nottingham, United Kingdom\n"
)


def _history(born: str) -> list[dict[str, str]]:
    y, m, d = born.split("-")
    script = (
        "```python\nfrom datetime import date\n\nceremony = date(2019, 12, 10)\n"
        f"born = date({int(y)}, {int(m)}, {int(d)})\n"
        "print(ceremony.year - born.year - ((ceremony.month, ceremony.day) < (born.month, born.day)))\n```"
    )
    return [
        plan(TASK, "- Ceremony: 10 December 2019.", "- WebSurfer: find the birth date.\n- Coder: compute the age."),
        *tell("WebSurfer", "Please open the nobelprize.org facts page for M. Stanley Whittingham."),
        said("WebSurfer", PAGE),
        *tell("Coder", f"Please write a script that prints the age on 10 December 2019 of a person born {born}."),
        said("Coder", script),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", "78\n"),
        *accept("The script computed the age: 78.", "He was 78."),
    ]


def _rule(tmp_path: Path, born: str) -> tuple[str, int, str]:
    return blamed(tmp_path, "m1-dates", TASK, _history(born))


def test_a_reported_date_written_in_numbers_hands_no_invented_figure(tmp_path: Path) -> None:
    # The page (step 4) gives "22 December 1941"; the instruction (step 6) writes it 1941-12-22 and the
    # code uses 12: the month's number restates the reported date, so no instruction is blamed.
    assert _rule(tmp_path, "1941-12-22")[2] != "instruction_unbacked_figure"


def test_a_date_nobody_reported_is_handed_figures(tmp_path: Path) -> None:
    # Near miss: the instruction writes 1941-11-22, a date no message named (the month's 11 is
    # invented) and the code computes with it: the ledger that wrote it (step 5) is blamed.
    assert _rule(tmp_path, "1941-11-22") == ("Orchestrator", 5, "instruction_unbacked_figure")
