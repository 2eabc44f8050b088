"""Claude Code: a call the person refused at the permission prompt is their decision, not a tool error.

When the user answers "No" to a tool's permission prompt, the CLI answers the ``tool_use`` with its
canned REJECT_MESSAGE as a ``tool_result`` with ``is_error: true`` ("The user doesn't want to proceed
with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT
written to the file). STOP what you are doing and wait for the user to tell you how to proceed.");
the tool never runs. The line shape follows daaain/claude-code-log
``test/test_data/representative_messages.jsonl`` (/work/shared/formats/jsonl_app_logs/); the text is
the CLI's constant, as public transcript parsers quote it (their fixtures list it beside
"[Request interrupted by user for tool use]" and the CANCEL_MESSAGE "The user doesn't want to take
this action right now. ..."). The house reads a person's answer to a held call as a ``human`` turn
(OpenHands' user_rejected, forensics/loaders/openhands.py), and the refused call as no call that ran.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

_S = "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
_MODEL = "claude-sonnet-4-5-20250929"
_REJECT = ("The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file "
           "edit, the new_string was NOT written to the file). STOP what you are doing and wait for the user to "
           "tell you how to proceed.")


def _line(uuid: str, parent: str | None, kind: str, second: int, **rest: object) -> str:
    return json.dumps({"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": "/w",
                       "sessionId": _S, "version": "2.0.30", "type": kind, "uuid": uuid,
                       "timestamp": f"2026-03-02T10:00:{second:02d}.000Z", **rest})


def _session(tmp_path: Path, result: str, is_error: bool) -> dict[str, dict]:
    call = {"type": "tool_use", "id": "toolu_01A", "name": "Bash",
            "input": {"command": "git push --force origin main", "description": "Force-push main"}}
    lines = [
        _line("u1", None, "user", 0, message={"role": "user", "content": "push my branch"}),
        _line("a1", "u1", "assistant", 2, message={"id": "msg_1", "role": "assistant", "model": _MODEL,
                                                   "content": [call]}),
        _line("r1", "a1", "user", 9, message={"role": "user", "content": [
            {"tool_use_id": "toolu_01A", "type": "tool_result", "content": result, "is_error": is_error}]},
              toolUseResult=f"Error: {result}" if is_error else {"stdout": result, "stderr": ""}),
        _line("a2", "r1", "assistant", 11, message={"id": "msg_2", "role": "assistant", "model": _MODEL,
                                                    "content": [{"type": "text", "text": "Understood, nothing was pushed."}]}),
    ]
    path = tmp_path / f"{_S}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result_ = forensics.load(path)
    account = result_.report.files[0]
    assert account.records_read == account.rows + account.quarantined + account.merged
    return {r["span_id"]: r for r in result_.spans.to_pylist()}


def test_a_refused_call_is_the_persons_decision_not_a_tool_error(tmp_path: Path) -> None:
    rows = _session(tmp_path, _REJECT, is_error=True)
    call = rows["toolu_01A"]
    assert (call["kind"], call["status"], call["error_message"], call["tool"]) == ("event", "ok", None, None)
    assert "@rejected_by_user" in json.loads(call["attributes"])
    answer = rows["r1"]
    assert (answer["kind"], answer["parent_id"], answer["output"]) == ("human", "toolu_01A", _REJECT)
    assert rows["a2"]["parent_id"] == "r1"


def test_a_refusal_with_the_users_feedback_is_still_a_refusal(tmp_path: Path) -> None:
    text = _REJECT.replace("STOP what you are doing and wait for the user to tell you how to proceed.",
                           "To tell you how to proceed, the user said:\nuse a feature branch")
    rows = _session(tmp_path, text, is_error=True)
    assert (rows["toolu_01A"]["kind"], rows["r1"]["kind"]) == ("event", "human")


def test_a_tool_error_that_only_mentions_the_user_stays_a_tool_error(tmp_path: Path) -> None:
    # Near-miss: a real failure of the command, whose text speaks of the user, is the tool's error.
    text = "error: the user doesn't have permission to push to 'main' (remote rejected)"
    rows = _session(tmp_path, text, is_error=True)
    call = rows["toolu_01A"]
    assert (call["kind"], call["status"], call["error_message"]) == ("tool", "error", text)
    assert "r1" not in rows  # the result line is folded into its call, as before


def test_a_successful_call_is_unchanged(tmp_path: Path) -> None:
    rows = _session(tmp_path, "Everything up-to-date", is_error=False)
    assert (rows["toolu_01A"]["kind"], rows["toolu_01A"]["status"]) == ("tool", "ok")
    assert "r1" not in rows
