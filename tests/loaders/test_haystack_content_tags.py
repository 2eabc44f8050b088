"""Haystack's content tags are the span's input and output.

With content tracing on (``HAYSTACK_CONTENT_TRACING_ENABLED``), Haystack sets
``haystack.component.input`` and ``haystack.component.output`` on each ``haystack.component.run``
span (deepset-ai/haystack ``haystack/core/pipeline/base.py``: ``_COMPONENT_INPUT``,
``_COMPONENT_OUTPUT``, ``span.set_content_tag``), and ``haystack.pipeline.input_data`` /
``output_data`` on the pipeline's span; haystack/tracing/opentelemetry.py writes each tag as an
attribute. They loaded as leftover attributes, so an ``OpenAIChatGenerator`` whose reply came back
with ``finish_reason: "content_filter"`` and no content (its ``_meta``, as
haystack/components/generators/chat/openai.py ``_convert_chat_completion_to_chat_message`` records the
choice's finish_reason) was never read as filtered, and the pipeline posted the empty digest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from sdk_spans import sdk_span

import forensics
from forensics.classify import classify


def _span(i: int, name: str, attributes: dict[str, Any], parent: int | None = 0) -> dict[str, Any]:
    return sdk_span(i, name, attributes, parent, service="digest")


def _pipeline(tmp_path: Path, finish_reason: str, content: list[dict[str, Any]]) -> forensics.LoadResult:
    reply = {"replies": [{"_role": "assistant", "_content": content,
                          "_meta": {"model": "gpt-4o-2024-11-20", "index": 0, "finish_reason": finish_reason}}]}
    spans = [
        _span(0, "haystack.pipeline.run", {"haystack.pipeline.input_data": json.dumps({"retriever": {"query": "FATF update"}}),
                                           "haystack.pipeline.output_data": json.dumps({"notifier": {"status": "sent"}})},
              parent=None),
        _span(1, "haystack.component.run", {"haystack.component.name": "llm", "haystack.component.type": "OpenAIChatGenerator",
                                            "haystack.component.input": json.dumps({"messages": "[2 messages]"}),
                                            "haystack.component.output": json.dumps(reply)}),
        _span(2, "haystack.component.run", {"haystack.component.name": "notifier", "haystack.component.type": "TeamsNotifier",
                                            "haystack.component.output": json.dumps({"status": "sent"})}),
    ]
    path = tmp_path / "spans.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    return forensics.load(path, format="otel-sdk-json")


def test_the_content_tags_load_as_input_and_output(tmp_path: Path) -> None:
    r = _pipeline(tmp_path, "stop", [{"text": "Digest: three updates."}])
    rows = {row["name"] + ":" + str(row["kind"]): row for row in r.spans.to_pylist()}
    llm = rows["haystack.component.run:llm"]
    assert json.loads(llm["output"])["replies"][0]["_meta"]["finish_reason"] == "stop"
    assert json.loads(llm["input"]) == {"messages": "[2 messages]"}
    assert json.loads(rows["haystack.pipeline.run:chain"]["output"]) == {"notifier": {"status": "sent"}}
    assert r.report.balanced


def test_a_filtered_generator_reply_is_a_failed_call_and_a_normal_one_is_not(tmp_path: Path) -> None:
    filtered = classify(_pipeline(tmp_path, "content_filter", []).spans)
    assert "swallowed_error" in filtered.findings.column("detector").to_pylist()
    normal = classify(_pipeline(tmp_path, "stop", [{"text": "Digest: three updates."}]).spans)
    assert normal.findings.num_rows == 0
