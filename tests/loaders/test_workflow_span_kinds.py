"""Haystack's and Microsoft Agent Framework's own spans load with the kind of what they are.

Haystack (deepset-ai/haystack): haystack/core/pipeline/pipeline.py opens ``haystack.pipeline.run``
and, per component, ``tracing.tracer.trace("haystack.component.run", tags={"haystack.component.name":
name, "haystack.component.type": instance.__class__.__name__, ...})``; haystack/tracing/opentelemetry.py
writes each tag as a span attribute; haystack/components/agents/agent.py opens ``haystack.agent.run``,
``haystack.agent.step``, ``haystack.agent.step.llm`` and ``haystack.agent.step.tool``.

Microsoft Agent Framework (microsoft/agent-framework python/packages/core/agent_framework/
observability.py create_processing_span / create_edge_group_processing_span / create_workflow_span;
_workflows/_workflow.py ``workflow.run``; _workflows/_workflow_context.py ``message.send``).

Before, every one of these loaded as kind ``unknown``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

import forensics
from forensics.semconv import infer_kind


def _span(i: int, name: str, attributes: dict[str, Any], parent: int | None = 0, kind: str = "SpanKind.INTERNAL",
          status: str = "UNSET") -> dict[str, Any]:
    return {
        "name": name, "context": {"trace_id": "0x" + "ab" * 16, "span_id": f"0x{i + 1:016x}", "trace_state": "[]"},
        "kind": kind, "parent_id": None if parent is None else f"0x{parent + 1:016x}",
        "start_time": f"2025-11-20T00:00:{10 + i:02d}.000000Z", "end_time": f"2025-11-20T00:00:{11 + i:02d}.000000Z",
        "status": {"status_code": status}, "attributes": attributes, "events": [], "links": [],
        "resource": {"attributes": {"service.name": "svc"}, "schema_url": ""},
    }


def _kinds(tmp_path: Path, spans: list[dict[str, Any]]) -> dict[str, str]:
    path = tmp_path / "spans.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    table = forensics.load(path, format="otel-sdk-json").spans
    return dict(zip(table.column("name").to_pylist(), table.column("kind").to_pylist(), strict=True))


def test_a_haystack_rag_pipeline_and_agent_load_with_their_kinds(tmp_path: Path) -> None:
    # Firing: the pipeline's spans as its OpenTelemetryTracer writes them.
    def component(name: str, type_: str) -> dict[str, Any]:
        return {"haystack.component.name": name, "haystack.component.type": type_,
                "haystack.component.input_types": '{"query": "str"}', "haystack.component.visits": 1}

    spans = [
        _span(0, "haystack.pipeline.run", {"haystack.pipeline.max_runs_per_component": 100}, parent=None),
        _span(1, "haystack.component.run", component("retriever", "InMemoryBM25Retriever")),
        _span(2, "haystack.component.run", component("prompt_builder", "ChatPromptBuilder")),
        _span(3, "haystack.component.run", component("llm", "OpenAIChatGenerator")),
        _span(4, "haystack.component.run", component("tools", "ToolInvoker")),
        _span(5, "haystack.agent.run", {"haystack.agent.max_steps": 100}, parent=0),
        _span(6, "haystack.agent.step", {}, parent=5),
        _span(7, "haystack.agent.step.llm", {}, parent=6),
        _span(8, "haystack.agent.step.tool", {}, parent=6),
    ]
    path = tmp_path / "haystack.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    table = forensics.load(path, format="otel-sdk-json").spans.sort_by("start_time")
    assert table.column("kind").to_pylist() == [
        "chain", "retriever", "chain", "llm", "tool", "agent", "chain", "llm", "tool"]


def test_an_agent_framework_workflow_loads_as_chains_around_its_agent(tmp_path: Path) -> None:
    # Firing: workflow.run holding an executor (the newer name with its id), its message and routing,
    # and the agent the executor runs (its own invoke_agent span).
    spans = [
        _span(0, "workflow.run", {"workflow.id": "wf-1", "workflow.name": "review"}, parent=None),
        _span(1, "executor.process writer", {"executor.id": "writer", "executor.type": "AgentExecutor",
                                             "message.type": "standard"}),
        _span(2, "invoke_agent writer", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "writer"}, parent=1),
        _span(3, "message.send", {"message.type": "AgentExecutorResponse"}, parent=1, kind="SpanKind.PRODUCER"),
        _span(4, "edge_group.process", {"edge_group.type": "SingleEdgeGroup", "edge_group.id": "e1",
                                        "message.source_id": "writer", "message.target_id": "reviewer",
                                        "edge_group.delivered": True, "edge_group.delivery_status": "delivered"}),
    ]
    assert _kinds(tmp_path, spans) == {"workflow.run": "chain", "executor.process writer": "chain",
                                       "invoke_agent writer": "agent", "message.send": "chain",
                                       "edge_group.process": "chain"}


def test_near_misses_keep_the_kind_they_had() -> None:
    # Near-miss: a class name ending "Generator" under another framework's key is nothing we read;
    # a Haystack component that is neither model, retriever nor tool runner is a step (chain), not
    # a model call; a value naming a kind (gen_ai.operation.name) still wins over the span's name.
    assert infer_kind({"component.type": "OpenAIChatGenerator"}, {"name": "run", "parent_id": "p"}) is None
    assert infer_kind({"haystack.component.type": "DocumentJoiner"},
                      {"name": "haystack.component.run", "parent_id": "p"}) == "chain"
    assert infer_kind({"haystack.component.type": ["OpenAIChatGenerator"]},
                      {"name": "haystack.component.run", "parent_id": "p"}) == "chain"
    assert infer_kind({"gen_ai.operation.name": "invoke_agent"}, {"name": "workflow.run", "parent_id": None}) == "agent"
    assert infer_kind({"executor.id": "x"}, {"name": "step", "parent_id": "p"}) is None
