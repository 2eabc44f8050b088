"""A run its own state says was cancelled, answering "I've cancelled that", states its cancellation.

A chat transcript's top-level ``state`` "cancelled" (Letta's run status, the OpenAI Assistants run
status: forensics/outcome.py CANCELLED_WORDS) is read onto the root as its error type. The
assistant's "Understood - I've cancelled that" after its user said stop acknowledges the stop it was
asked for; it claims no act that a cancel tool should back. Near miss: the same words in a run that
completed, where the user asked for an order to be cancelled and no cancel call was made, are a
claim nothing backs.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics


def _messages(ask: str, stop: str) -> list[dict]:
    return [
        {"role": "system", "content": "You are a calendar assistant. Always confirm before deleting events."},
        {"role": "user", "content": ask},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "list_events", "arguments": '{"day": "friday"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"items": [{"id": "e1", "summary": "1:1"}]}'},
        {"role": "assistant", "content": "You have one event Friday afternoon: a 1:1. Shall I go ahead?"},
        {"role": "user", "content": stop},
        {"role": "assistant", "content": "Understood - I've cancelled that. Your Friday afternoon is unchanged."},
    ]  # fmt: skip


def _detectors(tmp_path: Path, state: str, ask: str, stop: str) -> set[str]:
    path = tmp_path / f"{state}.json"
    path.write_text(json.dumps({"id": "conv-9", "state": state, "messages": _messages(ask, stop)}))
    found = forensics.classify(forensics.load(path).spans)
    return {f["detector"] for f in found.findings.to_pylist()}


def test_a_cancelled_run_saying_it_cancelled_claims_no_act(tmp_path: Path) -> None:
    found = _detectors(tmp_path, "cancelled", "Clear my Friday afternoon", "no, stop, don't touch anything")
    assert "claimed_but_not_done" not in found


def test_near_miss_a_completed_run_claiming_a_cancellation_no_call_made(tmp_path: Path) -> None:
    found = _detectors(tmp_path, "completed", "Cancel my Friday 1:1 please", "yes, cancel it")
    assert "claimed_but_not_done" in found
