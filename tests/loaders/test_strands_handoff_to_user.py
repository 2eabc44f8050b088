"""Strands' ``handoff_to_user`` call is the person's step, not a handoff to an agent named "user".

strands-agents/tools ``src/strands_tools/handoff_to_user.py`` (TOOL_SPEC name ``handoff_to_user``: "Hand
off control from agent to user for confirmation, input, or complete task handoff") shows the agent's
message and returns what the user types, or stops the event loop (``breakout_of_loop``). Strands traces
it as any tool (strands-agents/sdk-python src/strands/telemetry/tracer.py ``start_tool_call_span``:
``execute_tool <name>`` with gen_ai.operation.name, gen_ai.tool.name, gen_ai.tool.call.id). The
``handoff_to_<alias>`` reading (Microsoft Agent Framework's handoff tools) made it a handoff to "user".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from otlp_trace import attr, otlp_span

import forensics


def _rows(tmp_path: Path, tool: str, description: str) -> dict[str, dict[str, Any]]:
    tool_attrs = {"gen_ai.operation.name": "execute_tool", "gen_ai.system": "strands-agents", "gen_ai.tool.name": tool,
                  "gen_ai.tool.call.id": "tooluse_4kQ", "gen_ai.tool.status": "success",
                  "gen_ai.tool.description": description, "tool.parameters": '{"message": "Apply migration 0042 to production?", "breakout_of_loop": false}'}
    spans = [
        otlp_span("a" * 16, "", "invoke_agent ops_agent", 0, 900,
                  {"gen_ai.operation.name": "invoke_agent", "gen_ai.system": "strands-agents", "gen_ai.agent.name": "ops_agent"}),
        otlp_span("b" * 16, "a" * 16, "execute_event_loop_cycle", 10, 800, {"event_loop.cycle_id": "c1"}),
        otlp_span("c" * 16, "b" * 16, f"execute_tool {tool}", 200, 600, tool_attrs),
    ]  # fmt: skip
    doc = {"resourceSpans": [{"resource": {"attributes": [attr("service.name", "ops")]},
                              "scopeSpans": [{"scope": {"name": "strands.telemetry.tracer"}, "spans": spans}]}]}
    path = tmp_path / "strands.otlp.json"
    path.write_text(json.dumps(doc))
    return {r["name"]: r for r in forensics.load(path).spans.to_pylist()}


def test_handoff_to_user_is_the_persons_step(tmp_path: Path) -> None:
    call = _rows(tmp_path, "handoff_to_user", "Hand off control from agent to user")["execute_tool handoff_to_user"]
    assert (call["kind"], call["handoff_to"], call["tool"]) == ("human", None, "handoff_to_user")


def test_near_miss_a_handoff_tool_naming_an_agent_stays_a_handoff(tmp_path: Path) -> None:
    call = _rows(tmp_path, "handoff_to_user_admin", "Route to the user admin agent")["execute_tool handoff_to_user_admin"]
    assert (call["kind"], call["handoff_to"]) == ("handoff", "user_admin")
