"""A chat transcript whose last assistant message says the task is done: what the run reports, not a verdict.

An OpenAI chat-completions message list (openai-python src/openai/types/chat/: ``role``, ``content``,
``tool_calls``, ``role=tool`` results by ``tool_call_id``) carries no outcome of its own: the
assistant's closing words are the agent's claim. The loader writes no ``@outcome`` for it (a declared
verdict is a reward, an evaluator's score, a status word the record holds: forensics/outcome.py), so
``declared_verdict`` stays unknown; the run's ``reported_outcome`` is what the run says of itself
(schema.py: success, error, open, unknown), success for a run that ended without an error and
without saying it failed (conventions outcome ``says_failure``). Whether the claim is true is for the
detectors that check claims against the calls (claimed_but_not_done), not for the loader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics
from forensics.detectors.base import prepare
from forensics.policy import resolve_policy


def _transcript(closing: str) -> list[dict[str, Any]]:
    call = {"id": "call_1", "type": "function",
            "function": {"name": "run_shell", "arguments": json.dumps({"cmd": "rm -rf /tmp/build/*.tmp"})}}  # fmt: skip
    return [
        {"role": "system", "content": "You are a build assistant with a shell tool."},
        {"role": "user", "content": "Delete the temp files in /tmp/build."},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": ""},
        {"role": "assistant", "content": closing},
    ]


def _run(tmp_path: Path, closing: str) -> dict[str, Any]:
    path = tmp_path / "chat.json"
    messages = _transcript(closing)
    path.write_text(json.dumps(messages))
    loaded = forensics.load(path)
    account = loaded.report.files[0]
    assert account.format == "chat-messages" and account.quarantined == 0
    # Every message is a row or folded into its call (the tool result into the call's span), plus the root.
    assert account.rows + account.merged == len(messages) + 1
    root = next(r for r in loaded.spans.to_pylist() if r["parent_id"] is None)
    assert "@outcome" not in json.loads(root["attributes"])
    runs = prepare(pl.DataFrame(pl.from_arrow(loaded.spans)), resolve_policy(None)).runs
    return runs.select("reported_outcome", "declared_verdict", "final_output").to_dicts()[0]


def test_claimed_completion_is_reported_success_with_no_verdict(tmp_path: Path) -> None:
    run = _run(tmp_path, "Done. The task is completed: all temp files in /tmp/build were deleted.")
    assert (run["reported_outcome"], run["declared_verdict"]) == ("success", "unknown")
    assert run["final_output"].startswith("Done. The task is completed")


def test_closing_words_of_failure_are_reported_as_error(tmp_path: Path) -> None:
    # Near miss: the same transcript closing on "I was unable to ...": the run says it failed.
    run = _run(tmp_path, "I was unable to delete the temp files: permission denied.")
    assert (run["reported_outcome"], run["declared_verdict"]) == ("error", "unknown")
