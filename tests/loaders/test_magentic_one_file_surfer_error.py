"""Magentic-One's FileSurfer answers arguments it cannot decode with a message: an error step.

microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/file_surfer/
file_surfer.py ``_generate_reply``: ``arguments = json.loads(function_call.arguments)``; on
``json.JSONDecodeError as e`` it returns ``f"File surfer encountered an error decoding JSON
arguments: {e}"`` as its reply, which the orchestrator's log keeps as the FileSurfer's message
(Who&When: ``{"role": "FileSurfer", "content": ...}``). The step failed; the loader reads it as
one, like the web surfer's ``"Web surfing error:\\n\\n{traceback}"`` (multimodal_web_surfer.py)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from forensics.load import load


def _history(tmp_path: Path, surfer_says: str) -> pl.DataFrame:
    doc = {
        "question_ID": "q-file-surfer",
        "history": [
            {"role": "human", "content": "What does the attached spreadsheet say?"},
            {"role": "Orchestrator (-> FileSurfer)", "content": "Please open the attached file."},
            {"role": "FileSurfer", "content": surfer_says},
        ],
    }
    path = tmp_path / "m1.json"
    path.write_text(json.dumps(doc))
    return pl.DataFrame(pl.from_arrow(load(path, format="ag2-history").spans))


def test_undecodable_arguments_are_an_error_step(tmp_path: Path) -> None:
    said = "File surfer encountered an error decoding JSON arguments: Expecting value: line 1 column 1 (char 0)"
    surfer = _history(tmp_path, said).filter(pl.col("agent") == "FileSurfer")
    assert surfer.select("status", "error_type", "error_message").to_dicts() == [
        {"status": "error", "error_type": "file surfer error", "error_message": said}
    ]


def test_near_miss_a_file_that_talks_about_such_an_error_is_ok(tmp_path: Path) -> None:
    page = (
        "Address: file:///workspace/notes.md\nViewport position: Showing page 1 of 1.\n=======================\n"
        "Known issue: the file surfer encountered an error decoding JSON arguments last week; fixed."
    )
    surfer = _history(tmp_path, page).filter(pl.col("agent") == "FileSurfer")
    assert surfer.select("status", "error_type").to_dicts() == [{"status": "ok", "error_type": None}]
