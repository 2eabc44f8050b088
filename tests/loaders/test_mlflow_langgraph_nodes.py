"""mlflow: a LangGraph node's span names its agent, as in the LangSmith and Langfuse loaders.

MLflow's LangChain autolog tracer writes every chain run, a LangGraph node's too, as a CHAIN span
named by the run, with the run's ``metadata`` as an attribute (JSON-encoded like every MLflow
attribute), model calls as CHAT_MODEL and tool runs as TOOL spans (mlflow/mlflow
mlflow/langchain/langchain_tracer.py ``MlflowLangchainTracer.on_chain_start`` /
``on_chat_model_start`` / ``on_tool_start``: ``kwargs.update({"metadata": metadata})``, attributes=kwargs).
LangGraph runs each node under its own name with ``metadata.langgraph_node`` = that name
(langgraph/pregel/_algo.py prepare_single_task). With no AGENT span, a multi-agent graph had no
agent at all. The rules are the other LangGraph loaders' (langsmith_agents.graph_node_is_agent,
langfuse_langchain.react_roles): a node with a model call under it is an agent; a node without one
(a router) is a step; the ToolNode ``tools`` is plumbing, never an agent.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import forensics

_TRACE = "0b1c2d3e4f5061728394a5b6c7d8e9f0"


def _id(n: int) -> str:
    return base64.b64encode(n.to_bytes(8, "big")).decode()


def _span(n: int, parent: int | None, name: str, span_type: str, node: str | None, second: int,
          **attributes: Any) -> dict[str, Any]:
    attrs = {"mlflow.traceRequestId": json.dumps("tr-" + _TRACE), "mlflow.spanType": json.dumps(span_type)}
    if node is not None:
        attrs["metadata"] = json.dumps({"langgraph_step": n, "langgraph_node": node, "langgraph_triggers": [f"branch:to:{node}"],
                                        "langgraph_path": ["__pregel_pull", node], "langgraph_checkpoint_ns": f"{node}:{n}"})
    attrs.update({k: json.dumps(v) for k, v in attributes.items()})
    return {"trace_id": base64.b64encode(bytes.fromhex(_TRACE)).decode(), "span_id": _id(n),
            "parent_span_id": _id(parent) if parent is not None else None, "name": name,
            "start_time_unix_nano": 1751371200_000000000 + second * 1_000_000_000,
            "end_time_unix_nano": 1751371200_000000000 + (second + 1) * 1_000_000_000,
            "events": [], "status": {"code": "STATUS_CODE_OK", "message": ""}, "attributes": attrs}


def _trace(tools_at: int = 2) -> dict[str, Any]:
    ask = {"messages": [["user", "Find the 2024 revenue of Acme and write a two-line summary."]]}
    spans = [
        _span(1, None, "LangGraph", "CHAIN", None, 0, **{"mlflow.spanInputs": ask}),
        _span(2, 1, "__start__", "CHAIN", "__start__", 0),
        _span(3, 1, "researcher", "CHAIN", "researcher", 1),
        _span(4, 3, "ChatOpenAI", "CHAT_MODEL", "researcher", 1),
        _span(5, 1, "tools", "CHAIN", "tools", tools_at),
        _span(6, 5, "search_web", "TOOL", "tools", tools_at, **{"mlflow.spanInputs": "{'query': 'Acme 2024 revenue'}"}),
        _span(7, 1, "route", "CHAIN", "route", 3),  # a router: a node with no model call under it
        _span(8, 1, "writer", "CHAIN", "writer", 4),
        _span(9, 8, "RunnableSequence", "CHAIN", "writer", 4),
        _span(10, 9, "ChatOpenAI", "CHAT_MODEL", "writer", 4),
    ]
    return {"info": {"trace_id": "tr-" + _TRACE, "state": "OK", "request_time": "2025-07-01T12:00:00.000Z",
                     "trace_metadata": {"mlflow.trace_schema.version": "3"}, "tags": {}, "assessments": []},
            "data": {"spans": spans}}


def _rows(tmp_path: Path, tools_at: int = 2) -> dict[str, list[tuple[str, str | None, str | None]]]:
    path = tmp_path / "langgraph_trace.json"
    path.write_text(json.dumps(_trace(tools_at)))
    result = forensics.load(path)
    assert result.report.files[0].format == "mlflow"
    found: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for row in sorted(result.spans.to_pylist(), key=lambda r: (r["start_time"], r["span_id"])):
        found.setdefault(row["name"], []).append((row["kind"], row["agent"], row["tool"]))
    return found


def test_a_node_with_a_model_call_under_it_is_an_agent(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    assert rows["researcher"] == [("agent", "researcher", None)]
    assert rows["writer"] == [("agent", "writer", None)]
    assert rows["ChatOpenAI"] == [("llm", "researcher", None), ("llm", "writer", None)]
    assert rows["RunnableSequence"] == [("chain", "writer", None)]


def test_near_miss_the_toolnode_a_router_and_the_graph_are_no_agents(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    # The ToolNode beside the agent (no agent above it) is never an agent span; it ran the tool calls
    # of the agent node before it, researcher (chat_agent_executor.py routes agent -> tools -> agent;
    # forensics/tool_node_owner.py), whose calls they are (they were owned by "tools").
    assert rows["tools"] == [("chain", "researcher", None)]
    assert rows["search_web"] == [("tool", "researcher", "search_web")]
    assert rows["route"][0][0] == "chain"
    assert rows["LangGraph"] == [("chain", None, None)]
    assert rows["__start__"] == [("chain", None, None)]


def test_near_miss_a_toolnode_before_any_agent_node_keeps_its_name(tmp_path: Path) -> None:
    # The ToolNode ran first (at 0: no agent node beside it had run, so none asked for its calls):
    # nothing better names who called the tools than the node.
    rows = _rows(tmp_path, tools_at=0)
    assert rows["tools"] == [("chain", "tools", None)]
    assert rows["search_web"] == [("tool", "tools", "search_web")]
