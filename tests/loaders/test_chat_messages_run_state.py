"""chat-messages: the run's own top-level state word (``state``/``status``) as its declared outcome
and its root's status. A run its user cancelled is the user's cancellation (verdict unknown, who
cancelled it kept), not a success that hid an unfinished call; a run stopped at its turn limit is
a failure; a ``completed`` run claims its end. The words: Letta's stop_reason/run status
(letta/schemas/letta_stop_reason.py: cancelled, max_steps; completed also covers max_steps), the
OpenAI Assistants run status (openai-python src/openai/types/beta/threads/run_status.py: completed,
cancelled, failed), the Claude Agent SDK result subtype error_max_turns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import forensics
from forensics.outcome import cancelled_by, record_outcome, state_status

#: A support transcript the user stopped while the refund call was in flight (its result never came).
_MESSAGES = [
    {"role": "user", "content": "Please refund order 1182 and email the customer."},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": '{"order_id": "1182"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": '{"order_id": "1182", "status": "delivered", "total": 42.5}'},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_2", "type": "function", "function": {"name": "issue_refund", "arguments": '{"order_id": "1182"}'}}]},
    {"role": "user", "content": "Stop, don't do that."},
]


def _run(tmp_path: Path, state: str) -> tuple[dict, forensics.Classification]:
    path = tmp_path / f"{state}.json"
    path.write_text(json.dumps({"id": "conv-7", "state": state, "messages": _MESSAGES}))
    result = forensics.load(path)
    (root,) = [r for r in result.spans.to_pylist() if r["parent_id"] is None]
    return root, forensics.classify(result.spans)


def test_a_run_its_user_cancelled_is_the_users_cancellation_not_a_hidden_failure(tmp_path: Path) -> None:
    root, found = _run(tmp_path, "cancelled_by_user")
    assert json.loads(root["attributes"])["@outcome"] == {
        "verdict": "unknown", "score": None, "field": "state", "value": "cancelled_by_user", "cancelled_by": "user"}
    assert (root["status"], root["error_type"]) == ("error", "cancelled_by_user")
    assert root["error_message"] == "the run was cancelled by the user (state 'cancelled_by_user')"
    run = found.runs.to_pylist()[0]
    assert run["declared_outcome"] == "unknown" and not run["unexplained_failure"]
    # The open refund call is the user's stop, not a success reported over an unfinished span.
    assert "premature_success" not in found.findings.column("detector").to_pylist()


def test_a_completed_run_still_claims_its_end(tmp_path: Path) -> None:
    """Near miss: ``completed`` is the run saying it ended (no verdict on the task): the call it
    left open is still a success reported over an unfinished span."""
    root, found = _run(tmp_path, "completed")
    assert "@outcome" not in json.loads(root["attributes"])
    assert (root["status"], root["error_type"]) == ("ok", None)
    assert found.runs.to_pylist()[0]["declared_outcome"] == "unknown"
    assert "premature_success" in found.findings.column("detector").to_pylist()


@pytest.mark.parametrize("state", ["failed", "max_turns"])
def test_a_failed_or_turn_limited_run_declares_a_failure(tmp_path: Path, state: str) -> None:
    root, found = _run(tmp_path, state)
    assert json.loads(root["attributes"])["@outcome"]["verdict"] == "failure"
    assert (root["status"], root["error_type"], root["error_message"]) == ("error", state, f"the run ended in state {state!r}")
    assert found.runs.to_pylist()[0]["declared_outcome"] == "failure"


def test_state_words() -> None:
    assert [cancelled_by(w) for w in ("cancelled_by_user", "Canceled", "user-cancelled", "completed", 3)] == [
        "user", "unknown", "user", None, None]
    assert [state_status(w) for w in ("completed", "success", "max_turns", "error_max_turns", "cancelled", "running")] == [
        "ok", "ok", "error", "error", "error", None]
    # Letta's stop reason max_steps and the Claude Agent SDK's subtype: turn limits, failures.
    assert record_outcome({"stop_reason": "x", "status": "max_steps"})["verdict"] == "failure"  # type: ignore[index]
    assert record_outcome({"status": "cancelled"})["cancelled_by"] == "unknown"  # type: ignore[index]
    assert record_outcome({"status": "running"}) is None
