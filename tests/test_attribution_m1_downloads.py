"""A document the web surfer downloaded and nobody opened (forensics.attribution.download_rules
``unread_download``). Histories from Magentic-One's emitting code (tests/m1_history.py; microsoft/autogen
``autogen-magentic-one`` ``agents/multimodal_web_surfer/multimodal_web_surfer.py`` ``_execute_tool``:
a download is saved to the downloads folder and shown as its own "Download Successful" page,
"Successfully downloaded '<name>' to local path:<br><br><folder>/<name>"; ``agents/file_surfer/
file_surfer.py``'s viewport "Address: file:///p"; ``agents/orchestrator.py``'s ledger)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, blamed_row, file_view, plan, said, tell, verdict

TASK = "What was the total capital budget, in millions of dollars, in Fenwick County's adopted 2023 budget?"
DOWNLOADED = (
    "I clicked '2023 Adopted Budget (PDF)'.\n\nHere is a screenshot of [Download Successful](data:text/html;base64,"
    "PGh0bWw+). The viewport shows 100% of the webpage, and is positioned at the top of the page.\n"
    "Automatic OCR of the page screenshot has detected the following text:\n\n"
    "Successfully downloaded 'fenwick_2023_adopted.pdf' to local path:\n\n/workspace/fenwick_2023_adopted.pdf\n"
)
ARTICLE = (
    "I typed 'https://www.fenwickgazette.com/news/budget-vote' into the browser address bar.\n\nHere is a "
    "screenshot of [Commissioners back budget | Fenwick Gazette](https://www.fenwickgazette.com/news/budget-vote). "
    "The viewport shows 40% of the webpage, and is positioned at the top of the page.\nAutomatic OCR of the page "
    "screenshot has detected the following text:\n\nCommissioners back budget\nThe proposed plan sets capital "
    "spending at $31.4 million for 2023.\n"
)


def _history(opened: bool) -> list[dict[str, str]]:
    """The surfer downloads the adopted budget (step 4); ``opened``: the FileSurfer then views it; the
    ledger at step 5 (or 8) sends the surfer to a news article whose $31.4 million becomes the answer."""
    view = [
        *tell("FileSurfer", "Please open /workspace/fenwick_2023_adopted.pdf and find the capital budget total."),
        file_view("/workspace/fenwick_2023_adopted.pdf", "# Adopted Budget 2023\n\nSee the summary tables.", 1, 40),
    ] if opened else []
    return [
        plan(TASK, "- Fenwick County, adopted 2023 budget.", "- WebSurfer: download the budget.\n- Read it."),
        *tell("WebSurfer", "Please click '2023 Adopted Budget (PDF)' on the county's budget page."),
        said("WebSurfer", DOWNLOADED),
        *view,
        *tell("WebSurfer", "Please open the Fenwick Gazette article on the budget vote and find the capital total."),
        said("WebSurfer", ARTICLE),
        *accept("The Gazette reports capital spending of $31.4 million.", "FINAL ANSWER: 31.4"),
    ]


def test_a_downloaded_document_nobody_opened_is_the_ledgers_detour(tmp_path: Path) -> None:
    # The ledger at step 5 sends the surfer to the article with the budget PDF (step 4) unread; the
    # answer's 31.4 first appears there (step 7): that ledger set the document aside.
    row = blamed_row(tmp_path, "m1-unread-download", TASK, _history(opened=False))
    assert verdict(row) == (
        "Orchestrator",
        5,
        "unread_download",
    )
    assert "fenwick_2023_adopted.pdf" in row["attribution_evidence"]


def test_a_downloaded_document_the_file_surfer_opened_is_no_detour(tmp_path: Path) -> None:
    # Near miss: the FileSurfer viewed the PDF (step 7) before the surfer went to the article: the
    # document was read; the answer is traced as before.
    assert blamed(tmp_path, "m1-unread-download", TASK, _history(opened=True))[2] != "unread_download"
