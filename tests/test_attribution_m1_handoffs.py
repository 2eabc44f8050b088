"""Attribution on a Magentic-One orchestrator's instructions (forensics.attribution.handoff_rules):
``unanswered_instruction`` and ``repeated_instruction``. The histories are written the way
autogen-magentic-one's LedgerOrchestrator logs a round (agents/orchestrator.py ``_select_next_agent``):
an ``Orchestrator (thought)`` message "Updated Ledger:" with the JSON ledger (is_request_satisfied,
is_in_loop, is_progress_being_made, next_speaker, instruction_or_question), then the instruction as
``Orchestrator (-> X)``, then X's reply. Each rule: a firing history and near misses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from m1_history import attributed, verdict, write_doc

TASK = "How many earthquakes of magnitude 5.0 or more occurred within 100 km of Anchorage in 2018?"
SEARCH = "Open https://earthquake.usgs.gov/earthquakes/search/, set magnitude 5.0+, 2018, 100 km of Anchorage and report the count."
FORM = (
    "I typed 'https://earthquake.usgs.gov/earthquakes/search/' into the browser address bar.\n\n"
    "Here is a screenshot of [Search Earthquake Catalog](https://earthquake.usgs.gov/earthquakes/search/). "
    "The viewport shows 18% of the webpage, and is positioned at the top of the page."
)


def _ledger(
    to: str, instruction: str, *, loop: bool = False, progress: bool = True, done: bool = False
) -> dict[str, str]:
    body = {
        "is_request_satisfied": {"reason": "r", "answer": done},
        "is_in_loop": {"reason": "r", "answer": loop},
        "is_progress_being_made": {"reason": "r", "answer": progress},
        "next_speaker": {"reason": "r", "answer": to},
        "instruction_or_question": {"reason": "r", "answer": instruction},
    }
    return {"role": "Orchestrator (thought)", "content": "Updated Ledger:\n" + json.dumps(body, indent=2)}


def _round(to: str, instruction: str, reply: str | None, **ledger: bool) -> list[dict[str, str]]:
    out = [_ledger(to, instruction, **ledger), {"role": f"Orchestrator (-> {to})", "content": instruction}]
    return out + ([{"role": to, "content": reply}] if reply is not None else [])


def _start() -> list[dict[str, str]]:
    return [
        {"role": "human", "content": TASK},
        {
            "role": "Orchestrator (thought)",
            "content": "Initial plan:\n- WebSurfer searches the USGS catalog.\n- Report the count.",
        },
    ]


def _named(tmp_path: Path, history: list[dict[str, str]]) -> dict[str, Any]:
    return attributed(
        write_doc(tmp_path, {"question": TASK, "question_ID": "m1-run", "history": history}, "m1.json"),
        "m1-run",
    )


def _guess() -> list[dict[str, str]]:
    return [
        {"role": "Orchestrator (thought)", "content": "We could not read the count; the best estimate is 7."},
        {"role": "Orchestrator (final answer)", "content": "FINAL ANSWER: 7"},
        {"role": "Orchestrator (termination condition)", "content": "No agent selected."},
    ]


def test_instruction_the_worker_never_answered(tmp_path: Path) -> None:
    # Steps: 0 task, 1 plan, 2 ledger, 3 Orchestrator (-> FileSurfer), and the history ends: the
    # orchestrator's instruction at step 3 is the last thing said.
    h = _start() + _round("FileSurfer", "Please open /workspace/inventory.xlsx and list every row.", None)
    row = _named(tmp_path, h)
    assert verdict(row) == (
        "Orchestrator",
        3,
        "unanswered_instruction",
    )
    assert "FileSurfer" in row["attribution_evidence"]


def test_instruction_unanswered_then_a_guessed_answer(tmp_path: Path) -> None:
    # Step 3 instructs FileSurfer, step 4 is the next ledger (satisfied), 5 the final answer: FileSurfer
    # never spoke; the orchestrator answered without it.
    h = _start() + _round(
        "FileSurfer", "Please open /workspace/report.pdf and find the employee count.", None
    )
    h += [
        _ledger("FileSurfer", "none", done=True),
        {"role": "Orchestrator (final answer)", "content": "12400"},
    ]
    row = _named(tmp_path, h)
    assert verdict(row) == (
        "Orchestrator",
        3,
        "unanswered_instruction",
    )


def test_answered_instruction_is_not_unanswered(tmp_path: Path) -> None:
    # Near miss: FileSurfer replies at step 4.
    h = _start() + _round(
        "FileSurfer",
        "Please open /workspace/inventory.xlsx and list every row.",
        "Path: inventory.xlsx | title | author |",
    )
    assert _named(tmp_path, h)["attribution_rule"] != "unanswered_instruction"


def test_unanswered_handoff_without_a_ledger_is_not_magentic_one(tmp_path: Path) -> None:
    # Near miss: the same ending with no progress ledger in the run (no orchestrator's ledger round).
    h = _start() + [
        {"role": "Orchestrator (-> FileSurfer)", "content": "Please open /workspace/inventory.xlsx."}
    ]
    assert _named(tmp_path, h)["attribution_rule"] != "unanswered_instruction"


def test_instruction_resent_after_the_retry_came_back_unchanged(tmp_path: Path) -> None:
    # Rounds at steps 2-4, 5-7, 8-10, 11-13: the same instruction four times, the same reply each time,
    # every ledger saying progress and no loop. The retry at step 6 is fair; step 9 sends it again
    # after steps 4 and 7 came back word for word the same.
    h = _start()
    for _ in range(4):
        h += _round("WebSurfer", SEARCH, FORM)
    row = _named(tmp_path, h + _guess())
    assert verdict(row) == (
        "Orchestrator",
        9,
        "repeated_instruction",
    )


def test_a_second_send_under_a_loop_ledger_is_not_a_repeated_instruction(tmp_path: Path) -> None:
    # Near miss: the ledger at step 5 says is_in_loop and the instruction it writes (step 6) repeats
    # step 3's, but it is only the second send (the orchestrator's stall counter allows retries).
    h = _start() + _round("WebSurfer", SEARCH, FORM) + _round("WebSurfer", SEARCH, FORM, loop=True)
    assert _named(tmp_path, h + _guess())["attribution_rule"] != "repeated_instruction"


def test_one_retry_with_progress_is_not_a_repeated_instruction(tmp_path: Path) -> None:
    # Near miss: the instruction sent twice, the ledgers saying progress and no loop.
    h = _start() + _round("WebSurfer", SEARCH, FORM) + _round("WebSurfer", SEARCH, FORM)
    assert _named(tmp_path, h + _guess())["attribution_rule"] != "repeated_instruction"


def test_repeats_with_changing_replies_are_not_a_repeated_instruction(tmp_path: Path) -> None:
    # Near miss: four identical instructions, but each reply is different (the surfer moved on) and
    # every ledger says progress.
    h = _start()
    for i in range(4):
        h += _round("WebSurfer", SEARCH, FORM + f" Filter {i} set.")
    assert _named(tmp_path, h + _guess())["attribution_rule"] != "repeated_instruction"


def test_a_scroll_repeated_on_the_same_instruction_is_not_a_repeated_instruction(tmp_path: Path) -> None:
    # Near miss: the same instruction three times, and the surfer answers each with the same scroll
    # ("I scrolled down one page in the browser."): a scroll repeats by nature (orchestrator_stall
    # reads whether it was told to scroll), so no repeated_instruction.
    scroll = FORM.replace(
        "I typed 'https://earthquake.usgs.gov/earthquakes/search/' into the browser address bar.",
        "I scrolled down one page in the browser.",
    )
    h = _start()
    for _ in range(3):
        h += _round("WebSurfer", SEARCH, scroll)
    assert _named(tmp_path, h + _guess())["attribution_rule"] != "repeated_instruction"
