"""``partial_file_view`` (forensics.attribution.view_rules): a FileSurfer view of page 1 of a longer file
that the surfer never paged on from, whose figures the Coder's next script holds as literals.

Written from Magentic-One's emitting code (microsoft/autogen ``autogen-magentic-one``
``agents/file_surfer/file_surfer.py``: the markdown browser's "Address: file://...", "Viewport
position: Showing page i of n." header, ``page_down`` to go on; ``agents/coder.py``: the Coder's
```python block; ``agents/orchestrator.py``: the ledger and ``_prepare_final_answer``). The histories
are built with tests/m1_history.py."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed_row, file_view, plan, said, tell, verdict

TASK = "The attached file /data/trails.pdf lists the park's trails. What is the mean length in km of its loop trails?"
PAGE_1 = "Trail | Kind | km\nAlder | loop | 3.2\nBirch | loop | 5.4\nCedar | out-and-back | 7.1\nDune | loop | 2.6\n"
PAGE_2 = "Trail | Kind | km\nElm | loop | 4.8\nFern | loop | 6.3\n"
CODE = "```python\nloops = [3.2, 5.4, 2.6]\nprint(round(sum(loops) / len(loops), 2))\n```"


def _history(paged_on: bool = False, code: str = CODE) -> list[dict[str, str]]:
    # Step 1 plan, 2-3 instruction, 4 page 1 of 2 (5-6 and 7: page 2, when the surfer paged on),
    # then the Coder's script, the terminal's output and the accepting ledger.
    more = [*tell("FileSurfer", "Please page down."), file_view("/data/trails.pdf", PAGE_2, 2, 2)] if paged_on else []
    return [
        plan(TASK, "- The file is /data/trails.pdf.", "- FileSurfer: read the trails.\n- Coder: average the loops."),
        *tell("FileSurfer", "Please open /data/trails.pdf and list every trail with its kind and length."),
        file_view("/data/trails.pdf", PAGE_1, 1, 2),
        *more,
        *tell("Coder", "Please compute the mean length of the loop trails."),
        said("Coder", code),
        *tell("ComputerTerminal", "Please run the Coder's script."),
        said("ComputerTerminal", "The script ran, then exited with Unix exit code: 0\nIts output was:\n3.73\n"),
        *accept("The mean loop length is 3.73 km.", "The loop trails average 3.73 km."),
    ]


def _row(tmp_path: Path, history: list[dict[str, str]]) -> dict[str, object]:
    return blamed_row(tmp_path, "m1-partial", TASK, history)


def test_a_script_over_page_one_of_two_blames_the_view(tmp_path: Path) -> None:
    # The view (step 4) showed page 1 of 2 and no later view showed the file again; the Coder's
    # script (step 7) holds that page's loop lengths as literals: the view is blamed (HEAD traced the
    # answer to the script).
    row = _row(tmp_path, _history())
    assert verdict(row) == (
        "FileSurfer",
        4,
        "partial_file_view",
    )


def test_a_file_the_surfer_paged_on_through_is_no_partial_view(tmp_path: Path) -> None:
    # Near miss: the surfer paged on to page 2 of 2 (step 7) before the script: the file was read
    # further, whatever the script then took from it.
    row = _row(tmp_path, _history(paged_on=True))
    assert row["attribution_rule"] != "partial_file_view"


def test_a_script_that_reads_the_file_itself_is_no_partial_view(tmp_path: Path) -> None:
    # Near miss: the script opens the file (it saw every page), so page 1's view did not bound it.
    code = (
        "```python\nimport pdfplumber\nwith pdfplumber.open('/data/trails.pdf') as pdf:\n"
        "    rows = [r for p in pdf.pages for r in p.extract_table()[1:]]\n"
        "loops = [float(r[2]) for r in rows if r[1] == 'loop']\nprint(round(sum(loops) / len(loops), 2))\n```"
    )
    row = _row(tmp_path, _history(code=code))
    assert row["attribution_rule"] != "partial_file_view"
