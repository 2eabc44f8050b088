"""langfuse: a LangGraph node written by the v2 LangChain handler is an agent only on evidence.

The v2 CallbackHandler (langfuse/callback/langchain.py) writes every node as a plain SPAN named by
the run, with the run's config metadata: LangGraph names each node's run by the node and sets
``langgraph_node`` to it (langgraph/pregel/_algo.py prepare_single_task), so name == node holds for
``__start__``, a human-review step or a formatter as for an agent. As in the LangSmith loader
(graph_node_is_agent), a node is an agent when a GENERATION runs under it, when a handoff names it
(``transfer_to_<name>``, langgraph-supervisor / langgraph-swarm handoff.py), or when it is
create_react_agent's model node ``agent``. Observations shaped as tests/data/langfuse/v2_langchain_spans.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

TRACE = "c0c0c0c0-0000-4000-8000-000000000000"


def _obs(n: int, name: str, parent: int | None, node: str | None, type_: str = "SPAN") -> dict:
    metadata = {"langgraph_node": node, "langgraph_checkpoint_ns": f"{node}:{n}"} if node else None
    return {"id": f"c1c2c3c4-0000-4000-8000-{n:012d}", "traceId": TRACE,
            "parentObservationId": f"c1c2c3c4-0000-4000-8000-{parent:012d}" if parent else None,
            "type": type_, "name": name, "startTime": f"2025-08-02T09:00:{n:02d}.000Z",
            "endTime": f"2025-08-02T09:00:{n + 1:02d}.000Z", "metadata": metadata, "level": "DEFAULT"}  # fmt: skip


def _load(tmp_path: Path, observations: list[dict]) -> dict[str, tuple[str, str | None]]:
    export = {"trace": {"id": TRACE, "name": "LangGraph", "timestamp": "2025-08-02T09:00:00.000Z", "projectId": "p-1"},
              "observations": observations}  # fmt: skip
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(export))
    df = forensics.load(path).to_polars()
    return {f"{r['name']}#{int(r['span_id'][-12:])}": (r["kind"], r["agent"]) for r in df.iter_rows(named=True)
            if r["span_id"] != TRACE}  # fmt: skip


GRAPH = [
    _obs(1, "LangGraph", None, None),
    _obs(2, "__start__", 1, "__start__"),
    _obs(3, "triage", 1, "triage"),
    _obs(4, "ChatOpenAI", 3, "triage", "GENERATION"),
    _obs(5, "human_review", 1, "human_review"),
    _obs(6, "format_reply", 5, "human_review"),
]


def test_plain_nodes_are_no_agents(tmp_path: Path) -> None:
    rows = _load(tmp_path, GRAPH)
    assert rows["__start__#2"] == ("chain", None)
    assert rows["human_review#5"] == ("chain", "human_review")  # was an agent; its name still owns its runs
    assert rows["format_reply#6"] == ("chain", "human_review")


def test_near_miss_a_node_with_a_model_call_is_an_agent(tmp_path: Path) -> None:
    rows = _load(tmp_path, GRAPH)
    assert rows["triage#3"] == ("agent", "triage")
    assert rows["ChatOpenAI#4"] == ("llm", "triage")


def test_a_plain_node_under_an_agent_is_that_agents_step(tmp_path: Path) -> None:
    # A supervisor's worker "billing" (a subgraph with a model call) runs a plain "redact" node inside;
    # "audit" is a handoff target with no model call in the export: an agent all the same.
    rows = _load(tmp_path, [
        _obs(1, "LangGraph", None, None),
        _obs(2, "billing", 1, "billing"),
        _obs(3, "redact", 2, "redact"),
        _obs(4, "scrub", 3, "redact"),
        _obs(5, "ChatOpenAI", 2, "billing", "GENERATION"),
        _obs(6, "transfer_to_audit", 5, "billing"),
        _obs(7, "audit", 1, "audit"),
    ])  # fmt: skip
    assert rows["billing#2"] == ("agent", "billing")
    assert rows["redact#3"] == ("chain", "billing")
    assert rows["scrub#4"] == ("chain", "billing")
    assert rows["audit#7"] == ("agent", "audit")
