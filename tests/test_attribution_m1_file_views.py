"""A FileSurfer's view of the file it was told to open shows that file; what the surfer then reads
off it is its own (forensics.attribution.steps ``_instructed``, read by the answer traces'
``_taken_up``). Histories from Magentic-One's emitting code (tests/m1_history.py: microsoft/autogen
``autogen-magentic-one`` ``agents/orchestrator.py`` and ``agents/file_surfer/file_surfer.py``, whose
``_get_browser_state`` answers "Address: file:///p" / "Viewport position: Showing page i of n.")."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, file_view, plan, said, tell

TASK = (
    "The attached PDF is the 2022 water quality report of the Town of Avonlea. What was the highest "
    "detected level of nitrate, in mg/L? The attached file path is: /workspace/avonlea_wqr.pdf"
)
PAGE = (
    "Town of Avonlea Water Department\n2022 Annual Drinking Water Quality Report\n\n"
    "Nitrate levels in 2022 remained below the limit of 10 mg/L. The average nitrate level across "
    "our wells was 2.1 mg/L.\n"
)


def _history(opened: str) -> list[dict[str, str]]:
    return [
        plan(
            TASK, "- The report is the attached PDF.", "- FileSurfer: open the report.\n- Report the value."
        ),
        *tell(
            "FileSurfer",
            f"Please open {'/workspace/avonlea_wqr.pdf' if opened == 'named' else 'the report'}.",
        ),
        file_view("/workspace/avonlea_wqr.pdf", PAGE, 1, 3),
        *tell(
            "FileSurfer", "Please find the detected contaminants table and tell me the highest nitrate level."
        ),
        said(
            "FileSurfer", "The report says the nitrate level was 2.1 mg/L, so the highest level is 2.1 mg/L."
        ),
        *accept(
            "The FileSurfer found the highest nitrate level, 2.1 mg/L.", "The highest level was 2.1 mg/L."
        ),
    ]


def _named(tmp_path: Path, history: list[dict[str, str]], task: str = TASK) -> tuple[str, int, str]:
    return blamed(tmp_path, "m1-file-view", task, history)


def test_a_file_opened_as_told_is_not_where_the_surfer_took_its_figure_up(tmp_path: Path) -> None:
    # The instruction (step 3) names the file; its first page (step 4) holds the average 2.1; the
    # surfer's own report (step 7) calls it the highest: the report is where the figure was taken up.
    assert _named(tmp_path, _history("named")) == ("FileSurfer", 7, "accepted_wrong_answer")


def test_a_file_the_surfer_chose_itself_holds_the_figure_it_showed(tmp_path: Path) -> None:
    # Near miss: neither the instruction nor the request names the path the surfer opened: opening
    # it was the surfer's own choice, and its view is where the figure entered the run.
    task = TASK.replace(" The attached file path is: /workspace/avonlea_wqr.pdf", " It is in /workspace.")
    assert _named(tmp_path, _history("unnamed"), task) == ("FileSurfer", 4, "accepted_wrong_answer")


def test_a_file_named_only_as_the_prefix_of_the_opened_path_is_not_told(tmp_path: Path) -> None:
    # Near miss: the request names /workspace/avonlea_wqr.pdf; the surfer opened a longer path that
    # begins with it (a backup copy): not the file it was given.
    history = _history("unnamed")
    history[3] = file_view("/workspace/avonlea_wqr.pdf.bak", PAGE, 1, 3)
    assert _named(tmp_path, history) == ("FileSurfer", 4, "accepted_wrong_answer")


BRANCHES = (
    "The attached spreadsheet gives each library branch's monthly checkouts in 2023. Which branch had the "
    "largest increase from Q1 to Q3? The attached file path is: /workspace/checkouts_2023.xlsx"
)
TABLE = (
    "## Sheet1\n| Branch | Jan | Feb | Mar | Apr | May | Jun | Jul | Aug | Sep |\n|---|---|---|---|---|---|---|---|---|---|\n"
    "| Eastgate | 2210 | 2150 | 2300 | 2450 | 2600 | 2750 | 3120 | 3380 | 3290 |\n"
    "| Riverside | 3050 | 2990 | 3120 | 3300 | 3600 | 4180 | 4300 | 4100 | 3200 |\n"
)
SCRIPT = (
    "```python\nimport pandas as pd\n\ndf = pd.read_excel('/workspace/checkouts_2023.xlsx').set_index('Branch')\n"
    "q1 = df.iloc[:, 0:3].sum(axis=1)\nq3 = df.iloc[:, 5:8].sum(axis=1)\n"
    "print('Largest increase:', (q3 - q1).idxmax())\n```"
)


def _branches(path: str) -> list[dict[str, str]]:
    return [
        plan(BRANCHES, "- The file holds monthly checkouts.", "- FileSurfer: open it.\n- Coder: compute."),
        *tell("FileSurfer", "Please open /workspace/checkouts_2023.xlsx and show its contents."),
        file_view(path, TABLE),
        *tell(
            "Coder", "Please write a script that sums Q1 and Q3 per branch and prints the largest increase."
        ),
        said("Coder", SCRIPT),
        *tell("ComputerTerminal", "Please run the Coder's script."),
        said("ComputerTerminal", "Largest increase: Riverside\n"),
        *accept("The script found that Riverside had the largest increase.", "Riverside"),
    ]


def test_a_name_the_told_view_only_listed_is_the_codes_that_singled_it_out(tmp_path: Path) -> None:
    # The view of the named file (step 4) lists every branch; the FileSurfer never names one itself;
    # the Coder's script (step 7: Jun-Aug for Q3) prints Riverside (step 10): its author singled it out.
    assert _named(tmp_path, _branches("/workspace/checkouts_2023.xlsx"), BRANCHES) == (
        "Coder",
        7,
        "accepted_wrong_answer",
    )


def test_a_name_on_a_view_the_surfer_chose_stays_the_views(tmp_path: Path) -> None:
    # Near miss: the surfer opened a file nobody named (a copy elsewhere): the view is where the name
    # entered the run, as before.
    assert _named(tmp_path, _branches("/workspace/old/checkouts_2023.xlsx"), BRANCHES) == (
        "FileSurfer",
        4,
        "accepted_wrong_answer",
    )


def _path_headed(history: list[dict[str, str]]) -> list[dict[str, str]]:
    """The same views as autogen-ext's FileSurfer writes them (microsoft/autogen
    ``autogen-ext/src/autogen_ext/agents/file_surfer/_file_surfer.py`` ``_get_browser_state``:
    "Path: {self._browser.path}" with MarkdownFileBrowser's plain path, no ``file://``)."""
    return [
        {**m, "content": m["content"].replace("Address: file://", "Path: ", 1)}
        if m["content"].startswith("Address: file://")
        else m
        for m in history
    ]


def test_a_path_headed_view_of_the_told_file_is_not_where_the_figure_was_taken_up(tmp_path: Path) -> None:
    # autogen-ext's "Path: /p" view of the file the instruction named is the orchestrator's choice, as
    # the "Address: file:///p" one is: the surfer's own report (step 7) took the figure up.
    assert _named(tmp_path, _path_headed(_history("named"))) == ("FileSurfer", 7, "accepted_wrong_answer")


def test_a_path_headed_view_of_a_file_the_surfer_chose_holds_the_figure(tmp_path: Path) -> None:
    # Near miss: nobody named the path: the "Path: /p" view is where the figure entered the run.
    task = TASK.replace(" The attached file path is: /workspace/avonlea_wqr.pdf", " It is in /workspace.")
    assert _named(tmp_path, _path_headed(_history("unnamed")), task) == ("FileSurfer", 4, "accepted_wrong_answer")
