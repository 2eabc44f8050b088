"""autogen-core's execute_tool span: the tool call's arguments fill ``input``.

microsoft/autogen python/packages/autogen-core/src/autogen_core/_telemetry/_genai.py ``trace_tool_span``
(the releases whose signature takes ``tool_arguments``) opens ``execute_tool {tool_name}`` (SpanKind
INTERNAL) with gen_ai.operation.name execute_tool, gen_ai.system autogen, gen_ai.tool.name,
gen_ai.tool.description, gen_ai.tool.call.id and ``span_attributes["autogen.tool.arguments"] =
tool_arguments``: the call's arguments in a key of autogen's own, which no convention mapped, so the
tool span's input was empty. Near miss: a span without the key keeps an empty input, and the GenAI
key, when a span has both, is still the one taken.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sdk_spans import sdk_span

import forensics

_TOOL = {"gen_ai.operation.name": "execute_tool", "gen_ai.system": "autogen", "gen_ai.tool.name": "get_weather",
         "gen_ai.tool.description": "Get the weather for a city.", "gen_ai.tool.call.id": "call_7Qk"}


def _rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, attrs: dict[str, Any]) -> list[dict[str, Any]]:
    path = tmp_path / "spans.jsonl"
    spans = [sdk_span(0, "invoke_agent assistant", {"gen_ai.operation.name": "invoke_agent", "gen_ai.system": "autogen",
                                                    "gen_ai.agent.name": "assistant"}, None),
             sdk_span(1, "execute_tool get_weather", attrs)]
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    tables = []
    for vectorised in ("0", "1"):  # the per-record loader and the vectorised read give the same rows
        monkeypatch.setenv("FORENSICS_VECTORISED", vectorised)
        tables.append(forensics.load(path, format="otel-sdk-json").spans)
    assert tables[0].equals(tables[1])
    return tables[0].to_pylist()


def test_the_arguments_in_autogens_own_key_are_the_tool_calls_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = _rows(tmp_path, monkeypatch, {**_TOOL, "autogen.tool.arguments": '{"city": "Oslo"}'})[1]
    assert (tool["kind"], tool["tool"], tool["input"]) == ("tool", "get_weather", '{"city": "Oslo"}')
    assert "autogen.tool.arguments" not in orjson.loads(tool["attributes"])


def test_without_the_key_the_input_stays_empty_and_the_genai_key_comes_first(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    bare = _rows(tmp_path, monkeypatch, _TOOL)[1]
    assert (bare["kind"], bare["tool"], bare["input"]) == ("tool", "get_weather", None)
    both = _rows(tmp_path, monkeypatch, {**_TOOL, "gen_ai.tool.call.arguments": '{"city": "Bergen"}',
                                         "autogen.tool.arguments": '{"city": "Oslo"}'})[1]
    assert both["input"] == '{"city": "Bergen"}'
    assert orjson.loads(both["attributes"])["autogen.tool.arguments"] == '{"city": "Oslo"}'
