"""LangSmith: a LangGraph interrupt() is a pause handed to a person, read the same as on OTel spans.

LangGraph's ``interrupt()`` raises ``GraphInterrupt`` (langgraph/errors.py) in the node; LangChain's
tracer ends that node's run with the error (langchain_core/tracers/base.py ``_errored_chain_run``:
``_get_stacktrace`` = ``repr(error)`` then the traceback), while the graph's root run succeeds with
``__interrupt__`` in its outputs (langgraph/constants.py INTERRUPT). The LangSmith loader keeps the
node run's status error and its class as ``error_type`` (``GraphInterrupt``); the conventions layer
(forensics/conventions/pauses.py) reads it as ``pause_kind`` interrupt, not failed, exactly as for an
OTel span's exception. Firing: the dev incident never resumed is an unacknowledged escalation; near
miss: the same thread resumed by a later run (``Command(resume=...)``) that issued the refund is clean, and the pause is no
swallowed or unhandled error either way.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics
from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

DEV = Path(__file__).resolve().parents[1] / "data" / "incidents" / "dev" / "langsmith_refund_interrupt_never_resumed.json"
_ROOT = "c70176f5-2d31-46d2-a3be-c1ac3a567746"
_RESUMED = "5b0c7e2a-91d4-4f63-8a1e-3c2d4e5f6a7b"
_REFUND = "6c1d8f3b-a2e5-4074-9b2f-4d3e5f6a7b8c"


def _resumed_run(first: dict[str, Any]) -> dict[str, Any]:
    """The next root run of the same thread: Command(resume={...}) answers the interrupt."""
    run = copy.deepcopy(first)
    run.update(id=_RESUMED, trace_id=_RESUMED, start_time="2026-11-24T15:20:02.000000",
               end_time="2026-11-24T15:20:04.000000", inputs={"resume": {"approved": True}},
               outputs={"messages": [{"role": "assistant", "content": "Refund of $420.00 issued for order #58213."}]},
               dotted_order=f"20261124T152002000000Z{_RESUMED}", child_run_ids=[_REFUND], direct_child_run_ids=[_REFUND])
    run["child_runs"] = [{
        "id": _REFUND, "name": "issue_refund", "run_type": "tool", "trace_id": _RESUMED, "parent_run_id": _RESUMED,
        "start_time": "2026-11-24T15:20:02.500000", "end_time": "2026-11-24T15:20:03.500000", "error": None,
        "extra": {"metadata": {"thread_id": "thr_6f1c2a90", "langgraph_node": "tools"}},
        "inputs": {"input": '{"order_id": "58213", "amount": 420.0}'}, "outputs": {"output": '{"refund_id": "re_3Qx9"}'},
        "dotted_order": f"20261124T152002000000Z{_RESUMED}.20261124T152002500000Z{_REFUND}", "child_runs": [],
        "status": "success", "tags": [], "events": [],
    }]
    return run


def _classified(tmp_path: Path, *, resumed: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    runs = json.loads(DEV.read_text())
    if resumed:
        runs.append(_resumed_run(runs[0]))
    path = tmp_path / "thread.json"
    path.write_text(json.dumps(runs))
    spans = forensics.load(path).spans
    found = pl.DataFrame(pl.from_arrow(forensics.classify(spans).findings))
    return pl.DataFrame(pl.from_arrow(spans)), found


def test_the_node_that_called_interrupt_is_a_pause_not_a_failure(tmp_path: Path) -> None:
    spans, _ = _classified(tmp_path, resumed=False)
    paused = spans.filter(pl.col("error_type") == "GraphInterrupt")
    assert paused.height >= 1 and set(paused["status"]) == {"error"}  # the source's own status, kept
    ctx = prepare(spans, resolve_policy(None))
    pauses = ctx.spans.filter(pl.col("span_id").is_in(paused["span_id"].to_list()))
    assert set(pauses["pause_kind"]) == {"interrupt"} and not pauses["failed"].any()


def test_an_interrupt_nobody_resumed_is_an_unacknowledged_escalation(tmp_path: Path) -> None:
    _, found = _classified(tmp_path, resumed=False)
    detectors = set(found["detector"])
    assert "unacknowledged_escalation" in detectors
    assert not {"swallowed_error", "unhandled_error"} & detectors


def test_near_miss_the_thread_resumed_later_is_clean(tmp_path: Path) -> None:
    spans, found = _classified(tmp_path, resumed=True)
    assert set(spans.filter(pl.col("run_id").is_in([_ROOT, _RESUMED]))["session_id"]) == {"thr_6f1c2a90"}
    assert found.height == 0
