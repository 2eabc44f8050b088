"""pydantic-ai's version-1 message events, stored on the model request span as the ``events`` attribute.

With ``InstrumentationSettings(version=1)`` and ``event_mode='attributes'`` (its default; the only
format before pydantic-ai 0.7.5) a ``chat <model>`` span carries no gen_ai.input/output.messages: its
messages are the JSON text of ``events``, each event dict its body and attributes flat
(pydantic/pydantic-ai pydantic_ai_slim/pydantic_ai/models/instrumented.py ``event_to_dict``). The
spans below are those of pydantic-ai's own tests/test_logfire.py (``test_logfire``: an agent calling
the tool ``my_ret`` and answering ``{"my_ret":"1"}``; the 'running tool' span of those releases
carries the arguments and no result), written as OTLP/JSON one request per line. The model calls'
input and output were empty, and the tool's result was in no column.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from otlp_trace import otlp_span

import forensics

_CALL = {"id": "pyd_ai_call_1", "type": "function", "function": {"name": "my_ret", "arguments": {"x": 0}}}
_USER = {"event.name": "gen_ai.user.message", "content": "Hello", "role": "user", "gen_ai.message.index": 0,
         "gen_ai.system": "test"}  # fmt: skip
_CHAT = {"gen_ai.operation.name": "chat", "gen_ai.system": "test", "gen_ai.request.model": "test",
         "logfire.msg": "chat test", "logfire.span_type": "span", "gen_ai.response.model": "test",
         "gen_ai.usage.input_tokens": 51, "gen_ai.usage.output_tokens": 4}  # fmt: skip


def _choice(message: dict[str, Any]) -> dict[str, Any]:
    return {"event.name": "gen_ai.choice", "index": 0, "message": message, "gen_ai.system": "test"}


def _spans(events_attr: Any) -> list[dict[str, Any]]:
    first = [_USER, _choice({"role": "assistant", "tool_calls": [_CALL]})]
    second = [
        _USER,
        {
            "role": "assistant",
            "tool_calls": [_CALL],
            "gen_ai.message.index": 1,
            "event.name": "gen_ai.assistant.message",
        },
        {
            "content": "1",
            "role": "tool",
            "id": "pyd_ai_call_1",
            "name": "my_ret",
            "gen_ai.message.index": 2,
            "event.name": "gen_ai.tool.message",
        },  # fmt: skip
        _choice({"role": "assistant", "content": '{"my_ret":"1"}'}),
    ]
    run = {"model_name": "test", "agent_name": "my_agent", "logfire.msg": "my_agent run",
           "gen_ai.usage.input_tokens": 103, "gen_ai.usage.output_tokens": 12, "final_result": '{"my_ret":"1"}'}  # fmt: skip
    tool = {"gen_ai.tool.name": "my_ret", "gen_ai.tool.call.id": "pyd_ai_call_1", "tool_arguments": '{"x":0}',
            "logfire.msg": "running tool: my_ret"}  # fmt: skip
    return [
        otlp_span("0000000000000001", "", "agent run", 0, 400, run),
        otlp_span(
            "0000000000000002",
            "0000000000000001",
            "chat test",
            10,
            100,
            {**_CHAT, "events": events_attr(first)},
        ),
        otlp_span("0000000000000003", "0000000000000001", "running tools", 110, 200, {"tools": ["my_ret"]}),
        otlp_span("0000000000000004", "0000000000000003", "running tool", 120, 190, tool),
        otlp_span(
            "0000000000000005",
            "0000000000000001",
            "chat test",
            210,
            300,
            {**_CHAT, "events": events_attr(second)},
        ),
    ]


def _write(path: Path, spans: list[dict[str, Any]]) -> Path:
    # One ExportTraceServiceRequest per line, a span each (the collector file exporter's layout).
    lines = [{"resourceSpans": [{"resource": {"attributes": []},
                                 "scopeSpans": [{"scope": {"name": "pydantic-ai", "version": "0.4.0"}, "spans": [s]}]}]}
             for s in spans]  # fmt: skip
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return path


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    result = forensics.load(path)
    account = result.report.files[0]
    assert account.rows + account.quarantined + account.merged == 5 and account.quarantined == 0
    return {r["span_id"]: r for r in result.spans.to_pylist()}


@pytest.mark.parametrize("vectorised", ["0", "1"])
def test_model_calls_get_their_messages_from_the_events_attribute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vectorised: str
) -> None:
    # Both readers: a line holding the events is handed to the per-record loader (PER_RECORD_MARKS).
    monkeypatch.setenv("FORENSICS_VECTORISED_OTLP", vectorised)
    rows = _rows(_write(tmp_path / "pydantic_ai.jsonl", _spans(json.dumps)))
    first, second = rows["0000000000000002"], rows["0000000000000005"]
    assert first["kind"] == second["kind"] == "llm"
    assert json.loads(first["input"]) == [{"role": "user", "content": "Hello"}]
    # The first response only asked for the tool: the assistant message holding the call.
    assert json.loads(first["output"]) == {"role": "assistant", "tool_calls": [_CALL]}
    # The tool's result is in the next request, answering its call.
    sent = json.loads(second["input"])
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    assert sent[2] == {"role": "tool", "content": "1", "tool_call_id": "pyd_ai_call_1", "name": "my_ret"}
    assert second["output"] == '{"my_ret":"1"}'
    # The attribute stays as written.
    assert "events" in json.loads(second["attributes"])


def test_other_events_attributes_and_own_messages_are_left_alone(tmp_path: Path) -> None:
    # Near miss 1: an attribute named events that is not pydantic-ai's list of event dicts.
    rows = _rows(_write(tmp_path / "other.jsonl", _spans(lambda _: "3 events queued")))
    assert rows["0000000000000002"]["input"] is None and rows["0000000000000002"]["output"] is None
    # Near miss 2: a version-2 span carries its own gen_ai.output.messages, which the events do not replace.
    spans = _spans(json.dumps)
    spans[1]["attributes"].append(
        {"key": "gen_ai.output.messages", "value": {"stringValue": '[{"role": "assistant"}]'}}
    )
    rows = _rows(_write(tmp_path / "v2.jsonl", spans))
    assert rows["0000000000000002"]["output"] == '[{"role": "assistant"}]'
