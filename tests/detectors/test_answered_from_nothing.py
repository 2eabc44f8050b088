"""A BeeAI agent whose tool calls all came back empty, answering with figures none of them gave.

i-am-bee/beeai-framework ``tools/types.py``: a tool returns a ``ToolOutput``; ``JSONToolOutput``'s
``get_text_content`` is its result as JSON text (``[]`` for an empty list) and ``is_empty`` is true
for an empty result. openinference-instrumentation-beeai ``processors/tool.py`` (``ToolProcessor``)
writes the TOOL span's ``output.value`` from ``get_text_content()`` and ``metadata.output_class`` /
``metadata.is_empty``; the agent span (``RequirementAgent``) carries the request and the answer as
``input.value`` / ``output.value``. Spans as the OpenTelemetry SDK's console/file exporter writes
them (``ReadableSpan.to_json``), loaded as ``otel-sdk-json``.

An empty tool result is no failure by itself (an empty ticket list answered "you have no open
tickets" is the answer). The answer that states figures no call returned and the user never gave
went on as if the lookup had returned them: error_as_data (TAXONOMY: "an empty result where data
was expected"), on the first empty call. The honest answer ("I couldn't find a policy on this"), an
answer of absence, an answer whose figures the user gave, and a run where a call returned something
stay clean.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from sdk_spans import sdk_span

import forensics

REQUEST = "I'm relocating from Lyon to Madrid in March. How much parental leave do I get in Spain?"


def _span(i: int, name: str, attributes: dict[str, Any], parent: int | None = 0) -> dict[str, Any]:
    return sdk_span(i, name, attributes, parent, trace="be" * 16, service="people-assistant", day="2026-02-03T09:12")


def _tool(i: int, query: str, result: str) -> dict[str, Any]:
    return _span(i, "people_policy_lookup", {
        "openinference.span.kind": "TOOL", "tool.name": "people_policy_lookup",
        "input.value": json.dumps({"query": query, "country": "ES"}), "input.mime_type": "application/json",
        "output.value": result, "output.mime_type": "text/plain",
        "metadata.output_class": "JSONToolOutput", "metadata.is_empty": result.strip() in ("[]", "{}"),
    })  # fmt: skip


def _llm(i: int, content: str) -> dict[str, Any]:
    return _span(i, "ChatModel", {
        "openinference.span.kind": "LLM", "llm.model_name": "granite-3-3-8b-instruct",
        "llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": content,
        "output.value": content,
    })  # fmt: skip


def _findings(tmp_path: Path, answer: str, second: str = "[]", request: str = REQUEST) -> list[dict[str, Any]]:
    spans = [
        _span(0, "RequirementAgent", {"openinference.span.kind": "AGENT", "input.value": request,
                                      "output.value": answer}, parent=None),
        _llm(1, ""),
        _tool(2, "parental leave entitlement Spain", "[]"),
        _llm(3, ""),
        _tool(4, "parental leave relocation France Spain", second),
        _llm(5, answer),
    ]  # fmt: skip
    path = tmp_path / "assistant.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    found = forensics.classify(forensics.load(path, format="otel-sdk-json").spans).findings
    return [f for f in pl.DataFrame(pl.from_arrow(found)).to_dicts() if f["detector"] == "error_as_data"]


def test_figures_no_empty_lookup_gave_are_an_empty_result_read_as_data(tmp_path: Path) -> None:
    answer = "In Spain you get 19 weeks of paid parental leave, the first 6 taken right after the birth (policy PL-ES-4)."
    (hit,) = _findings(tmp_path, answer)
    assert hit["decisive_span_id"] == "0000000000000003"  # the first lookup that came back empty
    assert 'returned "[]"' in hit["explanation"]


@pytest.mark.parametrize(
    ("answer", "second", "request_"),
    [
        # The honest answer: it says nothing was found.
        ("I couldn't find a parental leave policy for Spain in the policy library; please ask People Ops.", "[]", REQUEST),
        # An answer of absence passes the empty result on, in its own words.
        ("There is no relocation rule for parental leave, so the 2026 Spanish entitlement of 19 weeks applies.", "[]", REQUEST),
        # The figures are the user's own.
        ("With 19 weeks from March and 6 after the birth, you are covered.", "[]",
         "Spain gives 19 weeks, 6 of them after the birth. Does that start from March for me?"),
        # A lookup returned the passage the figures stand on.
        ("In Spain you get 19 weeks of paid parental leave, the first 6 taken right after the birth (policy PL-ES-4).",
         '[{"id": "PL-ES-4", "text": "19 weeks, 6 of them immediately after the birth"}]', REQUEST),
    ],
)
def test_near_miss_told_empty_or_figures_grounded(tmp_path: Path, answer: str, second: str, request_: str) -> None:
    assert _findings(tmp_path, answer, second, request_) == []
