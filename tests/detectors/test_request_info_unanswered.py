"""An Agent Framework workflow's request to a person that no response ever answered.

``RequestInfoExecutor`` (microsoft/agent-framework python/packages/core/agent_framework/_workflows/
_executor.py: "When it receives a request message, it saves the request details and emits a
RequestInfoEvent. When a response is provided externally, it emits the response as a message")
loads as kind human (forensics/semconv.py). The workflow then waits: the run ends idle with the
request pending until ``send_responses`` hands an answer in, and RequestInfoExecutor.handle_response
sends it on to the executor that asked, whose work runs next (observability.py
``create_processing_span``: an executor.process span per message). A request with nothing after it
was never answered: an escalation nobody acknowledged (ownership_gap), not a person's turn.
Twin: the same request answered, the refunder's executor at work after it: clean.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

import forensics


def _span(i: int, name: str, at: int, attributes: dict[str, Any], parent: int | None = 0) -> dict[str, Any]:
    # opentelemetry-sdk ReadableSpan.to_json(), one per line (the console / file exporter).
    return {
        "name": name, "context": {"trace_id": "0x" + "ef" * 16, "span_id": f"0x{i + 1:016x}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL", "parent_id": None if parent is None else f"0x{parent + 1:016x}",
        "start_time": f"2025-11-20T00:00:{10 + at:02d}.000000Z",
        "end_time": f"2025-11-20T00:00:{(30 if parent is None else 11 + at):02d}.000000Z",
        "status": {"status_code": "UNSET"}, "attributes": attributes, "events": [], "links": [],
        "resource": {"attributes": {"service.name": "refunds"}, "schema_url": ""},
    }  # fmt: skip


def _workflow(*, answered: bool) -> list[dict[str, Any]]:
    draft = '[{"role": "assistant", "parts": [{"type": "text", "content": "Proposed: refund $420 on order 58213."}]}]'
    spans = [
        _span(0, "workflow.run", 0, {"workflow.id": "wf-1", "workflow.name": "refund_review"}, parent=None),
        _span(1, "executor.process drafter", 1, {"executor.id": "drafter", "executor.type": "AgentExecutor", "message.type": "standard"}),
        _span(2, "invoke_agent drafter", 2, {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "drafter",
                                             "gen_ai.output.messages": draft}, parent=1),
        _span(3, "executor.process request_info", 4, {"executor.id": "request_info", "executor.type": "RequestInfoExecutor",
                                                       "message.type": "standard"}),
    ]  # fmt: skip
    if answered:
        spans += [
            _span(4, "executor.process refunder", 6, {"executor.id": "refunder", "executor.type": "AgentExecutor", "message.type": "standard"}),
            _span(5, "invoke_agent refunder", 7, {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "refunder"}, parent=4),
            _span(6, "execute_tool issue_refund", 8, {
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "issue_refund",
                "gen_ai.tool.call.arguments": '{"order_id": "58213", "amount": 420}', "gen_ai.tool.call.result": '{"refund_id": "re_1"}'},
                parent=5),
        ]  # fmt: skip
    return spans


def _findings(tmp_path: Path, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path = tmp_path / "wf.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    found = forensics.classify(forensics.load(path, format="otel-sdk-json").spans).findings
    return pl.DataFrame(pl.from_arrow(found)).to_dicts()


def test_a_request_no_response_answered_is_an_unacknowledged_escalation(tmp_path: Path) -> None:
    found = {f["detector"]: f for f in _findings(tmp_path, _workflow(answered=False))}
    ask = "0000000000000004"
    assert found["unacknowledged_escalation"]["decisive_span_id"] == ask
    assert {f["failure_class"] for f in found.values()} == {"ownership_gap"}


def test_near_miss_the_request_answered_and_the_refund_issued(tmp_path: Path) -> None:
    assert _findings(tmp_path, _workflow(answered=True)) == []
