"""OpenHands' controller stopping an agent over its budget (max_budget_per_task) is a spend limit:
the trajectory's agent_state_changed to error carries the reason "Agent reached maximum budget ...".
Inputs in OpenHands' event serialization."""

from __future__ import annotations

import json
from pathlib import Path

import forensics


def _stopped(reason: str) -> list[dict]:
    events: list[dict] = [
        {"id": 0, "timestamp": "2026-12-01T13:00:00", "source": "user", "message": "Port the tests to pytest.",
         "action": "message", "args": {"content": "Port the tests to pytest.", "image_urls": None, "wait_for_response": False}},
    ]
    for i, name in enumerate(("test_api.py", "test_db.py")):
        events += [
            {"id": 1 + 2 * i, "timestamp": f"2026-12-01T13:00:1{i}", "source": "agent", "message": "", "action": "read",
             "args": {"path": f"/workspace/tests/{name}", "thought": ""},
             "tool_call_metadata": {"function_name": "str_replace_editor", "tool_call_id": f"c{i}",
                                    "model_response": {"id": f"r{i}", "usage": {"prompt_tokens": 40_000, "completion_tokens": 300}}}},
            {"id": 2 + 2 * i, "timestamp": f"2026-12-01T13:00:1{i}", "source": "agent", "cause": 1 + 2 * i,
             "observation": "read", "message": "", "content": "import unittest", "extras": {"path": f"/workspace/tests/{name}"}},
        ]
    events.append({"id": 9, "timestamp": "2026-12-01T13:00:30", "source": "environment", "message": "",
                   "observation": "agent_state_changed", "content": "", "extras": {"agent_state": "error", "reason": reason}})
    return events


def _found(tmp_path: Path, reason: str) -> dict[str, str]:
    path = tmp_path / "traj.json"
    path.write_text(json.dumps(_stopped(reason)))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return dict(zip(findings["detector"].to_list(), findings["decisive_span_id"].to_list(), strict=True))


def test_budget_stop_is_budget_exceeded(tmp_path: Path) -> None:
    found = _found(tmp_path, "RuntimeError: Agent reached maximum budget for conversation.Current budget: 1.02, max budget: 1.00")
    # Decisive: the last action, whose model call took the spend past the budget; the state change
    # (id 9) records the stop the controller made after it and made no call of its own.
    assert found.get("budget_exceeded") == "3"


def test_other_controller_error_is_no_budget_stop(tmp_path: Path) -> None:
    # Near miss: the controller stopped the agent for another reason (the LLM call failed).
    found = _found(tmp_path, "RuntimeError: litellm.APIConnectionError: connection refused")
    assert "budget_exceeded" not in found
