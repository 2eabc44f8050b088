"""chat-messages: OpenAI Swarm's ``Response`` dump (swarm/core.py Swarm.run: each assistant message
gets ``sender = active_agent.name``; a function returning an Agent is answered with
``json.dumps({"assistant": agent.name})`` in a tool message carrying ``tool_name``). Expectations read
from the hand-written tests/data/chat_messages/swarm_response_handoff.json: Triage Agent calls
transfer_to_sales, which returns the agent named "Sales Agent", who places the order."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from realdata import DATA

import forensics

PATH = DATA / "chat_messages" / "swarm_response_handoff.json"


def _rows(path: Path) -> list[tuple]:
    result = forensics.load(path)
    assert result.report.files[0].format == "chat-messages"
    df = result.to_polars().sort("start_time", "span_id")
    return [(r["span_id"], r["kind"], r["agent"], r["handoff_to"]) for r in df.iter_rows(named=True)]


def test_sender_is_the_agent_and_the_returned_agent_is_the_handoff_target() -> None:
    assert _rows(PATH) == [
        ("conversation", "chain", None, None),  # two agents speak: the transcript is nobody's
        ("m0", "llm", "Triage Agent", None),
        ("call_1", "handoff", "Triage Agent", "Sales Agent"),  # not "sales", the tool name's suffix
        ("m2", "llm", "Sales Agent", None),
        ("call_2", "tool", "Sales Agent", None),
        ("m4", "llm", "Sales Agent", None),
    ]
    attrs = forensics.load(PATH).to_polars().filter(pl.col("span_id") == "m0")["attributes"].to_list()[0]
    assert "sender" not in (json.loads(attrs) if isinstance(attrs, str) else attrs or {})


def test_an_assistant_object_from_a_plain_tool_is_no_handoff(tmp_path: Path) -> None:
    # Near miss: no Swarm tool_name on the result, so {"assistant": ...} is just the tool's answer.
    path = tmp_path / "plain.json"
    path.write_text(json.dumps({"id": "plain-1", "messages": [
        {"role": "user", "content": "who is on call?"},
        {"role": "assistant", "name": "Ops", "content": None,
         "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "lookup_oncall", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_9", "content": json.dumps({"assistant": "Dana"})},
        {"role": "assistant", "name": "Ops", "content": "Dana is on call."}]}))
    rows = {span: (kind, agent, to) for span, kind, agent, to in _rows(path)}
    assert rows["call_9"] == ("tool", "Ops", None)


def test_a_streamed_response_speaks_as_the_agent_handed_to(tmp_path: Path) -> None:
    # Swarm.run_and_stream writes "sender": agent.name, the agent the run *started* with, on every
    # message (swarm/core.py), while the completion after a handoff is the active agent's: past the
    # handoff the agent handed to speaks. A later user turn starts afresh from the sender.
    doc = json.loads(PATH.read_text())
    for message in doc["messages"]:
        if message["role"] == "assistant":
            message["sender"] = "Triage Agent"
    doc["messages"] += [{"role": "user", "content": "thanks!"},
                        {"role": "assistant", "content": "Anything else?", "sender": "Triage Agent"}]
    path = tmp_path / "streamed.json"
    path.write_text(json.dumps(doc))
    rows = {span: (kind, agent) for span, kind, agent, _ in _rows(path)}
    assert rows == {
        "conversation": ("chain", None),
        "m0": ("llm", "Triage Agent"),
        "call_1": ("handoff", "Triage Agent"),
        "m2": ("llm", "Sales Agent"),
        "call_2": ("tool", "Sales Agent"),
        "m4": ("llm", "Sales Agent"),
        "m5": ("human", None),
        "m6": ("llm", "Triage Agent"),
    }
