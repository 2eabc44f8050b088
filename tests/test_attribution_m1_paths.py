"""``miscopied_path`` (forensics.attribution.path_rules): a worker that opened another path than the one
it was given. The history (tests/data/ag2_history/magentic_one_path_miscopied.json, README row) is
written from Magentic-One's emitting code (microsoft/autogen
``python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/``: ``orchestrator.py``'s
ledger, ``(-> X)`` instruction, "Stalled.... Replanning...", "New plan:" and "Replan counter
exceeded... Terminating."; ``file_surfer/file_surfer.py`` with the markdown browser's not-found view
"Address: file:///p" / "Title: Error 404" / "File not found: /p"; ``coder.py``'s terminal reply) and
read in agentchat's ``MagenticOneGroupChat`` naming too (tests/m1_agentchat.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from m1_agentchat import to_agentchat
from m1_history import M1, attributed, verdict, write_doc

PATH = M1 / "magentic_one_path_miscopied.json"
GIVEN = "/workspace/tasks/attachments/fabrikam_q3_board_deck.pptx"
OPENED = "/workspace/tasks/fabrikam_q3_board_deck.pptx"


def _row(doc: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return attributed(write_doc(tmp_path, doc, PATH.name))


def _doc() -> dict[str, Any]:
    return json.loads(PATH.read_text())


def test_a_file_opened_under_another_path_than_given_is_the_surfers(tmp_path: Path) -> None:
    # The request and the instruction (step 3) give the deck under attachments/; the FileSurfer opens
    # it without that folder (step 5: "File not found"), twice; the replan lists the folder and the
    # run ends on "Replan counter exceeded". The surfer's first mis-copied open is decisive, not the
    # Coder's listing the last stall judged.
    doc = _doc()
    assert (doc["mistake_agent"], int(doc["mistake_step"])) == ("FileSurfer", 5)
    assert doc["history"][5]["content"].startswith(f"Address: file://{OPENED}\n")
    row = _row(doc, tmp_path)
    assert verdict(row) == (
        "FileSurfer",
        5,
        "miscopied_path",
    )
    assert GIVEN in row["attribution_evidence"] and "step 3" in row["attribution_evidence"]


def test_agentchat_naming_blames_the_same_open(tmp_path: Path) -> None:
    # agentchat: the instruction is a MagenticOneOrchestrator message, no ledger in the history.
    new = to_agentchat(_doc())
    step = int(new["mistake_step"])
    assert new["history"][step]["role"] == "FileSurfer"
    row = _row(new, tmp_path)
    assert verdict(row) == (
        "FileSurfer",
        step,
        "miscopied_path",
    )


def test_a_path_opened_as_given_is_not_mis_copied(tmp_path: Path) -> None:
    # Near miss: the request and the instruction name the path the surfer opened, which does not
    # exist: the surfer did as told (the path was the request's or the orchestrator's).
    doc = _doc()
    doc["question"] = doc["question"].replace(GIVEN, OPENED)
    for m in doc["history"]:
        m["content"] = m["content"].replace(GIVEN, OPENED)
    assert _row(doc, tmp_path)["attribution_rule"] != "miscopied_path"


def test_another_file_name_is_no_copy_of_the_given_path(tmp_path: Path) -> None:
    # Near miss: the surfer opened a file of another name (a draft beside it): not a copy of the path.
    doc = _doc()
    draft = "/workspace/tasks/fabrikam_q3_board_deck_draft.pptx"
    for m in doc["history"]:
        if m["role"] == "FileSurfer":
            m["content"] = m["content"].replace(OPENED, draft)
    assert _row(doc, tmp_path)["attribution_rule"] != "miscopied_path"
