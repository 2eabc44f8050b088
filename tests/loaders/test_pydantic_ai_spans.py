"""pydantic-ai's own spans: 'running tool' and 'agent run', and a deferred tool call approved.

pydantic-ai's instrumentation (InstrumentationSettings version 1/2) names no gen_ai operation on its
tool span: 'running tool' carries gen_ai.tool.name, gen_ai.tool.call.id, tool_arguments and
tool_response (pydantic_ai/_tool_manager.py); 'agent run' carries agent_name, model_name and
final_result. A run that ended with DeferredToolRequests is resumed with DeferredToolResults, whose
approvals hold ToolApproved values of kind 'tool-approved' (pydantic_ai/tools.py,
ai.pydantic.dev/deferred-tools): what the resumed run then does, a person approved.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, raised, run, span

from forensics.semconv import map_attributes


def _mapped(attrs: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": "unknown"}
    map_attributes(attrs, row)
    return row


def test_pydantic_ai_tool_and_agent_spans_are_read() -> None:
    # Firing: the tool span's arguments and result, the agent run's final result.
    tool = _mapped({"gen_ai.tool.name": "page_oncall", "gen_ai.tool.call.id": "call_1",
                    "tool_arguments": '{"service": "api"}', "tool_response": '{"status": "success"}',
                    "logfire.msg": "running tool: page_oncall"})
    assert (tool["kind"], tool["tool"], tool["input"], tool["output"]) == (
        "tool", "page_oncall", '{"service": "api"}', '{"status": "success"}')
    agent = _mapped({"model_name": "gpt-4o", "agent_name": "ops", "gen_ai.agent.name": "ops",
                     "final_result": "Paged on-call."})
    assert (agent["kind"], agent["output"]) == ("agent", "Paged on-call.")


def test_spans_without_those_marks_keep_their_kind() -> None:
    # Near-miss: a 'running tools' group span (a tools list, no call id) and a model span.
    assert _mapped({"tools": ["page_oncall"], "logfire.msg": "running 1 tool"})["kind"] == "unknown"
    assert _mapped({"gen_ai.operation.name": "chat", "model_name": "gpt-4o"})["kind"] == "llm"


def _refund(root_attrs: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        span("root", 0, 5, kind="agent", agent="refund_agent", name="agent run", output="Refund issued (re_1).",
             attributes=json.dumps(root_attrs)),
        span("l1", 0.1, 1, parent_id="root", kind="llm", model="gpt-4.1", agent="refund_agent", output=""),
        span("t1", 1.1, 2, parent_id="root", kind="tool", tool="issue_refund", agent="refund_agent",
             input='{"order_id": "B-1", "amount": 12.0}', output='{"refund_id": "re_1", "status": "succeeded"}'),
        span("l2", 2.1, 3, parent_id="root", kind="llm", model="gpt-4.1", agent="refund_agent",
             output="Refund issued (re_1)."),
    ]


def test_a_run_resumed_with_an_approval_ran_its_refund_approved() -> None:
    approved = {"deferred_tool_results": json.dumps({"approvals": {"call_1": {"kind": "tool-approved"}}})}
    assert "unguarded_irreversible" not in detectors(run(*_refund(approved)))


def test_a_denial_or_no_approval_leaves_the_refund_unguarded() -> None:
    denied = {"deferred_tool_results": json.dumps({"approvals": {"call_1": {"kind": "tool-denied"}}})}
    for attrs in (denied, {}):
        # refund_* by its name alone is a hint (irreversible_evidence): shown, not taken as approved.
        assert "unguarded_irreversible" in raised(run(*_refund(attrs))), attrs
