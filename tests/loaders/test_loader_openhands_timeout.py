"""OpenHands: a command observed before it completed.

OpenHands' bash session returns after 30 s without new output while the command still runs:
CmdOutputMetadata() with no exit code (-1) and the suffix "[The command has no new output after 30
seconds. You may wait longer to see additional output by sending empty command '', send other
commands to interact with the current process, send keys to interrupt/kill the command, or use the
timeout parameter in execute_bash for future commands.]" (All-Hands-AI/OpenHands
openhands/runtime/utils/bash.py ``_handle_nochange_timeout_command``, TIMEOUT_MESSAGE_TEMPLATE in
openhands/runtime/utils/bash_constants.py); the next command ('' to wait) gets "[Below is the output
of the previous command.]" and the exit code. That is no failure of the command (a dev server
started in the foreground answers so and keeps serving): status unset, the notice kept as
``@still_running``. The hard timeout ("[The command timed out after N seconds. ...]",
``_handle_hard_timeout_command``: the action's own limit ran out) stays an error.

Read as an error (before), a healthy run that started a dev server and checked its page was a
swallowed_error. The price: a run that answers "The test suite passes." over a suite that never
finished is no longer found by the loader's error (a detector reading the answer against the
unfinished command would have to find it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

_NOTICE = ("\n[The command has no new output after 30 seconds. You may wait longer to see additional output by sending "
           "empty command '', send other commands to interact with the current process, send keys to interrupt/kill "
           "the command, or use the timeout parameter in execute_bash for future commands.]")


def _meta(code: int, suffix: str) -> dict[str, Any]:
    return {"exit_code": code, "pid": -1, "username": None, "hostname": None, "working_dir": "/workspace/app",
            "py_interpreter_path": None, "prefix": "", "suffix": suffix}


def _run(i: int, second: int, command: str, call: str, *, is_input: bool = False) -> dict[str, Any]:
    return {"id": i, "timestamp": f"2026-11-30T07:03:{second:02d}", "source": "agent", "message": f"Running command: {command}",
            "action": "run", "args": {"command": command, "is_input": is_input, "thought": "", "blocking": False},
            "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": call, "model_response": {"id": f"r{i}"}}}


def _observed(i: int, second: int, cause: int, command: str, content: str, meta: dict[str, Any]) -> dict[str, Any]:
    return {"id": i, "timestamp": f"2026-11-30T07:03:{second:02d}", "source": "agent", "cause": cause,
            "message": f"Command `{command}` executed with exit code {meta['exit_code']}.", "observation": "run",
            "content": content, "extras": {"command": command, "metadata": meta, "hidden": False}}


def _finish(i: int, second: int, said: str) -> dict[str, Any]:
    return {"id": i, "timestamp": f"2026-11-30T07:03:{second:02d}", "source": "agent", "message": said, "action": "finish",
            "args": {"outputs": {}, "thought": "", "final_thought": said, "task_completed": None},
            "tool_call_metadata": {"function_name": "finish", "tool_call_id": f"f{i}", "model_response": {"id": f"r{i}"}}}


def _session(ending: str) -> list[dict[str, Any]]:
    events = [
        {"id": 0, "timestamp": "2026-11-30T07:03:00", "source": "user", "message": "Run the test suite and tell me if it passes.",
         "action": "message", "args": {"content": "Run the test suite and tell me if it passes.", "image_urls": None,
                                       "wait_for_response": False}},
        _run(1, 2, "npm test", "c1"),
        _observed(2, 34, 1, "npm test", "> app@1.4.0 test\n> vitest\n\n DEV  v1.6.0 /workspace/app\n", _meta(-1, _NOTICE)),
    ]
    if ending == "claimed":
        return events + [_finish(3, 40, "The test suite passes.")]
    if ending == "told":
        return events + [_finish(3, 40, "npm test started vitest in watch mode and printed no results within 30 seconds, "
                                        "so I could not confirm whether the test suite passes.")]
    done = "[The command completed with exit code 0.]"
    return events + [
        _run(3, 36, "C-c", "c2", is_input=True),
        _observed(4, 37, 3, "C-c", "^C", _meta(130, "\n[The command completed with exit code 130. CTRL+C was sent.]")),
        _run(5, 38, "npx vitest run", "c3"),
        _observed(6, 50, 5, "npx vitest run", " Test Files  9 passed (9)\n      Tests  41 passed (41)", _meta(0, "\n" + done)),
        _finish(7, 55, "The test suite passes: 41 tests in 9 files (vitest run)."),
    ]


def _load(tmp_path: Path, ending: str) -> forensics.LoadResult:
    path = tmp_path / f"{ending}.json"
    path.write_text(json.dumps(_session(ending)))
    return forensics.load(path)


def _detectors(tmp_path: Path, ending: str) -> set[str]:
    findings: pl.DataFrame = pl.DataFrame(pl.from_arrow(forensics.classify(_load(tmp_path, ending).spans).findings))
    return set(findings.get_column("detector").to_list())


def _browse(i: int, second: int, url: str) -> dict[str, Any]:
    return {"id": i, "timestamp": f"2026-11-30T07:03:{second:02d}", "source": "agent", "message": f"Browsing {url}",
            "action": "browse", "args": {"url": url, "thought": ""},
            "tool_call_metadata": {"function_name": "browser", "tool_call_id": f"b{i}", "model_response": {"id": f"r{i}"}}}


def _browsed(i: int, second: int, cause: int, url: str, text: str) -> dict[str, Any]:
    return {"id": i, "timestamp": f"2026-11-30T07:03:{second:02d}", "source": "agent", "cause": cause,
            "message": f"Visited {url}", "observation": "browse", "content": text,
            "extras": {"url": url, "trigger_by_action": "browse", "screenshot": "", "error": False,
                       "last_browser_action_error": "", "goal_image_urls": [], "open_pages_urls": [url]}}


def _dev_server() -> list[dict[str, Any]]:
    """Start the dev server in the foreground (it keeps running: the no-change timeout), then look at the page."""
    url = "http://localhost:5173/"
    return [
        {"id": 0, "timestamp": "2026-11-30T07:03:00", "source": "user", "message": "Start the dev server and check the home page.",
         "action": "message", "args": {"content": "Start the dev server and check the home page.", "image_urls": None,
                                       "wait_for_response": False}},
        _run(1, 2, "npm run dev", "c1"),
        _observed(2, 34, 1, "npm run dev", f"> app@1.4.0 dev\n> vite\n\n  VITE v5.0.0  ready in 300 ms\n  Local: {url}\n",
                  _meta(-1, _NOTICE)),
        _browse(3, 40, url),
        _browsed(4, 45, 3, url, "Welcome to App"),
        _finish(5, 50, "The dev server is running and the home page shows 'Welcome to App'."),
    ]


def _waited() -> list[dict[str, Any]]:
    """npm test says nothing for 30 s; the agent waits ('') and the suite completes."""
    return _session("claimed")[:3] + [
        _run(3, 36, "", "c2"),
        _observed(4, 50, 3, "", "[Below is the output of the previous command.]\n Test Files  9 passed (9)\n"
                  "      Tests  41 passed (41)", _meta(0, "\n[The command completed with exit code 0.]")),
        _finish(5, 55, "The test suite passes: 41 tests in 9 files."),
    ]


def _write(tmp_path: Path, name: str, events: list[dict[str, Any]]) -> forensics.LoadResult:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(events))
    return forensics.load(path)


def _found(result: forensics.LoadResult) -> set[str]:
    findings: pl.DataFrame = pl.DataFrame(pl.from_arrow(forensics.classify(result.spans).findings))
    return set(findings.get_column("detector").to_list())


def test_a_command_with_no_new_output_is_still_running_not_failed(tmp_path: Path) -> None:
    row = {r["span_id"]: r for r in _load(tmp_path, "claimed").spans.to_pylist()}["1"]
    assert (row["status"], row["error_type"], row["error_message"]) == ("unset", None, None)
    assert json.loads(row["attributes"])["@still_running"].startswith("The command has no new output after 30 seconds.")


def test_the_hard_timeout_is_an_error(tmp_path: Path) -> None:
    events = _session("claimed")
    events[2]["extras"]["metadata"] = _meta(-1, "\n[The command timed out after 120 seconds. You may wait longer to see "
                                                "additional output by sending empty command '', ...]")
    row = {r["span_id"]: r for r in _write(tmp_path, "hard", events).spans.to_pylist()}["1"]
    assert (row["status"], row["error_type"]) == ("error", "command_timeout")
    assert row["error_message"].startswith("The command timed out after 120 seconds.")


def test_near_miss_exit_code_minus_one_without_the_notice_stays_ok(tmp_path: Path) -> None:
    events = _session("claimed")
    events[2]["extras"]["metadata"] = _meta(-1, "")  # a detached command: no exit code yet, nothing said
    assert {r["span_id"]: r for r in _write(tmp_path, "plain", events).spans.to_pylist()}["1"]["status"] == "ok"


def test_a_dev_server_left_running_then_checked_is_clean(tmp_path: Path) -> None:
    # Read as an error, the server still serving was a swallowed_error under the run's success.
    assert _found(_write(tmp_path, "server", _dev_server())) == set()


def test_waiting_for_the_command_to_complete_is_clean(tmp_path: Path) -> None:
    assert _found(_write(tmp_path, "waited", _waited())) == set()


def test_near_miss_interrupted_and_rerun_to_completion_is_clean(tmp_path: Path) -> None:
    assert _detectors(tmp_path, "rerun") == set()


def test_near_miss_telling_the_user_it_could_not_confirm_is_clean(tmp_path: Path) -> None:
    assert _detectors(tmp_path, "told") == set()
