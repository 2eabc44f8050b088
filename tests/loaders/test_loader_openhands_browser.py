"""OpenHands: a browser step that failed is an error, not a visit.

OpenHands' runtime answers a BrowseURLAction / BrowseInteractiveAction with a
BrowserOutputObservation whose ``error`` is True when BrowserGym's ``last_action_error`` is set
(or the step raised: ``content`` and ``last_browser_action_error`` the exception text)
(All-Hands-AI/OpenHands openhands/runtime/browser/utils.py ``browse``; the fields in
openhands/events/observation/browse.py, serialised under ``extras``). Its message is still
"Visited <url>". Merged into its action span as ok, the failure was lost: a run that answered
over a page it never reached was clean.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

_URL = "http://localhost:3000/"
_REFUSED = f"Page.goto: net::ERR_CONNECTION_REFUSED at {_URL}\nCall log:\n  - navigating to \"{_URL}\", waiting until \"load\"\n"


def _at(second: int) -> str:
    return f"2026-11-30T09:12:{second:02d}"


def _browse(i: int, second: int) -> dict[str, Any]:
    return {"id": i, "timestamp": _at(second), "source": "agent", "message": f"I am browsing the URL: {_URL}",
            "action": "browse", "args": {"url": _URL, "thought": "", "return_axtree": False},
            "tool_call_metadata": {"function_name": "web_read", "tool_call_id": f"b{i}", "model_response": {"id": f"r{i}"}}}


def _browsed(i: int, second: int, cause: int, *, failed: bool) -> dict[str, Any]:
    error = _REFUSED if failed else ""
    return {"id": i, "timestamp": _at(second), "source": "agent", "cause": cause, "message": f"Visited {_URL}",
            "observation": "browse", "content": _REFUSED if failed else "Dashboard\nOrders: 12 open",
            "extras": {"url": _URL if not failed else "", "trigger_by_action": "browse", "screenshot": "",
                       "error": failed, "open_pages_urls": [], "active_page_index": -1,
                       "last_browser_action": "" if failed else f'goto("{_URL}")',
                       "last_browser_action_error": error, "focused_element_bid": ""}}


def _run(i: int, second: int, command: str) -> dict[str, Any]:
    return {"id": i, "timestamp": _at(second), "source": "agent", "message": f"Running command: {command}",
            "action": "run", "args": {"command": command, "is_input": False, "thought": "", "blocking": False},
            "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": f"c{i}", "model_response": {"id": f"r{i}"}}}


def _ran(i: int, second: int, cause: int, command: str, content: str) -> dict[str, Any]:
    meta = {"exit_code": -1, "pid": -1, "working_dir": "/workspace", "prefix": "",
            "suffix": "\n[The command has no new output after 30 seconds. You may wait longer to see additional output "
                      "by sending empty command '', send other commands to interact with the current process, send keys "
                      "to interrupt/kill the command, or use the timeout parameter in execute_bash for future commands.]"}
    return {"id": i, "timestamp": _at(second), "source": "agent", "cause": cause, "observation": "run",
            "message": f"Command `{command}` executed with exit code -1.", "content": content,
            "extras": {"command": command, "metadata": meta, "hidden": False}}


def _finish(i: int, second: int, said: str) -> dict[str, Any]:
    return {"id": i, "timestamp": _at(second), "source": "agent", "message": said, "action": "finish",
            "args": {"outputs": {}, "thought": "", "final_thought": said, "task_completed": "true"},
            "tool_call_metadata": {"function_name": "finish", "tool_call_id": f"f{i}", "model_response": {"id": f"r{i}"}}}


def _session(retried: bool) -> list[dict[str, Any]]:
    ask = "Start the app and tell me how many orders the dashboard shows as open."
    events: list[dict[str, Any]] = [
        {"id": 0, "timestamp": _at(0), "source": "user", "message": ask, "action": "message",
         "args": {"content": ask, "image_urls": None, "wait_for_response": False}},
        _browse(1, 2), _browsed(2, 3, 1, failed=True),
    ]
    if not retried:
        return events + [_finish(3, 6, "The dashboard shows 12 open orders.")]
    return events + [
        _run(3, 5, "npm start"), _ran(4, 36, 3, "npm start", "> app@2.0.0 start\n> next start\n\n  ready - started server on 0.0.0.0:3000"),
        _browse(5, 38), _browsed(6, 39, 5, failed=False),
        _finish(7, 42, "The dashboard shows 12 open orders."),
    ]


def _load(tmp_path: Path, retried: bool) -> forensics.LoadResult:
    path = tmp_path / f"browse_{retried}.json"
    path.write_text(json.dumps(_session(retried)))
    return forensics.load(path)


def _spans(result: forensics.LoadResult) -> dict[str, dict[str, Any]]:
    return {r["span_id"]: r for r in result.spans.to_pylist()}


def _found(result: forensics.LoadResult) -> set[str]:
    findings: pl.DataFrame = pl.DataFrame(pl.from_arrow(forensics.classify(result.spans).findings))
    return set(findings.get_column("detector").to_list())


def test_a_failed_browser_step_is_an_error(tmp_path: Path) -> None:
    row = _spans(_load(tmp_path, retried=False))["1"]
    assert (row["kind"], row["tool"], row["status"], row["error_type"]) == ("tool", "web_read", "error", "browser_action_error")
    assert row["error_message"].startswith("Page.goto: net::ERR_CONNECTION_REFUSED at http://localhost:3000/")


def test_answering_over_a_page_never_reached_is_found(tmp_path: Path) -> None:
    assert "swallowed_error" in _found(_load(tmp_path, retried=False))


def test_near_miss_a_browser_step_that_worked_is_ok(tmp_path: Path) -> None:
    row = _spans(_load(tmp_path, retried=True))["5"]
    assert (row["status"], row["error_type"], row["output"]) == ("ok", None, "Dashboard\nOrders: 12 open")


def test_near_miss_starting_the_app_and_browsing_again_is_clean(tmp_path: Path) -> None:
    assert _found(_load(tmp_path, retried=True)) == set()
