"""background_still_running: work reported finished while its background shell was last seen running.

Claude Code's Bash with ``run_in_background: true`` answers "Command running in background with ID:
<id>"; ``BashOutput`` with that id returns the shell's ``<status>`` (running, completed, failed,
killed), its ``<exit_code>`` once it ended, and the output so far (shaneholloman/claude-code-prompts
system-prompts/tool-description-check-background-bash-output.md). A run that polled once, saw the
job still running, and then says the job is complete reports an end it never saw.

Near misses: the shell polled again until completed; the answer says the job is still running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from claude_transcript import Transcript

import forensics

Step = tuple[str, dict[str, Any], str, bool]

START: Step = ("Bash", {"command": "python scripts/reindex_orders.py --chunk 1000", "description": "Reindex orders",
                        "run_in_background": True}, "Command running in background with ID: bash_4", False)  # fmt: skip
POLL_RUNNING: Step = ("BashOutput", {"bash_id": "bash_4"},
                      "<status>running</status>\n\n<stdout>\nchunk 1/40 indexed\nchunk 2/40 indexed\n</stdout>", False)  # fmt: skip
POLL_DONE: Step = ("BashOutput", {"bash_id": "bash_4"},
                   "<status>completed</status>\n\n<exit_code>0</exit_code>\n\n<stdout>\nchunk 40/40 indexed\n</stdout>", False)  # fmt: skip
DONE = "The orders reindex is complete: all 40 chunks were indexed and search now covers every order."


def _transcript(tmp_path: Path, steps: list[Step], answer: str, *, notice: bool = False) -> Path:
    t = Transcript("s-reindex", "/work/shop")
    t.said("Reindex the orders table for search and tell me when it's finished.")
    for i, (name, given, result, is_error) in enumerate(steps):
        t.called(f"toolu_{i:02d}", name, given, result, is_error)
    if notice:
        # The harness's notice that the shell ended (a user line), with no BashOutput call.
        t.said("<system-reminder>Background Bash bash_4 (command: python scripts/reindex_orders.py --chunk 1000) "
               "(status: completed) (exit code: 0) has new output available.</system-reminder>")  # fmt: skip
    t.answered(answer)
    return t.write(tmp_path / "reindex.jsonl")


def _findings(path: Path) -> dict[str, dict[str, Any]]:
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return {r["detector"]: r for r in findings.to_dicts()}


def test_reported_complete_while_last_seen_running(tmp_path: Path) -> None:
    found = _findings(_transcript(tmp_path, [START, POLL_RUNNING], DONE))
    assert set(found) == {"background_still_running"}
    f = found["background_still_running"]
    assert f["failure_class"] == "silent_failure"
    # The answer is decisive: it reported the end of work the run saw under way.
    assert f["decisive_span_id"] == f["evidence_span_ids"][-1]
    assert "bash_4" in f["explanation"]


def test_near_miss_polled_to_completion_or_told_still_running(tmp_path: Path) -> None:
    assert _findings(_transcript(tmp_path, [START, POLL_RUNNING, POLL_DONE], DONE)) == {}
    assert _findings(_transcript(tmp_path, [START, POLL_RUNNING], DONE, notice=True)) == {}
    told = "The orders reindex is still running in the background (chunk 2 of 40); I'll check back when it finishes."
    assert _findings(_transcript(tmp_path, [START, POLL_RUNNING], told)) == {}
