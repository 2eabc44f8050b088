"""Google ADK hands off through one tool, ``transfer_to_agent``, whose ``agent_name`` argument names
the target (google/adk-python src/google/adk/tools/transfer_to_agent_tool.py: ``transfer_to_agent(
agent_name, tool_context)`` sets ``tool_context.actions.transfer_to_agent = agent_name``). ADK's
execute_tool span records the arguments as gcp.vertex.agent.tool_call_args (mapped to ``input``)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans


def _adk(args: str | None, *after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        span("root", 0, 30, kind="agent", agent="coordinator", name="invoke_agent coordinator",
             input="My card was charged twice for order 8812.", output="Billing will look into it."),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gemini-2.0-flash", agent="coordinator"),
        span("t1", 3, 3.2, parent_id="root", kind="tool", name="execute_tool transfer_to_agent",
             tool="transfer_to_agent", agent="coordinator", input=args, output=None),
        *after,
    ]


def _handoff(rows: list[dict[str, Any]]) -> dict[str, Any]:
    table = pl.DataFrame(pl.from_arrow(spans(*rows)))
    return table.filter(pl.col("span_id") == "t1").select("kind", "handoff_to").to_dicts()[0]


def test_the_target_is_the_agent_name_argument() -> None:
    # Firing: the call names billing_agent, which never runs: a handoff to billing_agent that dangles.
    rows = _adk(json.dumps({"agent_name": "billing_agent"}))
    assert _handoff(rows) == {"kind": "handoff", "handoff_to": "billing_agent"}
    assert "dangling_handoff" in detectors(run(*rows))


def test_near_miss_the_named_agent_takes_over() -> None:
    # billing_agent runs right after the transfer: no dangling handoff (on the suffix 'agent' it was one).
    taken = span("a2", 4, 20, parent_id="root", kind="agent", agent="billing_agent", name="invoke_agent billing_agent")
    rows = _adk(json.dumps({"agent_name": "billing_agent"}), taken)
    assert _handoff(rows)["handoff_to"] == "billing_agent"
    assert "dangling_handoff" not in detectors(run(*rows))


def test_near_miss_without_the_argument_the_suffix_still_names_the_target() -> None:
    # Content not captured (or an OpenAI Agents SDK agent named 'agent', whose transfer takes no
    # agent_name): the target stays the tool name's suffix, as for any transfer_to_<agent>.
    assert _handoff(_adk(None)) == {"kind": "handoff", "handoff_to": "agent"}
    assert _handoff(_adk("{}")) == {"kind": "handoff", "handoff_to": "agent"}
    assert _handoff(_adk("not json")) == {"kind": "handoff", "handoff_to": "agent"}
