"""Where a Magentic-One run's numeric answer was held: a number of a step's text that is that number,
not a part of a longer one (a package version, a size) nor the row labels pandas prints down a
frame's left edge (``final_answer_origin``, forensics.attribution.answers; ``accepted_wrong_answer``,
ledger_rules). Histories from Magentic-One's emitting code (tests/m1_history.py; microsoft/autogen
``autogen-magentic-one`` ``agents/coder.py``: the Coder's fenced script, the Executor's "The script
ran, then exited with Unix exit code: N\\nIts output was:\\n..." with the script's stdout; pandas'
``DataFrame.to_string`` prints each row's index label, then padding, then the row's values)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, plan, said, tell

TASK = "How many of the scanned invoices in /workspace/invoices are PDF files?"
INSTALL = (
    "The script ran, then exited with Unix exit code: 0\nIts output was:\nCollecting pypdf\n"
    "  Downloading pypdf-4.2.0-py3-none-any.whl (290 kB)\nInstalling collected packages: pypdf\n"
    "Successfully installed pypdf-4.2.0\n"
)
COUNT = "```python\nimport os\nfiles = os.listdir('/workspace/invoices')\nprint('PDF files:', sum(f.endswith('.pdf') for f in files))\n```"


def _run(install_output: str) -> list[dict[str, str]]:
    return [
        plan(TASK, "- The folder /workspace/invoices.", "- Coder: count the PDF files."),
        *tell("Coder", "Please install pypdf so the invoices can be read."),
        said("Coder", "```sh\npip install pypdf\n```"),
        *tell("ComputerTerminal", "Please run the install command."),
        said("ComputerTerminal", install_output),
        *tell("Coder", "Please write a script that counts the PDF files in /workspace/invoices."),
        said("Coder", COUNT),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", "The script ran, then exited with Unix exit code: 0\nIts output was:\nPDF files: 4\n"),
        *accept("The script counted the PDF files.", "FINAL ANSWER: 4"),
    ]


def _named(tmp_path: Path, history: list[dict[str, str]], task: str = TASK) -> tuple[object, object]:
    return blamed(tmp_path, "m1-held", task, history)[:2]


def test_a_one_digit_answer_is_not_held_inside_a_version(tmp_path: Path) -> None:
    # "pypdf-4.2.0" (the install's output, step 7) holds no 4; the count script (step 10) printed it
    # (step 13). HEAD matched the 4 of ".4.2.0"-like text between non-word characters and blamed the
    # install command (step 4).
    assert _named(tmp_path, _run(INSTALL)) == ("Coder", 10)


def test_a_one_digit_answer_printed_standing_alone_earlier_is_held_there(tmp_path: Path) -> None:
    # Near miss: the install output says "4 packages" as a number of its own: the 4 was held there first.
    assert _named(tmp_path, _run(INSTALL.replace("Installing collected packages: pypdf", "Installing 4 packages"))) == (
        "Coder",
        4,
    )


ROSTER_TASK = "The file /workspace/shifts.xlsx lists nurses' shifts. How many nurses worked a night shift?"
FRAME = (
    "The script ran, then exited with Unix exit code: 0\nIts output was:\n"
    "      nurse  shift\n0    Abebe    day\n1    Moreau  night\n2    Sato    day\n3    Lindqvist    night\n"
    "4    Okoro    {last}\n"
)


def _roster(last: str) -> list[dict[str, str]]:
    return [
        plan(ROSTER_TASK, "- The file /workspace/shifts.xlsx.", "- Coder: read it and count."),
        *tell("Coder", "Please print the whole table of /workspace/shifts.xlsx."),
        said("Coder", "```python\nimport pandas as pd\nprint(pd.read_excel('/workspace/shifts.xlsx').to_string())\n```"),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", FRAME.format(last=last)),
        *tell("Coder", "Please count the nurses with a night shift."),
        said(
            "Coder",
            "```python\nimport pandas as pd\ndf = pd.read_excel('/workspace/shifts.xlsx')\n"
            "print('night:', (df['shift'] == 'night').sum())\n```",
        ),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", "The script ran, then exited with Unix exit code: 0\nIts output was:\nnight: 3\n"),
        *accept("The script counted 3 nurses with a night shift.", "FINAL ANSWER: 3"),
    ]


def test_a_count_is_not_held_by_a_frame_row_label(tmp_path: Path) -> None:
    # The table (step 7) labels its rows 0-4; its "3" numbers a row. The count script (step 10)
    # printed 3 (step 13). HEAD traced the answer to the table's script (step 4).
    assert _named(tmp_path, _roster("day"), ROSTER_TASK) == ("Coder", 10)


def test_a_count_a_frame_holds_as_a_value_is_held_there(tmp_path: Path) -> None:
    # Near miss: the same table with a value column holding 3 (a shift count of 3) does hold the figure.
    frame_with_value = _roster("day").copy()
    frame_with_value[6] = said("ComputerTerminal", FRAME.format(last="day") + "Nights this week: 3\n")
    assert _named(tmp_path, frame_with_value, ROSTER_TASK) == ("Coder", 4)
