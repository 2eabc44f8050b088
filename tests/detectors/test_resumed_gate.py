"""A LangGraph thread resumed after an interrupt re-runs the node that asked: its answer guards what follows.

A human-in-the-loop node calls ``interrupt(...)``, which raises GraphInterrupt; LangSmith records the
node as an error and the root's outputs carry ``__interrupt__`` (langgraph/types.py, errors.py). The
person answers with ``Command(resume=...)`` on the same thread; the graph re-executes the
interrupted node from its start, ``interrupt()`` now returning the resume value, and goes on
(LangGraph docs, human-in-the-loop). The node that returns the person's approval
({"approved": true, ...}) in the resumed run gates the irreversible call after it, however the
question was worded. The runs below are LangSmith ``Run`` objects as ``read_run(...,
load_child_runs=True)`` returns them, written for this test.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forensics.classify import classify
from forensics.load import load

THREAD = "8c1d2e3f-0000-4a5b-9c6d-7e8f90a1b2c3"
T0 = datetime(2025, 3, 4, 10, 0, 0)


def _run(rid: str, name: str, t0: float, t1: float, *, parent: str | None, run_type: str = "chain",
         inputs: Any = None, outputs: Any = None, error: str | None = None, node: str | None = None,
         children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"thread_id": THREAD}
    if node:
        meta.update({"langgraph_node": node, "langgraph_step": 1, "langgraph_path": ["__pregel_pull", node]})
    return {
        "id": rid, "name": name, "run_type": run_type,
        "start_time": (T0 + timedelta(seconds=t0)).isoformat(), "end_time": (T0 + timedelta(seconds=t1)).isoformat(),
        "extra": {"metadata": meta}, "error": error, "inputs": inputs or {}, "outputs": outputs,
        "parent_run_id": parent, "status": "error" if error else "success",
        "trace_id": None, "child_runs": children or [],
    }


def _fix_traces(root: dict[str, Any]) -> dict[str, Any]:
    def walk(r: dict[str, Any]) -> None:
        r["trace_id"] = root["id"]
        for c in r["child_runs"]:
            walk(c)
    walk(root)
    return root


def _paused(question: str) -> dict[str, Any]:
    rid = "11111111-0000-4000-8000-000000000001"
    gate = _run("11111111-0000-4000-8000-000000000002", "review_gate", 1, 2, parent=rid, node="review_gate",
                inputs={"amount": 900}, error=f"GraphInterrupt((Interrupt(value={{'question': '{question}'}}, resumable=True),))")
    return _fix_traces(_run(rid, "LangGraph", 0, 3, parent=None, inputs={"invoice": "INV-7"},
                            outputs={"__interrupt__": [{"value": {"question": question}}]}, children=[gate]))


def _resumed(gate_result: dict[str, Any]) -> dict[str, Any]:
    rid = "22222222-0000-4000-8000-000000000001"
    gate = _run("22222222-0000-4000-8000-000000000002", "review_gate", 601, 602, parent=rid, node="review_gate",
                inputs={"amount": 900}, outputs=gate_result)
    tool = _run("22222222-0000-4000-8000-000000000004", "create_wire_transfer", 603, 605,
                parent="22222222-0000-4000-8000-000000000003", run_type="tool",
                inputs={"input": json.dumps({"amount": 900, "beneficiary": "Acme"})},
                outputs={"output": json.dumps({"transfer_id": "wt_1", "status": "submitted"})})
    pay = _run("22222222-0000-4000-8000-000000000003", "pay", 602.5, 606, parent=rid, node="pay", children=[tool])
    return _fix_traces(_run(rid, "LangGraph", 600, 607, parent=None, inputs={"resume": gate_result},
                            outputs={"transfer_id": "wt_1"}, children=[gate, pay]))


def _unguarded(tmp_path: Path, question: str, gate_result: dict[str, Any]) -> list[str]:
    (tmp_path / "paused.json").write_text(json.dumps(_paused(question)))
    (tmp_path / "resumed.json").write_text(json.dumps(_resumed(gate_result)))
    findings, _ = classify(load([tmp_path]).spans).to_polars()
    hits = findings.filter(pl.col("detector") == "unguarded_irreversible")
    return hits.get_column("decisive_span_id").to_list()


def test_the_resumed_gate_that_returned_the_approval_guards_the_call_after_it(tmp_path: Path) -> None:
    # Firing (of the guard): the question names neither the tool's verb nor its head noun
    # ("outbound payment" for create_wire_transfer); the gate re-ran and returned the approval.
    assert _unguarded(tmp_path, "Approve outbound payment?", {"approved": True, "approver": "cfo@x.example"}) == []
    assert _unguarded(tmp_path, "Release it?", {"decision": "approve", "reviewer": "cfo@x.example"}) == []


def test_a_resumed_gate_that_declined_or_decided_nothing_guards_nothing(tmp_path: Path) -> None:
    # Near-misses: the gate re-ran and said no (the graph paid anyway), or returned no decision.
    call = "22222222-0000-4000-8000-000000000004"
    assert _unguarded(tmp_path, "Approve outbound payment?", {"approved": False}) == [call]
    assert _unguarded(tmp_path, "Approve outbound payment?", {"amount": 900}) == [call]
