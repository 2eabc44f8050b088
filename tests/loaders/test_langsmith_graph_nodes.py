"""langsmith: a LangGraph node is an agent only on evidence, not for being a node.

LangGraph runs every node under its own name with ``langgraph_node`` = that name in the run's
metadata (langgraph/pregel/_algo.py prepare_single_task: ``run_name=name``, ``metadata=
{"langgraph_node": name, "langgraph_checkpoint_ns": ...}``), so name == node holds for ``__start__``
(graph/state.py: the input node, tagged ``langsmith:hidden``), a human-review step or a formatter as
much as for an agent. A node is an agent when a model call runs under it, when a handoff names it
(langgraph-supervisor / langgraph-swarm ``transfer_to_<name>``, metadata ``__handoff_destination``),
or when it is create_react_agent's model node ``agent``. Runs written as LangChain's tracer writes
them: chain runs for nodes and graphs, llm and tool runs inside.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

import forensics

TRACE = "abababab-0000-4000-8000-000000000001"


def _run(n: int, name: str, run_type: str, parent: int | None, node: str | None, ns: str | None = None,
         **metadata: object) -> dict:
    meta = dict(metadata)
    if node is not None:
        meta |= {"langgraph_node": node, "langgraph_checkpoint_ns": ns or f"{node}:task-{n}"}
    return {"id": f"abababab-0000-4000-8000-{n:012d}", "trace_id": TRACE, "name": name, "run_type": run_type,
            "parent_run_id": f"abababab-0000-4000-8000-{parent:012d}" if parent else None,
            "start_time": f"2025-08-01T10:00:{n:02d}", "end_time": f"2025-08-01T10:00:{n + 1:02d}",
            "extra": {"metadata": meta}, "inputs": {}, "outputs": {}}  # fmt: skip


def _load(tmp_path: Path, runs: list[dict]) -> dict[tuple[str, int], tuple[str, str | None]]:
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(runs))
    df = forensics.load(path).to_polars().sort("span_id")
    return {(r["name"], int(r["span_id"][-12:])): (r["kind"], r["agent"]) for r in df.iter_rows(named=True)}


# A refund graph: __start__, a model-calling "triage" node, a plain "human_review" node (an interrupt
# waits there), and a "notify" node that runs a tool and calls no model.
GRAPH = [
    _run(1, "LangGraph", "chain", None, None),
    _run(2, "__start__", "chain", 1, "__start__", langgraph_triggers=["__start__"]),
    _run(3, "triage", "chain", 1, "triage"),
    _run(4, "ChatOpenAI", "llm", 3, "triage"),
    _run(5, "route_after_triage", "chain", 3, "triage"),  # the conditional edge's router, inside the node
    _run(6, "human_review", "chain", 1, "human_review"),
    _run(7, "notify", "chain", 1, "notify"),
    _run(8, "send_email", "tool", 7, "notify"),
]


def test_plain_nodes_are_no_agents(tmp_path: Path) -> None:
    rows = _load(tmp_path, GRAPH)
    assert rows[("__start__", 2)] == ("chain", None)  # the input node names nobody (was agent "__start__")
    assert rows[("human_review", 6)] == ("chain", "human_review")  # a step, still the owner of its runs
    assert rows[("notify", 7)] == ("chain", "notify")
    assert rows[("send_email", 8)] == ("tool", "notify")
    assert rows[("route_after_triage", 5)] == ("chain", "triage")


def test_near_miss_a_node_that_calls_a_model_is_an_agent(tmp_path: Path) -> None:
    rows = _load(tmp_path, GRAPH)
    assert rows[("triage", 3)] == ("agent", "triage")
    assert rows[("ChatOpenAI", 4)] == ("llm", "triage")


def test_a_subgraphs_start_node_under_an_agent_belongs_to_it(tmp_path: Path) -> None:
    # A supervisor's named agent (a create_react_agent subgraph) runs its own __start__: that run is the
    # agent's plumbing, not a sub-agent of it.
    runs = [
        _run(1, "LangGraph", "chain", None, None),
        _run(2, "billing", "chain", 1, "billing"),
        _run(3, "__start__", "chain", 2, "__start__", "billing:t2|__start__:t3"),
        _run(4, "agent", "chain", 2, "agent", "billing:t2|agent:t4"),
        _run(5, "ChatOpenAI", "llm", 4, "agent", "billing:t2|agent:t4"),
    ]
    rows = _load(tmp_path, runs)
    assert rows[("billing", 2)] == ("agent", "billing")
    assert rows[("__start__", 3)] == ("chain", "billing")
    assert rows[("agent", 4)] == ("chain", "billing")  # the react model node under an agent (unchanged)


def test_a_handoff_target_is_an_agent_without_a_model_call_in_the_export(tmp_path: Path) -> None:
    # The supervisor hands off to "Billing Desk" (transfer_to_billing_desk, langgraph-supervisor
    # handoff.py _normalize_agent_name); the export holds the target node's tool run only.
    runs = [
        _run(1, "LangGraph", "chain", None, None),
        _run(2, "supervisor", "chain", 1, "supervisor"),
        _run(3, "ChatOpenAI", "llm", 2, "supervisor"),
        _run(4, "transfer_to_billing_desk", "tool", 2, "tools", __handoff_destination="Billing Desk"),
        _run(5, "Billing Desk", "chain", 1, "Billing Desk"),
        _run(6, "lookup_invoice", "tool", 5, "Billing Desk"),
        _run(7, "audit", "chain", 1, "audit"),  # near miss: no handoff names it, no model call
    ]
    rows = _load(tmp_path, runs)
    assert rows[("Billing Desk", 5)] == ("agent", "Billing Desk")
    assert rows[("lookup_invoice", 6)] == ("tool", "Billing Desk")
    assert rows[("audit", 7)] == ("chain", "audit")


def test_the_refund_interrupt_incidents_review_node_is_a_step() -> None:
    # tests/data/incidents/dev: the interrupt waits in the plain node "human_review", which is no agent.
    path = Path(__file__).parents[1] / "data" / "incidents" / "dev" / "langsmith_refund_interrupt_never_resumed.json"
    df = forensics.load(path).to_polars()
    review = df.filter(pl.col("name") == "human_review").row(0, named=True)
    assert (review["kind"], review["agent"]) == ("chain", "human_review")
