"""Spring AI's tool calls load as tools named by their definition.

spring-projects/spring-ai ``spring-ai-model/src/main/java/org/springframework/ai/tool/observation/``:
``DefaultToolCallingObservationConvention.java`` names the observation ``tool_call <name>``
(``getContextualName``: ``SpringAiKind.TOOL_CALL.value()`` and the tool definition's name) and writes the
low-cardinality keys ``gen_ai.operation.name`` (``AI_OPERATION_TYPE``), ``gen_ai.system``, ``spring.ai.kind``
= ``tool_call`` and ``spring.ai.tool.definition.name``; ``ToolCallingObservationContext.java`` sets the
operation type to ``AiOperationType.FRAMEWORK`` ("framework"), the one its ChatClient observation
(``ChatClientObservationContext``, spring.ai.kind ``chat_client``) also carries. With the content filter on
(``ToolCallingContentObservationFilter``) the call's arguments and result are ``spring.ai.tool.call.arguments``
and ``spring.ai.tool.call.result`` (``ToolCallingObservationDocumentation.java``).

Before, the operation name alone made every tool call a ``chain`` with no tool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

import forensics


def _span(i: int, name: str, attributes: dict[str, Any], parent: int | None = 0) -> dict[str, Any]:
    return {
        "name": name, "context": {"trace_id": "0x" + "5a" * 16, "span_id": f"0x{i + 1:016x}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL", "parent_id": None if parent is None else f"0x{parent + 1:016x}",
        "start_time": f"2025-11-20T00:00:{10 + i:02d}.000000Z", "end_time": f"2025-11-20T00:00:{11 + i:02d}.000000Z",
        "status": {"status_code": "UNSET"}, "attributes": attributes, "events": [], "links": [],
        "resource": {"attributes": {"service.name": "weather-assistant"}, "schema_url": ""},
    }


_FRAMEWORK = {"gen_ai.operation.name": "framework", "gen_ai.system": "spring_ai"}

_SPANS = [
    _span(0, "spring_ai chat_client", {**_FRAMEWORK, "spring.ai.kind": "chat_client",
                                         "spring.ai.chat.client.stream": False}, parent=None),
    _span(1, "chat gpt-4o", {"gen_ai.operation.name": "chat", "gen_ai.system": "openai",
                             "gen_ai.request.model": "gpt-4o"}),
    _span(2, "tool_call getCurrentWeather", {
        **_FRAMEWORK, "spring.ai.kind": "tool_call", "spring.ai.tool.definition.name": "getCurrentWeather",
        "spring.ai.tool.definition.description": "Get the weather in location",
        "spring.ai.tool.call.arguments": '{"location":"Amsterdam"}', "spring.ai.tool.call.result": '{"temp":11.0}'}),
    _span(3, "advisor SimpleLoggerAdvisor", {**_FRAMEWORK, "spring.ai.kind": "advisor",
                                             "spring.ai.advisor.name": "SimpleLoggerAdvisor"}),
]


@pytest.mark.parametrize("vectorised", ["0", "1"])
def test_a_tool_call_observation_is_a_tool_named_by_its_definition(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vectorised: str) -> None:
    monkeypatch.setenv("FORENSICS_VECTORISED", vectorised)
    path = tmp_path / "spring.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in _SPANS) + b"\n")
    rows = {r["name"]: r for r in forensics.load(path, format="otel-sdk-json").spans.to_pylist()}
    call = rows["tool_call getCurrentWeather"]
    assert (call["kind"], call["tool"]) == ("tool", "getCurrentWeather")
    assert (call["input"], call["output"]) == ('{"location":"Amsterdam"}', '{"temp":11.0}')
    # Near miss: the ChatClient and advisor observations carry the same operation name: still chains.
    assert rows["spring_ai chat_client"]["kind"] == "chain" and rows["spring_ai chat_client"]["tool"] is None
    assert rows["advisor SimpleLoggerAdvisor"]["kind"] == "chain"
    assert rows["chat gpt-4o"]["kind"] == "llm"
