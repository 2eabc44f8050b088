"""OpenLLMetry (Traceloop): a LangGraph node span is an agent on evidence, and the node names its runs.

traceloop/openllmetry packages/opentelemetry-instrumentation-langchain/opentelemetry/instrumentation/
langchain/callback_handler.py opens a span per LangChain run: ``on_chain_start`` names a chain run
``{name}.task`` (``{name}.workflow`` at the root) with ``traceloop.span.kind`` and
``traceloop.entity.name`` (``_create_task_span``), puts the run's metadata into the context's
association properties (``_create_span``), which the traceloop-sdk writes on every span started there as
``traceloop.association.properties.<key>``, and with prompts traced writes ``{"inputs", "tags",
"metadata", "kwargs"}`` as ``traceloop.entity.input``; model calls are ``{name}.chat`` with
``llm.request.type`` chat, tools ``{name}.tool``. LangGraph runs each node as a chain run named after
it with ``metadata["langgraph_node"]`` = that name (langgraph/pregel/_algo.py prepare_single_task).
Nothing says agent: the loader left ``agent`` empty on every span of such a run. Read as the LangSmith
loader reads the same nodes (tests/loaders/test_langsmith_graph_nodes.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import otlp_span

import forensics

P = "traceloop.association.properties."


def _task(sid: str, parent: str, node: str, start: int, *, sdk: bool = True, name: str | None = None) -> dict[str, Any]:
    """A LangGraph node's chain run (``name`` for a chain inside the node)."""
    attrs: dict[str, Any] = {"traceloop.span.kind": "task", "traceloop.workflow.name": "LangGraph",
                             "traceloop.entity.name": name or node, "traceloop.entity.path": "",
                             "traceloop.entity.input": json.dumps({"inputs": {"messages": []}, "tags": [f"graph:step:{start}"],
                                                                   "metadata": {"langgraph_step": start, "langgraph_node": node,
                                                                                "langgraph_triggers": [f"branch:to:{node}"]},
                                                                   "kwargs": {"name": name or node}})}
    if sdk:
        attrs |= {P + "langgraph_node": node, P + "langgraph_step": start}
    return otlp_span(sid, parent, f"{name or node}.task", start * 100, start * 100 + 90, attrs)


def _chat(sid: str, parent: str, node: str, start: int) -> dict[str, Any]:
    return otlp_span(sid, parent, "ChatOpenAI.chat", start * 100 + 10, start * 100 + 50,
                     {"llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
                      P + "langgraph_node": node}, kind=3)


def _tool(sid: str, parent: str, tool: str, node: str, start: int) -> dict[str, Any]:
    return otlp_span(sid, parent, f"{tool}.tool", start * 100 + 10, start * 100 + 50,
                     {"traceloop.span.kind": "tool", "traceloop.entity.name": tool, P + "langgraph_node": node,
                      "traceloop.entity.input": json.dumps({"input_str": "{}", "tags": [], "metadata": {}, "inputs": {}, "kwargs": {}}),
                      "traceloop.entity.output": json.dumps({"output": "ok", "kwargs": {}})})


def _root() -> dict[str, Any]:
    return otlp_span("00" * 7 + "01", "", "LangGraph.workflow", 0, 9000,
                     {"traceloop.span.kind": "workflow", "traceloop.workflow.name": "LangGraph", "traceloop.entity.name": "LangGraph"})


def _load(tmp_path: Path, spans: list[dict[str, Any]]) -> dict[str, tuple[str, str | None]]:
    doc = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [
        {"scope": {"name": "opentelemetry.instrumentation.langchain", "version": "0.40.0"}, "spans": spans}]}]}
    path = tmp_path / "traceloop.json"
    path.write_text(json.dumps(doc))
    df = pl.from_arrow(forensics.load(path).spans)
    assert isinstance(df, pl.DataFrame)
    return {r["span_id"]: (r["kind"], r["agent"]) for r in df.iter_rows(named=True)}


def _id(n: int) -> str:
    return f"{n:016x}"


ROOT = _id(1)
# A refund graph: __start__, a model-calling "triage" node (a router chain inside it), a plain
# "human_review" node, a "notify" node that runs a tool and calls no model.
GRAPH = [
    _root(),
    _task(_id(2), ROOT, "__start__", 1),
    _task(_id(3), ROOT, "triage", 2),
    _chat(_id(4), _id(3), "triage", 2),
    _task(_id(5), _id(3), "triage", 3, name="route_after_triage"),
    _task(_id(6), ROOT, "human_review", 4),
    _task(_id(7), ROOT, "notify", 5),
    _tool(_id(8), _id(7), "send_email", "notify", 5),
]


def test_a_node_that_calls_a_model_is_an_agent_and_owns_its_spans(tmp_path: Path) -> None:
    rows = _load(tmp_path, GRAPH)
    assert rows[_id(3)] == ("agent", "triage")  # was ("chain", None)
    assert rows[_id(4)] == ("llm", "triage")
    assert rows[_id(5)] == ("chain", "triage")  # a chain inside the node is no node of its own


def test_near_miss_plain_nodes_are_steps_that_own_their_runs(tmp_path: Path) -> None:
    rows = _load(tmp_path, GRAPH)
    assert rows[_id(1)] == ("chain", None)  # the graph's own run names nobody
    assert rows[_id(2)] == ("chain", None)  # the input node names nobody
    assert rows[_id(6)] == ("chain", "human_review")
    assert rows[_id(7)] == ("chain", "notify")
    assert rows[_id(8)] == ("tool", "notify")


def test_without_the_sdk_the_traced_input_names_the_node(tmp_path: Path) -> None:
    # The instrumentation alone (no Traceloop.init): no association properties, the metadata in the input.
    spans = [_root(), _task(_id(3), ROOT, "triage", 2, sdk=False),
             otlp_span(_id(4), _id(3), "ChatOpenAI.chat", 210, 250, {"llm.request.type": "chat"}, kind=3)]
    rows = _load(tmp_path, spans)
    assert rows[_id(3)] == ("agent", "triage")
    assert rows[_id(4)] == ("llm", "triage")


def test_a_supervisors_agent_owns_its_react_nodes(tmp_path: Path) -> None:
    # langgraph-supervisor: the agent "billing" is a create_react_agent subgraph, its node in the parent
    # graph; inside it run __start__, the model node "agent" and the ToolNode "tools".
    spans = [_root(), _task(_id(2), ROOT, "billing", 2), _task(_id(3), _id(2), "__start__", 3),
             _task(_id(4), _id(2), "agent", 4), _chat(_id(5), _id(4), "agent", 4),
             _task(_id(6), _id(2), "tools", 5), _tool(_id(7), _id(6), "lookup_invoice", "tools", 5)]
    rows = _load(tmp_path, spans)
    assert rows[_id(2)] == ("agent", "billing")
    assert rows[_id(3)] == ("chain", "billing")
    assert rows[_id(4)] == ("chain", "billing")  # the react model node under an agent is its step
    assert rows[_id(5)] == ("llm", "billing")
    assert rows[_id(7)] == ("tool", "billing")


def test_a_lone_react_graph_is_its_model_node(tmp_path: Path) -> None:
    # create_react_agent alone: the model node "agent" is the agent; its ToolNode beside it runs that
    # agent's tool calls (forensics/tool_node_owner.py; was owned by "tools").
    spans = [_root(), _task(_id(2), ROOT, "agent", 2), _chat(_id(3), _id(2), "agent", 2),
             _task(_id(4), ROOT, "tools", 3), _tool(_id(5), _id(4), "search", "tools", 3)]
    rows = _load(tmp_path, spans)
    assert rows[_id(2)] == ("agent", "agent")
    assert rows[_id(3)] == ("llm", "agent")
    assert rows[_id(5)] == ("tool", "agent")


def test_a_handoff_target_is_an_agent(tmp_path: Path) -> None:
    # langgraph-supervisor's transfer_to_<name> tool (handoff.py _normalize_agent_name) names "Billing Desk".
    spans = [_root(), _task(_id(2), ROOT, "supervisor", 2), _chat(_id(3), _id(2), "supervisor", 2),
             _tool(_id(4), _id(2), "transfer_to_billing_desk", "supervisor", 2),
             _task(_id(5), ROOT, "Billing Desk", 3), _tool(_id(6), _id(5), "lookup_invoice", "Billing Desk", 3),
             _task(_id(7), ROOT, "audit", 4)]
    rows = _load(tmp_path, spans)
    assert rows[_id(2)] == ("agent", "supervisor")
    assert rows[_id(5)] == ("agent", "Billing Desk")
    assert rows[_id(6)] == ("tool", "Billing Desk")
    assert rows[_id(7)] == ("chain", "audit")  # no handoff names it, no model call: a step


def test_near_miss_a_langchain_chain_without_langgraph_names_nobody(tmp_path: Path) -> None:
    # A plain LangChain pipeline traced by OpenLLMetry: task spans with model calls, no langgraph_node.
    spans = [otlp_span(_id(1), "", "RunnableSequence.workflow", 0, 900, {"traceloop.span.kind": "workflow",
                                                                         "traceloop.entity.name": "RunnableSequence"}),
             otlp_span(_id(2), _id(1), "ChatPromptTemplate.task", 10, 20, {"traceloop.span.kind": "task",
                                                                           "traceloop.entity.name": "ChatPromptTemplate"}),
             otlp_span(_id(3), _id(1), "ChatOpenAI.chat", 30, 400, {"llm.request.type": "chat"}, kind=3)]
    rows = _load(tmp_path, spans)
    assert {k: v for k, v in rows.items()} == {_id(1): ("chain", None), _id(2): ("chain", None), _id(3): ("llm", None)}
