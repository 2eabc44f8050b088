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
