"""Microsoft Agent Framework: an agent run that ended with nothing for the user.

``AgentTelemetryLayer.run`` (microsoft/agent-framework ``python/packages/core/agent_framework/
observability.py``) opens ``invoke_agent <name>`` on the tracer ``agent_framework``, records the
request as ``gen_ai.input.messages`` and, once the run returned, the response's messages as
``gen_ai.output.messages`` (``_capture_messages``: every message of the run, the tool calls and
results included, each ``{"role", "parts"}``; ``_to_otel_part``: text ``{"type": "text",
"content"}``, a call ``tool_call``, a result ``tool_call_response``), both only with sensitive data
on, and the output only when ``response.messages`` is not empty. The span ends with status unset
unless the run raised. So a run whose closing model call answered nothing either ends its output
messages with an assistant message with no part, or, where the response held no message, records
its input and no output at all, a run that returned normally: nothing reached the user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import classify_otlp, otlp_span

ASK = [{"role": "user", "parts": [{"type": "text", "content": "Will it rain in Oslo tomorrow?"}]}]
CALL = {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_7f", "name": "get_forecast",
                                        "arguments": {"city": "Oslo", "day": "tomorrow"}}]}  # fmt: skip
RESULT = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_7f",
                                     "response": '{"rain_mm": 4.2, "chance": 0.8}'}]}  # fmt: skip
REPLY = {"role": "assistant", "parts": [{"type": "text", "content": "Yes: 80% chance, about 4 mm of rain."}]}
EMPTY = {"role": "assistant", "parts": []}


def _span(sid: str, parent: str, name: str, start_ms: int, end_ms: int, attrs: dict[str, Any]) -> dict[str, Any]:
    return otlp_span(sid, parent, name, start_ms, end_ms, attrs)


def _chat(sid: str, start: int, end: int, inp: list[Any], out: list[Any] | None, finish: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                             "gen_ai.request.model": "gpt-4o-mini", "gen_ai.input.messages": inp,
                             "gen_ai.response.finish_reasons": [finish], "gen_ai.usage.input_tokens": 212,
                             "gen_ai.usage.output_tokens": 18}  # fmt: skip
    if out is not None:
        attrs["gen_ai.output.messages"] = out
    return _span(sid, "a0000000000000a1", "chat gpt-4o-mini", start, end, attrs)


def _trace(agent_out: Any, last_chat_out: list[Any] | None, tmp_path: Path,
           later: list[dict[str, Any]] | None = None, *, asked_again: bool = True) -> pl.DataFrame:  # fmt: skip
    agent: dict[str, Any] = {"gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "microsoft.agent_framework",
                             "gen_ai.agent.id": "4b1d6c0e-weather", "gen_ai.agent.name": "WeatherAgent",
                             "gen_ai.input.messages": ASK}  # fmt: skip
    if agent_out is not None:
        agent["gen_ai.output.messages"] = agent_out
    spans = [
        _span("a0000000000000a1", "", "invoke_agent WeatherAgent", 0, 3200, agent),
        _chat("c0000000000000c1", 10, 900, ASK, [{**CALL, "finish_reason": "tool_call"}], "tool_calls"),
        _span("e0000000000000e1", "a0000000000000a1", "execute_tool get_forecast", 910, 1400,
              {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_forecast",
               "gen_ai.tool.call.id": "call_7f", "gen_ai.tool.type": "function",
               "gen_ai.tool.call.arguments": {"city": "Oslo", "day": "tomorrow"},
               "gen_ai.tool.call.result": '{"rain_mm": 4.2, "chance": 0.8}'}),  # fmt: skip
        *([_chat("c0000000000000c2", 1410, 3150, [*ASK, CALL, RESULT], last_chat_out, "stop")] if asked_again else []),
        *(later or []),
    ]
    return classify_otlp(spans, tmp_path / "af.otlp.json", service="weather-bot")


def _detectors(found: pl.DataFrame) -> list[str]:
    return found.get_column("detector").to_list() if found.height else []


def test_output_messages_ending_in_an_empty_assistant_message_are_undelivered(tmp_path: Path) -> None:
    found = _trace([CALL, RESULT, EMPTY], [{**EMPTY, "finish_reason": "stop"}], tmp_path)
    row = found.filter(pl.col("detector") == "undelivered_output")
    assert row.height == 1
    assert row.get_column("decisive_span_id").item() == "c0000000000000c2"  # the model call that said nothing


def test_a_response_with_no_message_is_undelivered(tmp_path: Path) -> None:
    # The closing model call returned only its finish reason: no output messages on it, and the
    # agent's response held the tool call and its result only.
    found = _trace([CALL, RESULT], None, tmp_path)
    assert "undelivered_output" in _detectors(found)


def test_near_miss_the_reply_with_text_is_delivered(tmp_path: Path) -> None:
    assert _detectors(_trace([CALL, RESULT, REPLY], [{**REPLY, "finish_reason": "stop"}], tmp_path)) == []


def test_near_miss_a_tool_only_turn_then_a_later_reply_with_text(tmp_path: Path) -> None:
    # The agent's first turn ended on its tool result; the next turn of the same run answered.
    later = [
        _span("a0000000000000a2", "", "invoke_agent WeatherAgent", 3300, 5200,
              {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "WeatherAgent",
               "gen_ai.input.messages": [*ASK, CALL, RESULT], "gen_ai.output.messages": [REPLY]}),  # fmt: skip
    ]
    assert "undelivered_output" not in _detectors(_trace([CALL, RESULT], None, tmp_path, later=later))


def test_an_agent_span_that_recorded_no_output_is_undelivered(tmp_path: Path) -> None:
    # response.messages was empty: Agent Framework recorded the input and no output messages.
    found = _trace(None, None, tmp_path)
    row = found.filter(pl.col("detector") == "undelivered_output")
    assert row.get_column("decisive_span_id").to_list() == ["c0000000000000c2"]
    assert "recorded no output message" in row.get_column("explanation").item()


def test_near_miss_a_loop_ended_on_the_tool_result_on_purpose(tmp_path: Path) -> None:
    # A function middleware ended the loop on the tool's result (no model call after it): the
    # result is the answer, by design.
    assert "undelivered_output" not in _detectors(_trace([CALL, RESULT], None, tmp_path, asked_again=False))


def test_near_miss_an_approval_request_is_a_pause_not_an_empty_reply(tmp_path: Path) -> None:
    # A tool that needs approval: the response ends with the framework's approval request
    # (FunctionApprovalRequestContent, written by _to_otel_part's generic branch, content.to_dict).
    approval = {"role": "assistant", "parts": [{"type": "function_approval_request", "id": "call_9",
                                                "function_call": {"name": "cancel_order"}}]}  # fmt: skip
    found = _trace([CALL, RESULT, approval], [{**approval, "finish_reason": "tool_call"}], tmp_path)
    assert "undelivered_output" not in _detectors(found)


def test_an_output_with_parts_in_another_shape_is_read_without_error(tmp_path: Path) -> None:
    # google-adk's Content ({"parts": [...], "role": "model"}) and text that is no JSON at all:
    # not GenAI output messages, so not judged (a typed decode of them would raise).
    adk = {"parts": [{"text": "Yes: 80% chance of rain."}], "role": "model"}
    assert _detectors(_trace(adk, [{**REPLY, "finish_reason": "stop"}], tmp_path)) == []
    assert _detectors(_trace('parts: none (truncated', [{**REPLY, "finish_reason": "stop"}], tmp_path)) == []
