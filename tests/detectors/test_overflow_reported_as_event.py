"""A context overflow the framework reports as an event of its own is a context_overflow.

OpenHands raises LLMContextWindowExceedError when the history no longer fits the model's window
(openhands/core/exceptions.py: "Conversation history longer than LLM context window limit. Consider
turning on enable_history_truncation config to avoid this error"); with truncation off the
controller writes an ErrorObservation and an agent_state_changed to "error" with that reason. Neither
is a model call. Near miss: the same run stopped by another error is no overflow.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

OVERFLOW = ("LLMContextWindowExceedError: Conversation history longer than LLM context window limit. "
            "Consider turning on enable_history_truncation config to avoid this error")


def _run(tmp_path: Path, reason: str) -> dict[str, str]:
    events: list[dict] = [
        {"id": 0, "timestamp": "2025-03-03T08:00:00", "source": "user", "message": "Why did the nightly job fail?",
         "action": "message", "args": {"content": "Why did the nightly job fail?", "image_urls": None, "wait_for_response": False}},
    ]
    for i, name in enumerate(("a.log", "b.log")):
        cmd = f"cat /workspace/logs/{name}"
        events.append({"id": 1 + 2 * i, "timestamp": f"2025-03-03T08:00:{10 + 10 * i}", "source": "agent",
                       "message": f"Running command: {cmd}", "action": "run",
                       "args": {"command": cmd, "is_input": False, "thought": ""},
                       "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": f"t{i}",
                                              "model_response": {"id": f"r{i}", "model": "claude-3-5-sonnet-20241022",
                                                                 "usage": {"prompt_tokens": 4000 + 90000 * i, "completion_tokens": 30}}}})
        meta = {"exit_code": 0, "pid": -1, "working_dir": "/workspace", "prefix": "", "suffix": ""}
        events.append({"id": 2 + 2 * i, "timestamp": f"2025-03-03T08:00:{12 + 10 * i}", "source": "agent", "cause": 1 + 2 * i,
                       "message": f"Command `{cmd}` executed with exit code 0.", "observation": "run",
                       "content": "INFO batch ok\n" * 50, "extras": {"command": cmd, "metadata": meta}})
    events.append({"id": 9, "timestamp": "2025-03-03T08:00:40", "source": "agent", "message": reason,
                   "observation": "error", "content": reason, "extras": {"error_id": ""}})
    events.append({"id": 10, "timestamp": "2025-03-03T08:00:41", "source": "environment", "message": "",
                   "observation": "agent_state_changed", "content": "", "extras": {"agent_state": "error", "reason": reason}})
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return dict(zip(findings["detector"].to_list(), findings["decisive_span_id"].to_list(), strict=True))


def test_an_overflow_reported_as_an_error_event_is_a_context_overflow(tmp_path: Path) -> None:
    # Decisive: the last step before the error (the second cat, event 3), whose output filled the
    # history the next model call could not send.
    assert _run(tmp_path, OVERFLOW)["context_overflow"] == "3"


def test_a_run_stopped_by_another_error_is_no_overflow(tmp_path: Path) -> None:
    assert "context_overflow" not in _run(tmp_path, "APIConnectionError: Connection error.")
