"""Microsoft Agent Framework's handoff tool calls load as handoffs to the agent they route to.

microsoft/agent-framework ``python/packages/core/agent_framework/_workflows/_handoff.py``:
``_create_handoff_tool`` gives the coordinator a synthetic ``handoff_to_<alias>`` tool (the alias through
``sanitize_identifier``), ``_AutoHandoffMiddleware`` answers its call with ``{"handoff_to": target}`` (the
specialist's executor id) and ``_HANDOFF_TOOL_PATTERN`` (``(?:handoff|transfer)[_\\s-]*to[_\\s-]*<target>``)
reads the name back; the coordinator then ``send_message(request, target_id=target)``. The tool's span
is an ordinary ``execute_tool`` span (observability.py ``get_function_span``: gen_ai.tool.name, the
arguments and, with sensitive data on, the result as ``json.dumps(result)``). Before, it loaded as a
tool with no ``handoff_to``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from otlp_trace import attr, otlp_span

import forensics


def _rows(tmp_path: Path, tool: str, result: str | None) -> dict[str, dict[str, Any]]:
    tool_attrs = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool, "gen_ai.tool.call.id": "call_7Hq",
                  "gen_ai.tool.call.arguments": '{"context": "customer wants a refund for order 8812"}'}
    if result is not None:
        tool_attrs["gen_ai.tool.call.result"] = result
    spans = [
        otlp_span("a" * 16, "", "workflow.run", 0, 900, {"workflow.id": "wf-1"}),
        otlp_span("b" * 16, "a" * 16, "invoke_agent triage_agent", 10, 300,
                  {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage_agent"}),
        otlp_span("c" * 16, "b" * 16, f"execute_tool {tool}", 200, 210, tool_attrs),
        otlp_span("d" * 16, "a" * 16, "message.send", 310, 311, {"message.type": "AgentExecutorRequest",
                                                               "message.target_id": "refund_agent"}),
        otlp_span("e" * 16, "a" * 16, "invoke_agent refund_agent", 320, 800,
                  {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "refund_agent"}),
    ]  # fmt: skip
    doc = {"resourceSpans": [{"resource": {"attributes": [attr("service.name", "support")]},
                              "scopeSpans": [{"scope": {"name": "agent_framework", "version": "1.0.0"}, "spans": spans}]}]}
    path = tmp_path / "handoff.otlp.json"
    path.write_text(json.dumps(doc))
    return {r["name"]: r for r in forensics.load(path).spans.to_pylist()}


def test_a_handoff_tool_is_a_handoff_to_the_target_its_result_names(tmp_path: Path) -> None:
    rows = _rows(tmp_path, "handoff_to_refund_agent", '{"handoff_to": "refund_agent"}')
    call = rows["execute_tool handoff_to_refund_agent"]
    assert (call["kind"], call["handoff_to"]) == ("handoff", "refund_agent")


def test_without_its_result_the_alias_in_the_name_is_the_target(tmp_path: Path) -> None:
    # Sensitive data off: no result recorded; the name alone says where it routes.
    call = _rows(tmp_path, "handoff_to_refund_agent", None)["execute_tool handoff_to_refund_agent"]
    assert (call["kind"], call["handoff_to"]) == ("handoff", "refund_agent")


def test_near_miss_a_tool_about_handoffs_stays_a_tool(tmp_path: Path) -> None:
    call = _rows(tmp_path, "create_handoff_note", '{"note_id": "n-31"}')["execute_tool create_handoff_note"]
    assert (call["kind"], call["handoff_to"]) == ("tool", None)
