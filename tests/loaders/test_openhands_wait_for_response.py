"""openhands: an agent message with ``wait_for_response`` true is the agent handing the turn to the user.

OpenHands' CodeAct agent turns every model reply without a tool call into
``MessageAction(content=..., wait_for_response=True)`` (All-Hands-AI/OpenHands
openhands/agenthub/codeact_agent/function_calling.py ``response_to_actions``; the field in
openhands/events/action/message.py), and the controller answers an agent message that waits with
``set_agent_state_to(AgentState.AWAITING_USER_INPUT)`` (openhands/controller/agent_controller.py
``_handle_message_action``), which writes the AgentStateChangedObservation ``awaiting_user_input``.
A user message sets the agent RUNNING again (same function). A log holding the message but not the
state change (a filtered or truncated trajectory) still holds the pause: the message row carries
``agent_state`` awaiting_user_input (conventions pauses: ``pause_kind`` awaiting_user), and the
agent's turn is over there. Events in OpenHands' serialization (the shape of
../shared/formats/jsonl_app_logs/openhands_trajs_basic.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics
from forensics.detectors.base import prepare
from forensics.policy import resolve_policy


def _user(n: int, text: str) -> dict[str, Any]:
    return {
        "id": n,
        "timestamp": f"2026-12-01T13:00:{n:02d}",
        "source": "user",
        "message": text,
        "action": "message",
        "args": {"content": text, "image_urls": None, "wait_for_response": False},
    }


def _agent_says(n: int, text: str, waits: bool) -> dict[str, Any]:
    return {
        "id": n,
        "timestamp": f"2026-12-01T13:00:{n:02d}",
        "source": "agent",
        "message": text,
        "action": "message",
        "args": {"content": text, "image_urls": None, "wait_for_response": waits},
    }


def _events(waits: bool, answered: bool = False) -> list[dict[str, Any]]:
    events = [
        _user(0, "Rotate the API key for the staging service."),
        {
            "id": 1,
            "timestamp": "2026-12-01T13:00:01",
            "source": "agent",
            "message": "Running command: ls /etc/staging",
            "action": "run",
            "args": {"command": "ls /etc/staging", "is_input": False, "thought": ""},
            "tool_call_metadata": {
                "function_name": "execute_bash",
                "tool_call_id": "c1",
                "model_response": {"id": "r1", "usage": {"prompt_tokens": 900, "completion_tokens": 40}},
            },
        },
        {
            "id": 2,
            "timestamp": "2026-12-01T13:00:02",
            "source": "agent",
            "cause": 1,
            "observation": "run",
            "message": "Command `ls /etc/staging` executed with exit code 0.",
            "content": "api.env  db.env",
            "extras": {"command": "ls /etc/staging", "metadata": {"exit_code": 0}},
        },
        _agent_says(3, "There are two env files. Should I rotate the key in api.env or in db.env?", waits),
    ]
    if answered:
        events.append(_user(4, "api.env"))
    return events


def _load(
    tmp_path: Path, events: list[dict[str, Any]]
) -> tuple[forensics.LoadResult, dict[str, dict[str, Any]]]:
    path = tmp_path / "traj.json"
    path.write_text(json.dumps(events))
    result = forensics.load(path)
    account = result.report.files[0]
    # Every event is accounted for: the run span is the loader's own row, the observation merged into its action.
    assert account.format == "openhands"
    assert account.rows + account.quarantined + account.merged == len(events) + 1
    assert (account.quarantined, account.merged) == (0, 1)
    return result, {r["span_id"]: r for r in result.spans.to_pylist()}


def _pause(result: forensics.LoadResult, span_id: str) -> Any:
    ctx = prepare(pl.DataFrame(pl.from_arrow(result.spans)), resolve_policy(None))
    return ctx.spans.filter(pl.col("span_id") == span_id).get_column("pause_kind").item()


def test_agent_message_waiting_for_the_user_is_a_pause(tmp_path: Path) -> None:
    result, rows = _load(tmp_path, _events(waits=True))
    asks = rows["3"]
    # Still the agent's words to the user (its answer so far), now also its hand-over of the turn.
    assert (asks["kind"], asks["agent"], asks["status"]) == ("llm", "agent", "ok")
    assert json.loads(asks["attributes"])["agent_state"] == "awaiting_user_input"
    assert _pause(result, "3") == "awaiting_user"
    # The agent's turn is over: the run span ends at the question, with no verdict of its own.
    run = rows["run"]
    assert run["end_time"] == asks["start_time"] and run["status"] == "ok"
    assert json.loads(run["attributes"])["@outcome"]["verdict"] == "unknown"


def test_agent_message_that_does_not_wait_is_no_pause(tmp_path: Path) -> None:
    # Near miss: the same message without wait_for_response (a progress note; the agent goes on).
    result, rows = _load(tmp_path, _events(waits=False))
    assert "agent_state" not in json.loads(rows["3"]["attributes"])
    assert _pause(result, "3") is None
    assert rows["run"]["end_time"] is None  # the stream stopped with the agent still running, as before


def test_user_answer_gives_the_turn_back_to_the_agent(tmp_path: Path) -> None:
    # Near miss: the user answered the question; the turn is the agent's again (RUNNING), so a stream
    # that stops there has not ended the agent's turn.
    result, rows = _load(tmp_path, _events(waits=True, answered=True))
    assert _pause(result, "3") == "awaiting_user"
    assert _pause(result, "4") == "human"
    assert rows["run"]["end_time"] is None
