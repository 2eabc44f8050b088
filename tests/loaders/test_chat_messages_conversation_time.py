"""chat-messages: a conversation that carries its own time, and messages that carry none, are
counted from that time (not from 1970), the times still flagged as synthesised.

OpenAI's objects carry the time as epoch seconds on the object, not on each message: a chat
completion's ``created`` (openai-python ``src/openai/types/chat/chat_completion.py``: "The Unix
timestamp (in seconds) of when the chat completion was created"), a thread's ``created_at``
(``src/openai/types/beta/thread.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

_SECOND = 1_000_000_000
_CREATED = 1_741_000_000  # 2025-03-03T11:06:40Z

_MESSAGES = [
    {"role": "system", "content": "You are a support agent."},
    {"role": "user", "content": "Where is order 1182?"},
    {"role": "assistant", "content": "It shipped yesterday."},
]


def _rows(tmp_path: Path, conversation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    path = tmp_path / "conv.json"
    path.write_text(json.dumps({"id": "conv-9", **conversation, "messages": conversation.get("messages", _MESSAGES)}))
    loaded = forensics.load(path)
    assert loaded.quarantine.num_rows == 0
    table = pl.DataFrame(pl.from_arrow(loaded.spans)).with_columns(pl.col("start_time", "end_time").cast(pl.Int64))
    return {r["span_id"]: r for r in table.to_dicts()}


def test_messages_are_counted_from_the_conversations_created(tmp_path: Path) -> None:
    rows = _rows(tmp_path, {"object": "thread", "created": _CREATED})
    origin = _CREATED * _SECOND
    assert [rows[f"m{i}"]["start_time"] for i in range(3)] == [origin, origin + _SECOND, origin + 2 * _SECOND]
    assert (rows["conversation"]["start_time"], rows["conversation"]["end_time"]) == (origin, origin + 3 * _SECOND)
    note = json.loads(rows["m1"]["attributes"])["time_synthesized"]
    assert "`created`" in note  # still synthesised: only the conversation's time is the source's


def test_thread_created_at_is_read_the_same_way(tmp_path: Path) -> None:
    rows = _rows(tmp_path, {"object": "thread", "created_at": _CREATED})
    assert rows["m0"]["start_time"] == _CREATED * _SECOND


def test_near_miss_no_conversation_time_keeps_the_epoch_count(tmp_path: Path) -> None:
    rows = _rows(tmp_path, {"object": "thread"})
    assert [rows[f"m{i}"]["start_time"] for i in range(3)] == [0, _SECOND, 2 * _SECOND]
    assert "Unix epoch" in json.loads(rows["m1"]["attributes"])["time_synthesized"]


def test_near_miss_a_conversation_time_that_is_no_time_keeps_the_epoch_count(tmp_path: Path) -> None:
    rows = _rows(tmp_path, {"created": "yesterday"})
    assert rows["m0"]["start_time"] == 0
    assert json.loads(rows["conversation"]["attributes"])["created"] == "yesterday"


def test_near_miss_message_times_win_over_the_conversations(tmp_path: Path) -> None:
    timed = [dict(m, created_at=_CREATED + 60 * i) for i, m in enumerate(_MESSAGES)]
    rows = _rows(tmp_path, {"created": 1_600_000_000, "messages": timed})
    assert rows["m2"]["start_time"] == (_CREATED + 120) * _SECOND
    assert "time_synthesized" not in json.loads(rows["m2"]["attributes"] or "{}")
