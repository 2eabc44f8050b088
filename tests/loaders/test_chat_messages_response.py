"""chat-messages: a request logged with its completion (``messages`` beside ``choices``) keeps the
reply. Shapes: openai-python ``src/openai/types/chat/chat_completion.py`` (``ChatCompletion.choices``,
``Choice.message``/``finish_reason``, ``usage``); a proxy or an app logging request and response
together writes the request's ``messages`` into the response object. Before, the reply was only
an attribute of the root: the run had no assistant turn and its tool call was never seen."""

from __future__ import annotations

import json
from pathlib import Path

import forensics

REQUEST = [{"role": "system", "content": "You are a billing assistant."},
           {"role": "user", "content": "Refund order 1182, it arrived broken."}]
CALL = {"id": "call_Q1", "type": "function", "function": {"name": "issue_refund", "arguments": '{"order": 1182}'}}


def _load(tmp_path: Path, record: dict) -> dict[str, dict]:
    path = tmp_path / "completion.json"
    path.write_text(json.dumps(record))
    result = forensics.load(path)
    assert result.report.files[0].format == "chat-messages"
    assert result.report.quarantined == 0
    return {r["span_id"]: r for r in result.spans.to_pylist()}


def test_the_reply_of_one_choice_is_the_last_assistant_turn(tmp_path: Path) -> None:
    rows = _load(tmp_path, {
        "id": "chatcmpl-9xYz", "object": "chat.completion", "created": 1764900000, "model": "gpt-4o-2024-08-06",
        "messages": REQUEST,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [CALL]},
                     "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 812, "completion_tokens": 19, "total_tokens": 831},
    })
    reply = rows["m2"]  # after the system (m0) and user (m1) turns
    assert (reply["kind"], reply["model"], reply["input_tokens"], reply["output_tokens"]) == ("llm", "gpt-4o-2024-08-06", 812, 19)
    assert json.loads(reply["attributes"])["finish_reason"] == "tool_calls"
    call = rows["call_Q1"]
    assert (call["kind"], call["tool"], call["parent_id"], call["input"]) == ("tool", "issue_refund", "m2", '{"order": 1182}')
    root = json.loads(rows["conversation"]["attributes"])
    # The one choice and its usage are now the reply's; the response's own keys stay on the root.
    assert "choices" not in root and "usage" not in root
    assert (root["object"], root["model"]) == ("chat.completion", "gpt-4o-2024-08-06")


def test_alternatives_nobody_continued_stay_on_the_root(tmp_path: Path) -> None:
    rows = _load(tmp_path, {
        "id": "chatcmpl-n2", "model": "gpt-4o-mini", "messages": REQUEST,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Refund issued."}, "finish_reason": "stop"},
                    {"index": 1, "message": {"role": "assistant", "content": "I can't refund that."}, "finish_reason": "stop"}],
    })
    assert rows["m2"]["output"] == "Refund issued."
    assert [c["index"] for c in json.loads(rows["conversation"]["attributes"])["choices"]] == [0, 1]
    assert "m3" not in rows


def test_a_conversation_without_choices_is_unchanged(tmp_path: Path) -> None:
    rows = _load(tmp_path, {"id": "conv-1", "messages": [*REQUEST, {"role": "assistant", "content": "Done."}]})
    assert sorted(rows) == ["conversation", "m0", "m1", "m2"]
    assert rows["m2"]["output"] == "Done."
