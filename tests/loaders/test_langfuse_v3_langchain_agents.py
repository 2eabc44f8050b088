"""langfuse: the v3 LangChain CallbackHandler (langfuse/langchain/CallbackHandler.py) sends every run
over OpenTelemetry and types a chain AGENT when "agent" is in its name or class path
(_get_observation_type_from_serialized), so LangGraph's prebuilt ReAct model node "agent"
(create_react_agent, langgraph/prebuilt/chat_agent_executor.py) is an AGENT observation named "agent";
the run's LangChain metadata (langgraph_node, lc_agent_name) goes to start_observation and an export
shows it among the span's attributes. Inputs written here from those shapes: a langgraph-supervisor
graph whose supervisor (a CHAIN: no "agent" in its name) hands off to billing_agent (an AGENT)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

TRACE = "64c8901b17a1a68ad4cd3d33f2e41ef5"


def _obs(oid: str, parent: str | None, name: str, type_: str, node: str | None, start: int, **extra: Any) -> dict[str, Any]:
    attributes = {"langgraph_step": 1, "langgraph_node": node} if node else {}
    return {"id": oid, "traceId": TRACE, "parentObservationId": parent, "type": type_, "name": name,
            "startTime": f"2025-10-08T09:00:{start:02d}.000Z", "endTime": f"2025-10-08T09:00:{start:02d}.500Z",
            "level": extra.pop("level", "DEFAULT"), "statusMessage": extra.pop("statusMessage", None),
            "metadata": json.dumps({"attributes": attributes, "resourceAttributes": {"service.name": "x"},
                                    "scope": {"name": "langfuse-sdk", "version": "3.2.1"}}), **extra}


def _export(tmp_path: Path) -> Path:
    observations = [
        _obs("a000000000000001", None, "LangGraph", "CHAIN", None, 0),
        _obs("a000000000000002", "a000000000000001", "supervisor", "CHAIN", "supervisor", 1),
        _obs("a000000000000003", "a000000000000002", "agent", "AGENT", "agent", 2),
        _obs("a000000000000004", "a000000000000003", "ChatOpenAI", "GENERATION", "agent", 3, model="gpt-4o"),
        _obs("a000000000000005", "a000000000000001", "billing_agent", "AGENT", "billing_agent", 4),
        _obs("a000000000000006", "a000000000000005", "agent", "AGENT", "agent", 5),
        _obs("a000000000000007", "a000000000000006", "ChatOpenAI", "GENERATION", "agent", 6, model="gpt-4o"),
        _obs("a000000000000008", "a000000000000005", "tools", "CHAIN", "tools", 7),
        _obs("a000000000000009", "a000000000000008", "issue_refund", "TOOL", "tools", 8, level="ERROR",
             statusMessage="charge_disputed"),
    ]
    trace = {"id": TRACE, "name": "LangGraph", "timestamp": "2025-10-08T09:00:00.000Z", "input": {"q": "refund"},
             "output": {"a": "done"}, "sessionId": None}
    path = tmp_path / "v3.json"
    path.write_text(json.dumps({"trace": trace, "observations": observations}))
    return path


def _rows(tmp_path: Path) -> list[tuple[Any, ...]]:
    result = forensics.load(_export(tmp_path))
    assert result.report.files[0].format == "langfuse"
    df = result.to_polars().filter(pl.col("span_id") != pl.col("run_id")).sort("start_time")
    return [(r["name"], r["kind"], r["agent"]) for r in df.iter_rows(named=True)]


def test_react_model_node_typed_agent_is_its_agents_step(tmp_path: Path) -> None:
    # Firing: each "agent" node under an agent is that agent's step (a chain), so the model call in it
    # is billing_agent's (or the supervisor's), not an agent named "agent".
    rows = _rows(tmp_path)
    assert rows[4:] == [
        ("billing_agent", "agent", "billing_agent"),
        ("agent", "chain", "billing_agent"),
        ("ChatOpenAI", "llm", "billing_agent"),
        ("tools", "chain", "billing_agent"),  # the ToolNode is plumbing: the agent above owns it
        ("issue_refund", "tool", "billing_agent"),
    ]
    # The supervisor node names itself in its metadata (langgraph_node): its model node is its step.
    assert rows[1:4] == [("supervisor", "chain", "supervisor"), ("agent", "chain", "supervisor"),
                         ("ChatOpenAI", "llm", "supervisor")]


def test_lone_react_graph_model_node_stays_the_agent(tmp_path: Path) -> None:
    # Near miss: a create_react_agent graph alone (no agent above its "agent" node) keeps that node
    # as the agent, as for the v2 handler and LangSmith.
    observations = [
        _obs("b000000000000001", None, "LangGraph", "CHAIN", None, 0),
        _obs("b000000000000002", "b000000000000001", "agent", "AGENT", "agent", 1),
        _obs("b000000000000003", "b000000000000002", "ChatOpenAI", "GENERATION", "agent", 2, model="gpt-4o"),
    ]
    path = tmp_path / "lone.json"
    path.write_text(json.dumps({"trace": {"id": TRACE, "name": "LangGraph", "timestamp": "2025-10-08T09:00:00.000Z"},
                                "observations": observations}))
    df = forensics.load(path).to_polars().filter(pl.col("span_id") != pl.col("run_id")).sort("start_time")
    assert [(r["name"], r["kind"], r["agent"]) for r in df.iter_rows(named=True)] == [
        ("LangGraph", "chain", None), ("agent", "agent", "agent"), ("ChatOpenAI", "llm", "agent")]
