"""A Haystack model component's model and a ToolInvoker's tool, read from the component's traced I/O.

Haystack tags each component's run span with its class (``haystack.component.type``, deepset-ai/haystack
haystack/core/pipeline/pipeline.py ``_run_component``) and, with content tracing on, its arguments and
return value as JSON text (``haystack.component.input`` / ``.output``, haystack/core/pipeline/base.py;
haystack/tracing/utils.py ``coerce_tag_value``: ``to_dict()`` first), and sets no model or tool key:

* ``OpenAIChatGenerator`` returns ``{"replies": [ChatMessage]}``, each reply's meta holding ``model``
  beside ``usage`` (haystack/components/generators/chat/openai.py ``_convert_chat_completion_to_chat_message``);
  the span got its tokens from that usage (tests/loaders/test_haystack_usage.py) but no model;
* ``ToolInvoker`` runs the tool calls of the messages it is given (haystack/components/tools/tool_invoker.py
  ``run(messages)``), each message's content parts ``{"tool_call": {"tool_name", "arguments", "id"}}``
  (haystack/dataclasses/chat_message.py ``to_dict``; ``_content`` in 2.9-2.11): the span loaded as a tool
  with an empty tool column.

Near misses: a component that is no model (a router passing replies on) names no model; a ToolInvoker
given calls of two tools names no single tool; a model attribute, when there, is kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from sdk_spans import sdk_span

import forensics

_USAGE = {"completion_tokens": 41, "prompt_tokens": 812, "total_tokens": 853}


def _reply(model: str = "gpt-4o-mini-2024-07-18", meta_key: str = "meta") -> dict[str, Any]:
    return {"role": "assistant", meta_key: {"model": model, "index": 0, "finish_reason": "stop", "usage": _USAGE},
            "name": None, "content": [{"text": "It is 20 degrees in Berlin."}]}


def _calls(*names: str, content_key: str = "content") -> dict[str, Any]:
    message = {"role": "assistant", "meta": {}, "name": None,
               content_key: [{"tool_call": {"tool_name": n, "arguments": {"city": "Berlin"}, "id": f"call_{i}"}}
                             for i, n in enumerate(names)]}
    return {"messages": [message], "state": None, "streaming_callback": None}


def _component(i: int, name: str, kind: str, **io: Any) -> dict[str, Any]:
    tags = {"haystack.component.name": name, "haystack.component.type": kind}
    return sdk_span(i, "haystack.component.run", tags | {f"haystack.component.{k}": json.dumps(v) for k, v in io.items()})


def _load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *spans: dict[str, Any]) -> dict[str, dict[str, Any]]:
    path = tmp_path / "spans.jsonl"
    root = sdk_span(0, "haystack.pipeline.run", {}, None)
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in (root, *spans)) + b"\n")
    tables = []
    for vectorised in ("0", "1"):  # the per-record loader and the vectorised read give the same rows
        monkeypatch.setenv("FORENSICS_VECTORISED", vectorised)
        tables.append(forensics.load(path, format="otel-sdk-json").spans)
    assert tables[0].equals(tables[1])
    return {str(row["span_id"]): row for row in tables[0].to_pylist()}


def test_a_chat_generators_reply_names_its_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _load(tmp_path, monkeypatch,
                 _component(1, "llm", "OpenAIChatGenerator", output={"replies": [_reply()]}),
                 _component(2, "old_llm", "OpenAIChatGenerator", output={"replies": [_reply("gpt-4o", "_meta")]}))
    llm, old = rows[f"{2:016x}"], rows[f"{3:016x}"]
    assert (llm["kind"], llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("llm", "gpt-4o-mini-2024-07-18", 812, 41)
    assert (old["kind"], old["model"]) == ("llm", "gpt-4o")


def test_a_component_that_is_no_model_names_none_and_a_model_key_is_kept(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _load(tmp_path, monkeypatch,
                 _component(1, "router", "ConditionalRouter", output={"replies": [_reply()]}),
                 sdk_span(2, "haystack.component.run", {
                     "haystack.component.name": "llm", "haystack.component.type": "OpenAIChatGenerator",
                     "gen_ai.request.model": "gpt-4o", "haystack.component.output": json.dumps({"replies": [_reply()]})}))
    assert rows[f"{2:016x}"]["model"] is None
    assert rows[f"{3:016x}"]["model"] == "gpt-4o"


def test_a_tool_invokers_single_tool_is_its_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _load(tmp_path, monkeypatch,
                 _component(1, "tool_invoker", "ToolInvoker", input=_calls("weather_tool")),
                 _component(2, "tools_again", "ToolInvoker", input=_calls("weather_tool", "weather_tool", content_key="_content")))
    for sid in (f"{2:016x}", f"{3:016x}"):
        assert (rows[sid]["kind"], rows[sid]["tool"]) == ("tool", "weather_tool")


def test_calls_of_two_tools_name_no_single_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _load(tmp_path, monkeypatch,
                 _component(1, "tool_invoker", "ToolInvoker", input=_calls("weather_tool", "search")),
                 _component(2, "bare", "ToolInvoker"))
    assert (rows[f"{2:016x}"]["kind"], rows[f"{2:016x}"]["tool"]) == ("tool", None)
    assert (rows[f"{3:016x}"]["kind"], rows[f"{3:016x}"]["tool"]) == ("tool", None)
