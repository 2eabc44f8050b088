"""Mastra's spans name the memory thread a run belongs to as metadata: ``mastra.metadata.threadId``.

mastra-ai/mastra ``observability/arize/src/openInferenceOTLPExporter.ts`` (``splitMastraAttributes``:
the ``mastra.metadata.`` keys; ``threadId`` becomes OpenInference's ``session.id``) and
``observability/otel-exporter/src/gen-ai-semantics.ts`` (``span.metadata.threadId`` becomes
``gen_ai.conversation.id``): the thread is the session. A span exported without either exporter's
rewrite keeps only the metadata key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import attr, otlp_span

import forensics

_THREAD = "f70283ee-2932-4015-afa4-6d43715eeb17"


def _sessions(tmp_path: Path, attrs: dict[str, Any]) -> set[str | None]:
    spans = [
        otlp_span("a" * 16, "", "agent.support-agent", 0, 900, {
            "mastra.span.type": "agent_run", "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support-agent",
            "mastra.metadata.resourceId": "user-9", **attrs}),
        otlp_span("b" * 16, "a" * 16, "chat gpt-4o", 10, 800, {
            "mastra.span.type": "model_generation", "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
            "mastra.metadata.resourceId": "user-9", **attrs}),
    ]
    doc = {"resourceSpans": [{"resource": {"attributes": [attr("service.name", "mastra")]},
                              "scopeSpans": [{"scope": {"name": "@mastra/otel", "version": "1.0.0"}, "spans": spans}]}]}
    path = tmp_path / "mastra.otlp.json"
    path.write_text(json.dumps(doc))
    loaded = forensics.load(path)
    assert loaded.spans.num_rows == 2 and loaded.quarantine.num_rows == 0
    return set(pl.DataFrame(pl.from_arrow(loaded.spans)).get_column("session_id").to_list())


def test_the_thread_id_is_the_session(tmp_path: Path) -> None:
    assert _sessions(tmp_path, {"mastra.metadata.threadId": _THREAD}) == {_THREAD}


def test_near_miss_a_conversation_id_wins(tmp_path: Path) -> None:
    both = {"gen_ai.conversation.id": "conv-8f14e45f", "mastra.metadata.threadId": _THREAD}
    assert _sessions(tmp_path, both) == {"conv-8f14e45f"}


def test_near_miss_the_resource_id_is_no_session(tmp_path: Path) -> None:
    assert _sessions(tmp_path, {}) == {None}
