"""Vercel AI SDK spans (experimental_telemetry) read through forensics/semconv.py.

The inputs are written from the SDK's own code: generateText records ``ai.generateText`` around the
whole multi-step call, one ``ai.generateText.doGenerate`` per provider call and an ``ai.toolCall`` per
tool it ran (packages/ai/core/generate-text/generate-text.ts, recordSpan with selectTelemetryAttributes;
execute-tool-call.ts), each with ``operation.name`` (the operation id, then the telemetry functionId)
and ``ai.operationId``. v4 writes the tool's arguments in ``ai.toolCall.args``, v5 in
``ai.toolCall.input``; both write the tool's result in ``ai.toolCall.result``. The outer span holds
``ai.prompt``, ``ai.response.text`` and ``ai.usage.*`` (promptTokens/completionTokens in v4,
inputTokens/outputTokens in v5), the provider call ``ai.model.id``, ``ai.prompt.messages`` and
``ai.response.toolCalls`` when the step answered with tool calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics
from forensics.semconv import map_attributes


def _mapped(attrs: dict[str, Any], name: str) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "parent_id": "p", "kind": "unknown"}
    map_attributes(attrs, row)
    return row


def test_a_v4_tool_call_span_is_a_tool_call_with_its_name_arguments_and_result() -> None:
    row = _mapped({"operation.name": "ai.toolCall weather-bot", "ai.operationId": "ai.toolCall",
                   "ai.telemetry.functionId": "weather-bot", "ai.toolCall.name": "getWeather",
                   "ai.toolCall.id": "call_1", "ai.toolCall.args": '{"city":"Oslo"}',
                   "ai.toolCall.result": '{"tempC":-3}'}, "ai.toolCall")
    assert (row["kind"], row["tool"], row["input"], row["output"]) == (
        "tool", "getWeather", '{"city":"Oslo"}', '{"tempC":-3}')


def test_a_v5_tool_call_span_reads_its_input_key() -> None:
    row = _mapped({"operation.name": "ai.toolCall", "ai.operationId": "ai.toolCall", "ai.toolCall.name": "search",
                   "ai.toolCall.id": "call_2", "ai.toolCall.input": '{"q":"flights"}'}, "ai.toolCall")
    assert (row["kind"], row["tool"], row["input"], row.get("output")) == ("tool", "search", '{"q":"flights"}', None)


def test_the_outer_call_holds_the_prompt_the_final_text_and_the_totals() -> None:
    v4 = _mapped({"operation.name": "ai.generateText", "ai.operationId": "ai.generateText",
                  "ai.model.id": "gpt-4o", "ai.model.provider": "openai.chat",
                  "ai.prompt": '{"prompt":"Weather in Oslo?"}', "ai.response.text": "It is -3 C in Oslo.",
                  "ai.usage.promptTokens": 120, "ai.usage.completionTokens": 30}, "ai.generateText")
    assert (v4["kind"], v4["model"], v4["input"], v4["output"], v4["input_tokens"], v4["output_tokens"]) == (
        "chain", "gpt-4o", '{"prompt":"Weather in Oslo?"}', "It is -3 C in Oslo.", 120, 30)
    v5 = _mapped({"operation.name": "ai.streamText", "ai.operationId": "ai.streamText",
                  "ai.usage.inputTokens": 9, "ai.usage.outputTokens": 4}, "ai.streamText")
    assert (v5["kind"], v5["input_tokens"], v5["output_tokens"]) == ("chain", 9, 4)


def test_a_provider_call_is_a_model_call_and_tool_calls_are_its_answer() -> None:
    row = _mapped({"operation.name": "ai.generateText.doGenerate", "ai.operationId": "ai.generateText.doGenerate",
                   "ai.model.id": "gpt-4o", "gen_ai.system": "openai.chat", "gen_ai.request.model": "gpt-4o",
                   "gen_ai.response.model": "gpt-4o-2024-08-06",
                   "ai.prompt.messages": '[{"role":"user","content":[{"type":"text","text":"Weather?"}]}]',
                   "ai.response.toolCalls": '[{"toolCallType":"function","toolCallId":"call_1","toolName":"getWeather"}]',
                   "gen_ai.usage.input_tokens": 50}, "ai.generateText.doGenerate")
    # The convention's own keys rank first: the response's model, the gen_ai token count.
    assert (row["kind"], row["model"], row["input_tokens"]) == ("llm", "gpt-4o-2024-08-06", 50)
    assert row["input"].startswith('[{"role":"user"') and "getWeather" in row["output"]
    assert _mapped({"ai.operationId": "ai.streamText.doStream"}, "ai.streamText.doStream")["kind"] == "llm"


def test_near_miss_other_ai_prefixed_keys_name_no_kind() -> None:
    # An operation id the SDK does not write, and a span that only carries ai.* settings: no kind.
    assert _mapped({"ai.operationId": "ai.somethingElse"}, "ai.somethingElse")["kind"] == "unknown"
    row = _mapped({"ai.settings.maxRetries": 2, "ai.telemetry.functionId": "f"}, "work")
    assert (row["kind"], row.get("tool"), row.get("input")) == ("unknown", None, None)


def _otlp(spans: list[dict[str, Any]]) -> dict[str, Any]:
    def value(v: Any) -> dict[str, Any]:
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "next-app"}}]},
                               "scopeSpans": [{"scope": {"name": "ai"}, "spans": [
                                   {**{k: v for k, v in s.items() if k != "attributes"},
                                    "attributes": [{"key": k, "value": value(v)} for k, v in s["attributes"].items()]}
                                   for s in spans]}]}]}


def test_an_otlp_export_of_a_generate_text_call_loads_its_steps(tmp_path: Path) -> None:
    trace = "0af7651916cd43dd8448eb211c80319c"
    common = {"traceId": trace, "kind": 1, "status": {"code": 1}}
    spans = [
        {**common, "spanId": "00f067aa0ba902b7", "name": "ai.generateText", "startTimeUnixNano": "1700000000000000000",
         "endTimeUnixNano": "1700000004000000000",
         "attributes": {"operation.name": "ai.generateText", "ai.operationId": "ai.generateText",
                        "ai.model.id": "gpt-4o", "ai.prompt": '{"prompt":"Weather in Oslo?"}',
                        "ai.response.text": "It is -3 C in Oslo.", "ai.usage.promptTokens": 170,
                        "ai.usage.completionTokens": 40}},
        {**common, "spanId": "00f067aa0ba902b8", "parentSpanId": "00f067aa0ba902b7", "name": "ai.generateText.doGenerate",
         "startTimeUnixNano": "1700000000100000000", "endTimeUnixNano": "1700000001000000000",
         "attributes": {"operation.name": "ai.generateText.doGenerate", "ai.operationId": "ai.generateText.doGenerate",
                        "ai.model.id": "gpt-4o", "ai.usage.promptTokens": 50, "ai.usage.completionTokens": 20,
                        "ai.response.toolCalls": '[{"toolCallId":"call_1","toolName":"getWeather"}]'}},
        {**common, "spanId": "00f067aa0ba902b9", "parentSpanId": "00f067aa0ba902b8", "name": "ai.toolCall",
         "startTimeUnixNano": "1700000001100000000", "endTimeUnixNano": "1700000002000000000",
         "attributes": {"operation.name": "ai.toolCall", "ai.operationId": "ai.toolCall", "ai.toolCall.name": "getWeather",
                        "ai.toolCall.id": "call_1", "ai.toolCall.args": '{"city":"Oslo"}',
                        "ai.toolCall.result": '{"tempC":-3}'}},
    ]
    path = tmp_path / "vercel.otlp.json"
    path.write_text(json.dumps(_otlp(spans)))
    rows = {r["name"]: r for r in forensics.load(path).spans.to_pylist()}
    assert [rows[n]["kind"] for n in ("ai.generateText", "ai.generateText.doGenerate", "ai.toolCall")] == [
        "chain", "llm", "tool"]
    tool = rows["ai.toolCall"]
    assert (tool["tool"], tool["input"], tool["output"]) == ("getWeather", '{"city":"Oslo"}', '{"tempC":-3}')
    assert rows["ai.generateText"]["output"] == "It is -3 C in Oslo."
    assert (rows["ai.generateText.doGenerate"]["model"], rows["ai.generateText.doGenerate"]["input_tokens"]) == ("gpt-4o", 50)
    # No functionId set: the SDK names no one, and no agent is made up (near miss of the test below).
    assert {r["agent"] for r in rows.values()} == {None}


def test_the_telemetry_function_id_names_the_agent_of_every_span_of_the_call() -> None:
    """assemble-operation-name.ts writes ai.telemetry.functionId (and resource.name, and operation.name's
    tail) on every span of the call beside ai.operationId: the caller's identity for the whole loop."""
    fid = {"ai.telemetry.functionId": "weather-bot", "resource.name": "weather-bot"}
    outer = _mapped({**fid, "operation.name": "ai.streamText weather-bot", "ai.operationId": "ai.streamText"},
                    "ai.streamText")
    step = _mapped({**fid, "operation.name": "ai.streamText.doStream weather-bot",
                    "ai.operationId": "ai.streamText.doStream", "ai.model.id": "gpt-4o"}, "ai.streamText.doStream")
    tool = _mapped({**fid, "operation.name": "ai.toolCall weather-bot", "ai.operationId": "ai.toolCall",
                    "ai.toolCall.name": "getWeather", "ai.toolCall.input": '{"city":"Oslo"}'}, "ai.toolCall")
    assert [(r["kind"], r["agent"]) for r in (outer, step, tool)] == [
        ("chain", "weather-bot"), ("llm", "weather-bot"), ("tool", "weather-bot")]
    # Near miss: the key without the SDK's operation id (someone else's span) names nobody.
    assert _mapped({"ai.telemetry.functionId": "weather-bot"}, "work").get("agent") is None
