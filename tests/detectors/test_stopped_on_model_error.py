"""An OpenHands agent stopped by its model call's error, and the run ends there: unhandled_error.

The controller catches what the agent's step raised (AgentController._react_to_exception,
openhands/controller/agent_controller.py): ``state.last_error = f'{type(e).__name__}: {e}'`` and
set_agent_state_to(AgentState.ERROR), whose agent_state_changed observation carries it as
``reason``. A RateLimitError or APIConnectionError there is the model call failing after its LLM's
own resends (LLM_RETRY_EXCEPTIONS, openhands/llm/llm.py). No model call span is written: the state
change is the failure, and the decisive span. Near misses: the same stop followed by a resumed run
that works and finishes; a stop that is no model call's error (a stuck loop, a budget, a context
window overflow).
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

RATE_LIMIT = "RateLimitError: litellm.RateLimitError: AnthropicException - Rate limit reached. Retries exhausted."


def _state(i: int, second: int, state: str, reason: str = "") -> dict:
    return {"id": i, "timestamp": f"2025-04-01T10:00:{second:02d}", "source": "environment", "message": "",
            "observation": "agent_state_changed", "content": "", "extras": {"agent_state": state, "reason": reason}}


def _command(i: int, second: int, cmd: str) -> list[dict]:
    call = {"id": i, "timestamp": f"2025-04-01T10:00:{second:02d}", "source": "agent", "message": f"Running command: {cmd}",
            "action": "run", "args": {"command": cmd, "is_input": False, "thought": ""},
            "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": f"t{i}",
                                   "model_response": {"id": f"r{i}", "model": "claude-3-5-sonnet-20241022",
                                                      "usage": {"prompt_tokens": 3000, "completion_tokens": 40}}}}
    meta = {"exit_code": 0, "pid": -1, "working_dir": "/workspace", "prefix": "", "suffix": ""}
    answer = {"id": i + 1, "timestamp": f"2025-04-01T10:00:{second + 1:02d}", "source": "agent", "cause": i,
              "message": f"Command `{cmd}` executed with exit code 0.", "observation": "run", "content": "ok",
              "extras": {"command": cmd, "metadata": meta}}
    return [call, answer]


def _run(tmp_path: Path, reason: str, resumed: bool = False) -> dict[str, str]:
    events: list[dict] = [
        _state(0, 0, "loading"),
        {"id": 1, "timestamp": "2025-04-01T10:00:01", "source": "user", "message": "Rename the config keys in all services.",
         "action": "message", "args": {"content": "Rename the config keys in all services.", "image_urls": None,
                                       "wait_for_response": False}},
        _state(2, 2, "running"),
        *_command(3, 5, "sed -i 's/db_url/database_url/' svc/a/config.py"),
        _state(5, 9, "error", reason),
    ]
    if resumed:
        events += [
            {"id": 6, "timestamp": "2025-04-01T10:00:30", "source": "user", "message": "continue",
             "action": "message", "args": {"content": "continue", "image_urls": None, "wait_for_response": False}},
            _state(7, 31, "running"),
            *_command(8, 35, "sed -i 's/db_url/database_url/' svc/b/config.py"),
            {"id": 10, "timestamp": "2025-04-01T10:00:40", "source": "agent", "message": "Both services renamed.",
             "action": "finish", "args": {"final_thought": "Both services renamed.", "task_completed": "true",
                                          "outputs": {}, "thought": ""}},
            _state(11, 41, "finished"),
        ]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return dict(zip(findings["detector"].to_list(), findings["decisive_span_id"].to_list(), strict=True))


def test_a_run_stopped_by_a_rate_limit_and_ended_there_is_unhandled(tmp_path: Path) -> None:
    # Decisive: the state change to error (event 5), the model call's failure; nothing followed it.
    assert _run(tmp_path, RATE_LIMIT)["unhandled_error"] == "5"


def test_a_connection_error_stop_is_unhandled_too(tmp_path: Path) -> None:
    assert _run(tmp_path, "APIConnectionError: litellm.APIConnectionError: Connection error.")["unhandled_error"] == "5"


def test_a_stop_the_user_resumed_and_the_agent_finished_is_not_unhandled(tmp_path: Path) -> None:
    assert "unhandled_error" not in _run(tmp_path, RATE_LIMIT, resumed=True)


def test_a_stop_that_is_no_model_call_error_is_not_unhandled(tmp_path: Path) -> None:
    for reason in ("AgentStuckInLoopError: Agent got stuck in a loop",
                   "RuntimeError: Agent reached maximum budget for conversation.Current budget: 3.01, max budget: 3.00",
                   "LLMContextWindowExceedError: Conversation history longer than LLM context window limit."):
        assert "unhandled_error" not in _run(tmp_path, reason), reason
