"""Haystack's token usage, traced inside a model component's output, fills the token columns.

Haystack traces a component's return value as the ``haystack.component.output`` attribute of its
``haystack.component.run`` span (deepset-ai/haystack haystack/core/pipeline/base.py ``_COMPONENT_OUTPUT``;
haystack/tracing/utils.py ``coerce_tag_value``: ``to_dict()`` then JSON text). Its model components
return the provider's usage there and set no usage attribute of their own:

* ``OpenAIChatGenerator``: each reply's ChatMessage meta holds ``usage`` (haystack/components/generators/
  chat/openai.py ``_convert_chat_completion_to_chat_message``: ``"usage": _serialize_usage(completion.usage)``);
  ``ChatMessage.to_dict`` writes it under ``meta`` (haystack/dataclasses/chat_message.py; 2.9-2.11 ``_meta``);
* ``OpenAIGenerator``: ``{"replies": [...], "meta": [{..., "usage": ...}]}`` (haystack/components/generators/openai.py);
* ``OpenAITextEmbedder``: ``{"embedding": [...], "meta": {"model": ..., "usage": dict(response.usage)}}``
  (haystack/components/embedders/openai_text_embedder.py).

The usage loaded as part of the output text only, so a Haystack run's tokens were null. Every choice
of one completion repeats its usage (n replies, one call), and a client instrumentation under the
generator (opentelemetry-instrumentation-openai-v2 patch.py) records the same call's usage again:
the rollups convention counts it once, on the innermost request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from sdk_spans import sdk_span

import forensics
from forensics.conventions.rollups import without_rollups

_USAGE = {"completion_tokens": 41, "prompt_tokens": 812, "total_tokens": 853,
          "completion_tokens_details": {"reasoning_tokens": 0}, "prompt_tokens_details": {"cached_tokens": 0}}


def _reply(text: str, meta_key: str = "meta") -> dict[str, Any]:
    return {"role": "assistant", meta_key: {"model": "gpt-4o-mini-2024-07-18", "index": 0, "finish_reason": "stop",
                                            "usage": _USAGE}, "name": None, "content": [{"text": text}]}


def _component(i: int, name: str, kind: str, output: dict[str, Any], parent: int = 0, **extra: Any) -> dict[str, Any]:
    return sdk_span(i, "haystack.component.run", {"haystack.component.name": name, "haystack.component.type": kind,
                                                  "haystack.component.output": json.dumps(output), **extra}, parent)


def _load(tmp_path: Path, *spans: dict[str, Any]) -> dict[str, dict[str, Any]]:
    path = tmp_path / "spans.jsonl"
    root = sdk_span(0, "haystack.pipeline.run", {}, None)
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in (root, *spans)) + b"\n")
    result = forensics.load(path, format="otel-sdk-json")
    assert result.report.balanced
    return {str(row["span_id"]): row for row in result.spans.to_pylist()}


def test_a_chat_generators_reply_usage_is_its_tokens_once_for_two_choices(tmp_path: Path) -> None:
    rows = _load(tmp_path, _component(1, "llm", "OpenAIChatGenerator", {"replies": [_reply("A"), _reply("B")]}))
    llm = rows[f"{2:016x}"]
    assert (llm["kind"], llm["input_tokens"], llm["output_tokens"]) == ("llm", 812, 41)


def test_the_2_9_chat_message_meta_key_and_a_plain_generators_meta_list(tmp_path: Path) -> None:
    rows = _load(tmp_path,
                 _component(1, "old", "OpenAIChatGenerator", {"replies": [_reply("A", "_meta")]}),
                 _component(2, "plain", "OpenAIGenerator", {"replies": ["A"], "meta": [{"model": "gpt-4o", "usage": _USAGE}]}))
    assert [(rows[f"{i:016x}"]["input_tokens"], rows[f"{i:016x}"]["output_tokens"]) for i in (2, 3)] == [(812, 41), (812, 41)]


def test_an_embedders_usage_is_its_prompt_tokens_and_it_is_an_embedding_call(tmp_path: Path) -> None:
    usage = {"prompt_tokens": 7, "total_tokens": 7}
    rows = _load(tmp_path, _component(1, "embedder", "OpenAITextEmbedder",
                                      {"embedding": [0.1, 0.2], "meta": {"model": "text-embedding-3-small", "usage": usage}}))
    embedder = rows[f"{2:016x}"]
    assert (embedder["kind"], embedder["input_tokens"], embedder["output_tokens"]) == ("embedding", 7, None)


def test_near_miss_a_span_with_its_own_usage_attributes_keeps_them(tmp_path: Path) -> None:
    rows = _load(tmp_path, _component(1, "llm", "OpenAIChatGenerator", {"replies": [_reply("A")]},
                                      **{"gen_ai.usage.input_tokens": 800, "gen_ai.usage.output_tokens": 40}))
    assert (rows[f"{2:016x}"]["input_tokens"], rows[f"{2:016x}"]["output_tokens"]) == (800, 40)


def test_near_miss_an_agent_components_messages_are_not_its_usage(tmp_path: Path) -> None:
    """The Agent component returns its conversation (``messages``, each assistant message with its call's
    usage: haystack/components/agents/agent.py); those calls are its generator's spans, not the agent's."""
    rows = _load(tmp_path, _component(1, "agent", "Agent", {"messages": [_reply("A")], "last_message": _reply("A")}))
    assert (rows[f"{2:016x}"]["input_tokens"], rows[f"{2:016x}"]["output_tokens"]) == (None, None)


def test_a_client_instrumentation_under_the_generator_is_counted_once(tmp_path: Path) -> None:
    client = sdk_span(2, "chat gpt-4o-mini", {"gen_ai.operation.name": "chat", "gen_ai.system": "openai",
                                              "gen_ai.usage.input_tokens": 812, "gen_ai.usage.output_tokens": 41}, 1)
    rows = _load(tmp_path, _component(1, "llm", "OpenAIChatGenerator", {"replies": [_reply("A")]}), client)
    assert rows[f"{2:016x}"]["input_tokens"] == 812  # loaded on the component span, as emitted
    table = pl.DataFrame(list(rows.values())).with_columns(pl.lit("r").alias("run_id"))
    assert without_rollups(table).select(pl.col("input_tokens").sum(), pl.col("output_tokens").sum()).row(0) == (812, 41)
