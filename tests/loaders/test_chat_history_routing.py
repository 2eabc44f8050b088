"""A chat transcript under ``history`` is routed by its messages' shape; ``metadata.model`` names the model.

``history`` is also the key of multi-agent logs (the ag2-history loader): AG2's group chat names
every message after its speaker (autogen/agentchat/groupchat.py GroupChatManager.run_chat: ``if
message["role"] != "function": message["name"] = speaker.name``), and Magentic-One's log, as the
Who&When benchmark publishes it, puts the agent in ``role`` ("Orchestrator (thought)"). An
application's own chat log under ``history`` holds OpenAI chat messages (openai-python
``src/openai/types/chat/chat_completion_message_param.py``: ``role`` system/developer/user/
assistant/tool, ``name`` optional, ``tool_calls``): read before as an AG2 group chat when it had no
tool call (each message an agent step named after its role), it is now a chat transcript. Near
misses: a named group chat and a Magentic-One log without the benchmark's keys stay ag2-history.

A stored chat's model tagged in ``metadata`` (OpenAI's ``metadata``, "16 key-value pairs that can be
attached to an object", openai-python ``src/openai/types/shared/metadata.py``; a chat log's
conversation metadata) names the model of its assistant turns where neither the message nor the
conversation has a ``model`` of its own (which wins).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

CHAT = [
    {"role": "system", "content": "You are the billing assistant of Acme."},
    {"role": "user", "content": "Why was I charged twice in March?"},
    {"role": "assistant", "content": "The second charge is the annual plan renewal on March 14."},
]


def _load(tmp_path: Path, record: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    path = tmp_path / "conversation.json"
    path.write_text(json.dumps(record))
    result = forensics.load(path)
    return result.report.files[0].format, result.to_polars().sort("start_time", "span_id").to_dicts()


def test_an_openai_chat_under_history_is_a_chat_transcript(tmp_path: Path) -> None:
    fmt, rows = _load(tmp_path, {"id": "conv-7f3a", "history": CHAT, "metadata": {"model": "gpt-4o-mini"}})
    assert fmt == "chat-messages"
    assert [r["kind"] for r in rows] == ["agent", "event", "human", "llm"]
    assert rows[-1]["model"] == "gpt-4o-mini"
    assert {r["run_id"] for r in rows} == {"conv-7f3a"}


def test_metadata_model_on_messages_and_the_conversations_own_model_wins(tmp_path: Path) -> None:
    tagged = [*CHAT[:2], {**CHAT[2], "metadata": {"model": "gpt-4.1"}}]
    assert _load(tmp_path, {"messages": tagged})[1][-1]["model"] == "gpt-4.1"
    own = {"messages": CHAT, "model": "gpt-4o-2024-08-06", "metadata": {"model": "gpt-4o-mini"}}
    assert _load(tmp_path, own)[1][-1]["model"] == "gpt-4o-2024-08-06"


def test_near_miss_an_ag2_group_chat_under_history_stays_ag2(tmp_path: Path) -> None:
    group = [{"content": "Plot NVDA and TSLA year to date.", "role": "user", "name": "Admin"},
             {"content": "Plan: fetch prices, then plot.", "role": "assistant", "name": "Planner"},
             {"content": "```python\nimport yfinance\n```", "role": "user", "name": "Engineer"}]
    assert _load(tmp_path, {"history": group})[0] == "ag2-history"


def test_near_miss_a_magentic_one_log_under_history_stays_ag2(tmp_path: Path) -> None:
    log = [{"content": "How many studio albums did Mercedes Sosa publish?", "role": "human"},
           {"content": "Initial plan: ask WebSurfer.", "role": "Orchestrator (thought)"},
           {"content": "I typed 'Mercedes Sosa discography'.", "role": "WebSurfer"}]
    assert _load(tmp_path, {"history": log})[0] == "ag2-history"
