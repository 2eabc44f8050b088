"""Mastra's workflow spans load as chains, not ``unknown``.

mastra-ai/mastra ``observability/otel-exporter/src/gen-ai-semantics.ts`` (``getAttributes``): every span
carries its Mastra type as ``mastra.span.type`` and ``gen_ai.operation.name`` from ``getOperationName``,
which names the model, embedding, tool, agent and (in recent releases) workflow-run operations and
otherwise writes the type lower-cased: a step's operation name is ``workflow_step``, no GenAI operation.
The types are ``packages/core/src/observability/types/tracing.ts`` ``SpanType`` (``WORKFLOW_RUN`` "root
span for workflow processes", ``WORKFLOW_STEP``, ``WORKFLOW_CONDITIONAL``, ``WORKFLOW_PARALLEL``,
``WORKFLOW_LOOP``, ...). Before, the steps (and a workflow run an older exporter named ``workflow_run``)
loaded as ``unknown``, so the workflow's root had no kind that holds work.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from otlp_trace import attr, otlp_span

import forensics


def _kinds(tmp_path: Path, spans: list[dict[str, Any]]) -> dict[str, str]:
    doc = {"resourceSpans": [{"resource": {"attributes": [attr("service.name", "mastra")]},
                              "scopeSpans": [{"scope": {"name": "@mastra/otel", "version": "1.0.0"}, "spans": spans}]}]}
    path = tmp_path / "mastra.otlp.json"
    path.write_text(json.dumps(doc))
    table = forensics.load(path).spans
    return dict(zip(table.column("name").to_pylist(), table.column("kind").to_pylist(), strict=True))


@pytest.mark.parametrize("run_operation", ["invoke_workflow", "workflow_run"])
def test_a_workflow_run_and_its_steps_are_chains(tmp_path: Path, run_operation: str) -> None:
    kinds = _kinds(tmp_path, [
        otlp_span("a" * 16, "", f"{run_operation} customer-onboarding", 0, 900,
                  {"mastra.span.type": "workflow_run", "gen_ai.operation.name": run_operation}),
        otlp_span("b" * 16, "a" * 16, "workflow_step create-workspace", 10, 200,
                  {"mastra.span.type": "workflow_step", "gen_ai.operation.name": "workflow_step"}),
        otlp_span("c" * 16, "a" * 16, "workflow_parallel", 210, 800,
                  {"mastra.span.type": "workflow_parallel", "gen_ai.operation.name": "workflow_parallel"}),
        otlp_span("d" * 16, "c" * 16, "invoke_agent welcome-writer", 220, 790,
                  {"mastra.span.type": "agent_run", "gen_ai.operation.name": "invoke_agent",
                   "gen_ai.agent.name": "welcome-writer"}),
        otlp_span("e" * 16, "d" * 16, "execute_tool send-email", 300, 400,
                  {"mastra.span.type": "tool_call", "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "send-email"}),
    ])  # fmt: skip
    assert kinds == {f"{run_operation} customer-onboarding": "chain", "workflow_step create-workspace": "chain",
                     "workflow_parallel": "chain", "invoke_agent welcome-writer": "agent",
                     "execute_tool send-email": "tool"}


def test_near_miss_other_mastra_types_keep_no_kind(tmp_path: Path) -> None:
    # A generic span (SpanType.GENERIC, a user's own span) says nothing of what it holds: still unknown.
    kinds = _kinds(tmp_path, [otlp_span("a" * 16, "", "generic lookup", 0, 10,
                                        {"mastra.span.type": "generic", "gen_ai.operation.name": "generic"})])
    assert kinds == {"generic lookup": "unknown"}


def test_an_agents_model_steps_are_chains_under_its_generation(tmp_path: Path) -> None:
    """mastra-ai/mastra packages/core/src/observability/types/tracing.ts ``SpanType.MODEL_STEP`` ("Single
    model execution step within a generation"): an agent run's ``model_generation`` (operation ``chat``,
    the usage) holds a ``step: <n>`` span per step of its tool loop, holding the tools the step called
    and its streamed ``model_chunk`` spans; the OTel exporter writes the type lower-cased as the
    operation name (gen-ai-semantics.ts ``getOperationName``). The step is a chain (not a second model
    call), a chunk an event."""
    kinds = _kinds(tmp_path, [
        otlp_span("a" * 16, "", "invoke_agent support", 0, 900,
                  {"mastra.span.type": "agent_run", "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support"}),
        otlp_span("b" * 16, "a" * 16, "chat gpt-4o-mini", 10, 880,
                  {"mastra.span.type": "model_generation", "gen_ai.operation.name": "chat",
                   "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 812}),
        otlp_span("c" * 16, "b" * 16, "step: 0", 20, 500, {"mastra.span.type": "model_step", "gen_ai.operation.name": "model_step"}),
        otlp_span("d" * 16, "c" * 16, "chunk: 'text-delta'", 30, 31,
                  {"mastra.span.type": "model_chunk", "gen_ai.operation.name": "model_chunk"}),
        otlp_span("e" * 16, "c" * 16, "execute_tool lookup-order", 300, 400,
                  {"mastra.span.type": "tool_call", "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup-order"}),
    ])  # fmt: skip
    assert kinds == {"invoke_agent support": "agent", "chat gpt-4o-mini": "llm", "step: 0": "chain",
                     "chunk: 'text-delta'": "event", "execute_tool lookup-order": "tool"}
