"""OpenLLMetry's indexed prompt and completion keys become a model call's input and output
(forensics/semconv_messages.py).

The attribute sets below are what the emitting code writes, read from traceloop/openllmetry:
packages/opentelemetry-instrumentation-openai/opentelemetry/instrumentation/openai/shared/chat_wrappers.py
(``_set_prompts``: ``gen_ai.prompt.<i>.role`` / ``.content`` / ``.tool_call_id`` / ``.tool_calls.<j>.id|name|arguments``;
``_set_completions``: ``gen_ai.completion.<choice index>.finish_reason`` / ``.role`` / ``.content`` or ``.refusal`` /
``.tool_calls.<j>.*``; ``_set_span_attribute`` skips None and ""),
packages/opentelemetry-instrumentation-langchain/.../span_utils.py (``set_chat_response``: ``json.dumps`` of
the message content, ``""`` for a tool-calling AIMessage, then ``_set_chat_tool_calls``) and
packages/opentelemetry-instrumentation-anthropic/.../span_utils.py (``_set_span_completions``: an extended
thinking block is ``gen_ai.completion.0`` with role ``thinking``, the answer ``gen_ai.completion.1``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

import forensics
from forensics.semconv import map_attributes

SYSTEM = "You are Tier-1 support. Use tools to read tickets and act."


def _mapped(attrs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    row: dict[str, Any] = {"name": "openai.chat", "parent_id": "p", "kind": "unknown"}
    rest = map_attributes(attrs, row)
    return row, rest


#: An OpenAI chat turn that only calls a tool, after a tool result (chat_wrappers.py: no content key
#: on the choice, the request in tool_calls.0; the prompt's assistant message carries its earlier
#: request, the tool message its tool_call_id).
TOOL_TURN: dict[str, Any] = {
    "llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
    "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": SYSTEM,
    "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "Work ticket ZD-1",
    "gen_ai.prompt.2.role": "assistant", "gen_ai.prompt.2.tool_calls.0.id": "call_1",
    "gen_ai.prompt.2.tool_calls.0.name": "get_ticket", "gen_ai.prompt.2.tool_calls.0.arguments": '{"id": "ZD-1"}',
    "gen_ai.prompt.3.role": "tool", "gen_ai.prompt.3.content": '{"subject": "refund"}', "gen_ai.prompt.3.tool_call_id": "call_1",
    "gen_ai.completion.0.finish_reason": "tool_calls", "gen_ai.completion.0.role": "assistant",
    "gen_ai.completion.0.tool_calls.0.id": "call_2", "gen_ai.completion.0.tool_calls.0.name": "issue_refund",
    "gen_ai.completion.0.tool_calls.0.arguments": '{"order": 7}',
}


def test_a_tool_calling_turn_has_its_conversation_as_input_and_its_request_as_output() -> None:
    row, rest = _mapped(TOOL_TURN)
    assert row["kind"] == "llm"
    assert json.loads(row["input"]) == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Work ticket ZD-1"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                              "function": {"name": "get_ticket", "arguments": '{"id": "ZD-1"}'}}]},
        {"role": "tool", "content": '{"subject": "refund"}', "tool_call_id": "call_1"},
    ]
    assert json.loads(row["output"]) == {"role": "assistant", "tool_calls": [
        {"id": "call_2", "type": "function", "function": {"name": "issue_refund", "arguments": '{"order": 7}'}}]}
    # Nothing is taken from the attributes: the indexed keys stay as written.
    assert {k: v for k, v in rest.items() if k.startswith("gen_ai.prompt.") or k.startswith("gen_ai.completion.")} == {
        k: v for k, v in TOOL_TURN.items() if k.startswith("gen_ai.prompt.") or k.startswith("gen_ai.completion.")}


def test_messages_are_read_in_index_order_not_key_order() -> None:
    attrs = {"gen_ai.prompt.10.role": "user", "gen_ai.prompt.10.content": "eleventh",
             **{f"gen_ai.prompt.{i}.role": "user" for i in range(10)},
             **{f"gen_ai.prompt.{i}.content": f"m{i}" for i in range(10)}}
    row, _ = _mapped(attrs)
    assert [m["content"] for m in json.loads(row["input"])] == [*(f"m{i}" for i in range(10)), "eleventh"]


def test_an_answer_with_content_is_its_output_as_before() -> None:
    """The near miss: a turn that answers in words keeps that text as its output (what
    ``gen_ai.completion.0.content`` gave before), and its tool calls, if any, stay in the attributes."""
    attrs = {"llm.request.type": "chat", "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Weather in Oslo?",
             "gen_ai.completion.0.finish_reason": "stop", "gen_ai.completion.0.role": "assistant",
             "gen_ai.completion.0.content": "It is -3 C."}
    row, rest = _mapped(attrs)
    assert row["output"] == "It is -3 C."
    assert json.loads(row["input"]) == [{"role": "user", "content": "Weather in Oslo?"}]
    assert rest["gen_ai.completion.0.content"] == "It is -3 C."


def test_langchains_dumped_empty_content_is_no_content() -> None:
    # span_utils.set_chat_response: json.dumps("") of a tool-calling AIMessage's content, then its tool calls.
    attrs = {"llm.request.type": "chat", "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": '""',
             "gen_ai.completion.0.finish_reason": "tool_calls", "gen_ai.completion.0.tool_calls.0.id": "call_9",
             "gen_ai.completion.0.tool_calls.0.name": "send_email",
             "gen_ai.completion.0.tool_calls.0.arguments": '{"to": "a@b.c"}'}
    row, _ = _mapped(attrs)
    assert json.loads(row["output"])["tool_calls"][0]["function"]["name"] == "send_email"
    # The same empty content with no tool call says nothing: no output, not the two quote characters.
    row, _ = _mapped({k: v for k, v in attrs.items() if ".tool_calls." not in k})
    assert row.get("output") is None


def test_anthropic_thinking_is_not_the_answer() -> None:
    attrs = {"gen_ai.system": "Anthropic", "llm.request.type": "completion",
             "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Is 97 prime?",
             "gen_ai.completion.0.finish_reason": "end_turn", "gen_ai.completion.0.role": "thinking",
             "gen_ai.completion.0.content": "Check divisors up to 9...", "gen_ai.completion.1.role": "assistant",
             "gen_ai.completion.1.content": "Yes, 97 is prime."}
    row, _ = _mapped(attrs)
    assert row["output"] == "Yes, 97 is prime."


def test_a_refusal_is_what_the_model_said() -> None:
    attrs = {"gen_ai.completion.0.finish_reason": "stop", "gen_ai.completion.0.role": "assistant",
             "gen_ai.completion.0.refusal": "I can't help with that."}
    assert _mapped(attrs)[0]["output"] == "I can't help with that."


def test_whole_content_keys_win_over_the_indexed_ones() -> None:
    """Near miss: a span that also carries its content whole (OpenInference input.value/output.value, the
    GenAI conventions' messages) keeps it; the indexed keys fill only an empty column."""
    attrs = {**TOOL_TURN, "input.value": "the whole prompt", "output.value": "the whole response"}
    row, _ = _mapped(attrs)
    assert (row["input"], row["output"]) == ("the whole prompt", "the whole response")


def test_spans_without_indexed_keys_are_untouched() -> None:
    row, rest = _mapped({"llm.request.type": "chat", "gen_ai.prompt": "hi", "gen_ai.completion": "hello",
                         "gen_ai.completion.chunk": "x"})
    assert (row["input"], row["output"], rest) == ("hi", "hello", {"llm.request.type": "chat", "gen_ai.completion.chunk": "x"})


def _otlp_line(attrs: dict[str, Any]) -> bytes:
    def value(v: Any) -> dict[str, Any]:
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}
    span = {"traceId": "1a" * 16, "spanId": "39" * 8, "parentSpanId": "95" * 8, "name": "ChatOpenAI.chat", "kind": 3,
            "startTimeUnixNano": "1795068151920000000", "endTimeUnixNano": "1795068153780000000",
            "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()], "status": {}}
    return orjson.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [
        {"scope": {"name": "opentelemetry.instrumentation.langchain", "version": "0.47.3"}, "spans": [span]}]}]})


@pytest.mark.parametrize("vectorised", ["0", "1"])
def test_an_otlp_export_of_the_turn_loads_the_same_on_both_paths(
        vectorised: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "turn.otlp.jsonl"
    path.write_bytes(_otlp_line(TOOL_TURN) + b"\n")
    monkeypatch.setenv("FORENSICS_VECTORISED_OTLP", vectorised)
    row = forensics.load(path).spans.to_pylist()[0]
    assert json.loads(row["output"])["tool_calls"][0]["function"]["name"] == "issue_refund"
    assert json.loads(row["input"])[3] == {"role": "tool", "content": '{"subject": "refund"}', "tool_call_id": "call_1"}
    assert json.loads(row["attributes"])["gen_ai.completion.0.tool_calls.0.name"] == "issue_refund"
