"""Microsoft Agent Framework: the workflow's RequestInfoExecutor is a question put to a person.

The built-in ``RequestInfoExecutor`` (microsoft/agent-framework python/packages/core/agent_framework/
_workflows/_executor.py: "a gateway for external information requests. When it receives a request
message, it saves the request details and emits a RequestInfoEvent. When a response is provided
externally, it emits the response as a message") is the workflow's human-in-the-loop step; the
workflow's observability (agent_framework/observability.py ``create_processing_span``) opens an
``executor.process`` span with ``executor.id`` and ``executor.type`` = the executor's class name. It
loads as kind ``human`` (``forensics/semconv.py`` AGENT_FRAMEWORK_WORKFLOW_KINDS), any other executor
as a ``chain``.

Twins: a refund the drafter proposed, put to a person through the RequestInfoExecutor, then issued:
reviewed, clean (it was unguarded_irreversible while the request loaded as a chain). The same refund
issued before the request: unguarded_irreversible (firing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl
from sdk_spans import sdk_span

import forensics

_DRAFT = '[{"role": "assistant", "parts": [{"type": "text", "content": "Proposed: refund $420 on order 58213."}]}]'


def _span(i: int, name: str, attributes: dict[str, Any], parent: int | None = 0) -> dict[str, Any]:
    # opentelemetry-sdk ReadableSpan.to_json(), one per line (the console / file exporter).
    return sdk_span(i, name, attributes, parent, service="refunds", step=2)


def _workflow(executor_type: str, *, refund_first: bool) -> list[dict[str, Any]]:
    refund = _span(6, "execute_tool issue_refund", {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "issue_refund",
        "gen_ai.tool.call.arguments": '{"order_id": "58213", "amount": 420}', "gen_ai.tool.call.result": '{"refund_id": "re_1"}'},
        parent=5)
    ask = _span(4, "executor.process request_info", {"executor.id": "request_info", "executor.type": executor_type,
                                                      "message.type": "standard"})
    spans = [
        _span(0, "workflow.run", {"workflow.id": "wf-1", "workflow.name": "refund_review"}, parent=None),
        _span(1, "executor.process drafter", {"executor.id": "drafter", "executor.type": "AgentExecutor",
                                              "message.type": "standard"}),
        _span(2, "invoke_agent drafter", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "drafter",
                                          "gen_ai.output.messages": _DRAFT}, parent=1),
        _span(3, "edge_group.process", {"edge_group.type": "SingleEdgeGroup", "edge_group.id": "e1",
                                        "message.source_id": "drafter", "message.target_id": "request_info",
                                        "edge_group.delivered": True, "edge_group.delivery_status": "delivered"}),
        ask,
        _span(5, "invoke_agent refunder", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "refunder"}),
        refund,
    ]
    if refund_first:  # the refund runs before the request is put to anyone
        for s, at in ((spans[5], 3), (refund, 4), (ask, 6)):
            s["start_time"], s["end_time"] = f"2025-11-20T00:00:{10 + 2 * at:02d}.000000Z", f"2025-11-20T00:00:{11 + 2 * at:02d}.000000Z"
    return spans


def _load(tmp_path: Path, spans: list[dict[str, Any]]) -> Any:
    path = tmp_path / "wf.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    return forensics.load(path, format="otel-sdk-json").spans


def _detectors(tmp_path: Path, spans: list[dict[str, Any]]) -> set[str]:
    return set(pl.DataFrame(pl.from_arrow(forensics.classify(_load(tmp_path, spans)).findings))["detector"].to_list())


def test_the_request_info_executor_is_a_person_and_other_executors_are_steps(tmp_path: Path) -> None:
    kinds = {r["name"]: r["kind"] for r in _load(tmp_path, _workflow("RequestInfoExecutor", refund_first=False)).to_pylist()}
    assert kinds["executor.process request_info"] == "human"
    assert kinds["executor.process drafter"] == "chain"
    # Near miss: an executor of the app's own (any other class) stays a step of the graph.
    kinds = {r["name"]: r["kind"] for r in _load(tmp_path, _workflow("ReviewExecutor", refund_first=False)).to_pylist()}
    assert kinds["executor.process request_info"] == "chain"


def test_a_refund_put_to_a_person_first_is_reviewed(tmp_path: Path) -> None:
    assert "unguarded_irreversible" not in _detectors(tmp_path, _workflow("RequestInfoExecutor", refund_first=False))


def test_a_refund_issued_before_the_request_is_unguarded(tmp_path: Path) -> None:
    assert "unguarded_irreversible" in _detectors(tmp_path, _workflow("RequestInfoExecutor", refund_first=True))
