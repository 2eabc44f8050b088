"""An escalation whose own result says someone took it was acknowledged.

* A human-in-the-loop tool that blocks until a person answers (any-agent: a tool the agent calls
  before an irreversible action) returns the decision: {"approved": true, "approver": ...}. The
  person answered (no unacknowledged escalation) and approved what follows (no unguarded refund).
  Near miss: the same request returning {"status": "pending"} was answered by nobody.
* An escalation tool that opens a ticket and returns it already acknowledged by an assignee
  ("status": "acknowledged", as PagerDuty incidents report it) was taken; one returning the ticket
  "triggered" was not.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import forensics

T0 = 1_760_000_000_000_000_000  # ns


def _aa_span(i: int, name: str, t: float, attrs: dict[str, Any], kind: str = "INTERNAL") -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "parent": {"trace_id": 77, "span_id": 1, "is_remote": False, "is_valid": True},
        "start_time": T0 + int(t * 1e9),
        "end_time": T0 + int((t + 1) * 1e9),
        "status": {"status_code": "ok", "description": None},
        "context": {"trace_id": 77, "span_id": 100 + i, "is_remote": False, "is_valid": True},
        "attributes": attrs,
        "links": [],
        "events": [],
        "resource": {"attributes": {}, "schema_url": ""},
    }


def _tool(i: int, t: float, tool: str, args: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
    return _aa_span(i, f"execute_tool {tool}", t, {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
        "gen_ai.tool.args": json.dumps(args), "gen_ai.output": json.dumps(output), "gen_ai.output.type": "json",
    })


def _llm(i: int, t: float, out: str) -> dict[str, Any]:
    return _aa_span(i, "call_llm gpt-4o", t, {
        "gen_ai.operation.name": "call_llm", "gen_ai.request.model": "gpt-4o", "gen_ai.output": out,
        "gen_ai.output.type": "text", "gen_ai.usage.input_tokens": 500, "gen_ai.usage.output_tokens": 20,
    })


def _refund_run(tmp_path: Path, approval_result: dict[str, Any]) -> list[str]:
    answer = "Refunded $80 on order A-1."
    spans = [
        _llm(1, 0, "[]"),
        _tool(2, 2, "request_human_approval", {"action": "refund", "order_id": "A-1", "amount": 80.0}, approval_result),
        _llm(3, 200, "[]"),
        _tool(4, 202, "issue_refund", {"order_id": "A-1", "amount": 80.0}, {"refund_id": "re_9", "status": "succeeded"}),
        _llm(5, 204, answer),
    ]
    root = _aa_span(0, "invoke_agent [refunds]", 0, {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "refunds"})
    root["parent"] = None
    root["context"]["span_id"] = 1
    root["end_time"] = T0 + int(206 * 1e9)
    root["status"] = {"status_code": "unset", "description": None}
    path = tmp_path / "refund.json"
    path.write_text(json.dumps({"spans": [*spans, root], "final_output": answer}))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_an_approval_request_answered_in_its_result_was_acknowledged_and_reviewed(tmp_path: Path) -> None:
    found = _refund_run(tmp_path, {"approved": True, "approver": "m.lee", "comment": "ok"})
    assert "unacknowledged_escalation" not in found
    assert "unguarded_irreversible" not in found


def test_an_approval_request_still_pending_was_answered_by_nobody(tmp_path: Path) -> None:
    found = _refund_run(tmp_path, {"status": "pending", "request_id": "apr_3"})
    assert "unacknowledged_escalation" in found
    assert "unguarded_irreversible" in found


def _b64(n: int, size: int) -> str:
    return base64.b64encode(n.to_bytes(size, "big")).decode()


def _mlflow_run(tmp_path: Path, ticket: dict[str, Any]) -> list[str]:
    def span(i: int, name: str, kind: str, t: float, inputs: Any, outputs: Any, parent: int | None = 1) -> dict[str, Any]:
        return {
            "trace_id": _b64(0xABC, 16), "span_id": _b64(i, 8),
            "parent_span_id": _b64(parent, 8) if parent else None, "name": name,
            "start_time_unix_nano": T0 + int(t * 1e9), "end_time_unix_nano": T0 + int((t + 1) * 1e9),
            "status": {"code": "STATUS_CODE_OK", "message": ""}, "events": [],
            "attributes": {"mlflow.spanType": json.dumps(kind), "mlflow.spanInputs": json.dumps(inputs),
                           "mlflow.spanOutputs": json.dumps(outputs)},
        }

    reply = {"role": "assistant", "content": "Escalated to billing, ticket BIL-1."}
    spans = [
        span(1, "LangGraph", "CHAIN", 0, {"messages": []}, {"messages": [reply]}, parent=None),
        span(2, "ChatOpenAI", "CHAT_MODEL", 1, {}, {"choices": [{"message": {"role": "assistant", "content": None}}]}),
        span(3, "escalate_to_billing", "TOOL", 3, {"invoice_id": "INV-1", "priority": "high"}, ticket),
        span(4, "ChatOpenAI", "CHAT_MODEL", 5, {}, {"choices": [{"message": reply}]}),
    ]
    spans[0]["end_time_unix_nano"] = T0 + int(7 * 1e9)
    trace = {"info": {"trace_id": "tr-" + format(0xABC, "032x"), "state": "OK"}, "data": {"spans": spans}}
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(trace))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_an_escalation_returning_its_ticket_acknowledged_was_taken(tmp_path: Path) -> None:
    found = _mlflow_run(tmp_path, {"ticket": "BIL-1", "status": "acknowledged", "assignee": "priya"})
    assert "unacknowledged_escalation" not in found


def test_an_escalation_returning_its_ticket_triggered_was_not(tmp_path: Path) -> None:
    found = _mlflow_run(tmp_path, {"ticket": "BIL-1", "status": "triggered", "assignee": None})
    assert "unacknowledged_escalation" in found
