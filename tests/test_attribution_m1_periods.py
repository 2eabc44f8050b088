"""A FileSurfer that opened, of the exports a folder listing showed, one whose name states another
period than the request's date range (``source_contradicts_task``, forensics.attribution.period_rules).
Histories from Magentic-One's emitting code (tests/m1_history.py: microsoft/autogen
``autogen-magentic-one`` ``agents/file_surfer/file_surfer.py``, the markdown browser's view of the path
the surfer's model chose, "Address: file:///p"; ``agents/coder.py``: the Coder's script reads the file
by its path; ``agents/orchestrator.py``: the ledger's instruction as ``Orchestrator (-> X)``)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, file_view, plan, said, tell

TASK = (
    "The co-op's meter exports are in /workspace/meters/. Its billing year 2023 ran from 1 April 2023 to "
    "31 March 2024. Using the export for that billing year, what was the total consumption in kWh?"
)
LISTING = (
    "# Index of /workspace/meters\n\n| Name | Size |\n| ---- | ---- |\n"
    "| [meters_2023-04-01_2024-03-31.csv](file:///workspace/meters/meters_2023-04-01_2024-03-31.csv) | 81220 |\n"
    "| [meters_2023-01-01_2023-12-31.csv](file:///workspace/meters/meters_2023-01-01_2023-12-31.csv) | 80512 |\n"
)
ROWS = "| date | meter | kWh |\n| --- | --- | --- |\n| 2023-01-02 | M-4 | 412.5 |\n"


def _history(opened: str, told: bool = False) -> list[dict[str, str]]:
    path = f"/workspace/meters/{opened}"
    script = f"```python\nimport pandas as pd\n\nprint(round(pd.read_csv('{path}')['kWh'].sum(), 1))\n```"
    return [
        plan(TASK, "- Billing year 2023: 1 April 2023 - 31 March 2024.", "- FileSurfer: open it.\n- Coder: sum."),
        *tell("FileSurfer", "Please list the files in /workspace/meters/."),
        file_view("/workspace/meters/", LISTING),
        *tell(
            "FileSurfer",
            f"Please open {path} and show its contents." if told else "Please open the export for billing year 2023.",
        ),
        file_view(path, ROWS, 1, 4),
        *tell("Coder", f"Please write a script that sums the kWh column of {path}."),
        said("Coder", script),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", "150734.5\n"),
        *accept("The total consumption was computed: 150734.5 kWh.", "The total was 150,734.5 kWh."),
    ]


def _named(tmp_path: Path, history: list[dict[str, str]]) -> tuple[str, int, str]:
    return blamed(tmp_path, "m1-period", TASK, history)


def test_a_file_for_another_period_the_surfer_chose_is_blamed(tmp_path: Path) -> None:
    # The surfer opened the calendar-year export (step 7), which does not cover April 2023 - March
    # 2024, though the listing (step 4) showed the billing year's; the Coder's script read it.
    assert _named(tmp_path, _history("meters_2023-01-01_2023-12-31.csv")) == (
        "FileSurfer",
        7,
        "source_contradicts_task",
    )


def test_the_file_for_the_requests_period_is_no_evidence(tmp_path: Path) -> None:
    # Near miss: the export it opened covers exactly the billing year.
    assert _named(tmp_path, _history("meters_2023-04-01_2024-03-31.csv"))[2] != "source_contradicts_task"


def test_a_file_the_instruction_named_is_not_the_surfers_choice(tmp_path: Path) -> None:
    # Near miss: the instruction named the calendar-year file: the surfer opened what it was told.
    history = _history("meters_2023-01-01_2023-12-31.csv", told=True)
    assert _named(tmp_path, history)[2] != "source_contradicts_task"


# A file named for one day of another year (a year-end snapshot), which later code read by its path:
# ``instruction_rules._source_contradicts_task`` counts the read as using the source, and the
# orchestrator's instruction that then names the file's year relays it (runner ``_relayed_sources``).
SNAPSHOT_TASK = (
    "The library's loan snapshots are in /workspace/loans/. How many books were on loan at the close of "
    "2021, according to the snapshot for that year?"
)
SNAPSHOTS = (
    "# Index of /workspace/loans\n\n| Name | Size |\n| ---- | ---- |\n"
    "| [loans_2020-12-31.csv](file:///workspace/loans/loans_2020-12-31.csv) | 20480 |\n"
    "| [loans_2021-12-31.csv](file:///workspace/loans/loans_2021-12-31.csv) | 21504 |\n"
)
LOAN_ROWS = "book_id,title,status\nB-7,Dune,on_loan\nB-9,Emma,shelved\n"


def _snapshot(opened: str, told: bool = False) -> list[dict[str, str]]:
    path = f"/workspace/loans/{opened}"
    script = f"```python\nimport pandas as pd\n\ndf = pd.read_csv('{path}')\nprint((df['status'] == 'on_loan').sum())\n```"
    return [
        plan(SNAPSHOT_TASK, "- Snapshots in /workspace/loans/.", "- FileSurfer: open it.\n- Coder: count."),
        *tell("FileSurfer", "Please list the files in /workspace/loans/."),
        file_view("/workspace/loans/", SNAPSHOTS),
        *tell("FileSurfer", f"Please open {path}." if told else "Please open the loan snapshot for the close of the year."),
        file_view(path, LOAN_ROWS, 1, 3),
        *tell("Coder", f"Please write a script that counts the rows of {path} whose status is on_loan."),
        said("Coder", script),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", "The script ran, then exited with Unix exit code: 0\nIts output was:\n3114\n"),
        *accept("The script counted 3114 books on loan.", "3114 books were on loan."),
    ]


def test_a_year_end_file_of_another_year_the_surfer_chose_and_code_read_is_blamed(tmp_path: Path) -> None:
    # The surfer opened the 2020 snapshot (step 7) for a 2021 request; the orchestrator's next
    # instruction (ledger step 8) names that file, hence only 2020: it relayed the surfer's choice,
    # and the Coder's script read the file by its path.
    assert blamed(tmp_path, "m1-snapshot", SNAPSHOT_TASK, _snapshot("loans_2020-12-31.csv")) == (
        "FileSurfer",
        7,
        "source_contradicts_task",
    )


def test_the_year_end_file_of_the_requests_year_is_no_evidence(tmp_path: Path) -> None:
    # Near miss: the snapshot it opened is the request's year.
    assert blamed(tmp_path, "m1-snapshot", SNAPSHOT_TASK, _snapshot("loans_2021-12-31.csv"))[2] != "source_contradicts_task"


def test_a_year_end_file_the_instruction_named_is_the_orchestrators(tmp_path: Path) -> None:
    # Near miss: the orchestrator named the 2020 file itself (ledger step 5): the surfer opened what
    # it was told, and the instruction that first asked for another year is blamed.
    assert blamed(tmp_path, "m1-snapshot", SNAPSHOT_TASK, _snapshot("loans_2020-12-31.csv", told=True)) == (
        "Orchestrator",
        5,
        "instruction_contradicts_task",
    )
