"""A side effect placed before interrupt() runs again when the LangGraph thread is resumed.

On ``Command(resume=...)`` LangGraph re-executes the interrupted node from its beginning
(LangGraph docs, human-in-the-loop), so the e-mail a ``review_refund`` node sends before calling
``interrupt()`` goes out in the paused run and again in the resumed run of the same thread. The
runs are LangSmith ``Run`` trees (``read_run(..., load_child_runs=True)``) as LangChain records
them: a tool's input is ``{"input": "<its arguments as JSON>"}``; the node that paused failed with
GraphInterrupt and the root's outputs carry ``__interrupt__``. Written for this test.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forensics.classify import classify
from forensics.load import load

THREAD = "5e0c1a2b-1111-4c3d-8e4f-a0b1c2d3e4f5"
START = datetime(2025, 6, 2, 9, 0, 0)
EMAIL = {"to": "dana@example.com", "subject": "Refund request received", "body": "We are reviewing your refund of $120."}
LOOKUP = {"order": "A1"}


def _node(rid: str, name: str, t: float, *, parent: str | None, kind: str = "chain", graph_node: str | None = None,
          inputs: Any = None, outputs: Any = None, error: str | None = None,
          kids: list[dict[str, Any]] | None = None, trace: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"thread_id": THREAD}
    if graph_node:
        meta.update({"langgraph_node": graph_node, "langgraph_step": 1})
    return {"id": rid, "name": name, "run_type": kind, "trace_id": trace or rid, "parent_run_id": parent,
            "start_time": (START + timedelta(seconds=t)).isoformat(),
            "end_time": (START + timedelta(seconds=t + 1)).isoformat(),
            "extra": {"metadata": meta}, "error": error, "status": "error" if error else "success",
            "inputs": inputs or {}, "outputs": outputs, "child_runs": kids or []}


def _call(rid: str, tool: str, t: float, parent: str, args: dict[str, Any], result: dict[str, Any], trace: str,
          kind: str = "tool") -> dict[str, Any]:
    return _node(rid, tool, t, parent=parent, kind=kind, inputs={"input": json.dumps(args)},
                 outputs={"output": json.dumps(result)}, trace=trace)


def _thread(tmp_path: Path, tool: str, args: dict[str, Any], *, before: bool = True, after: bool = True,
            kind: str = "tool") -> pl.DataFrame:
    """A paused run whose review_refund node called ``tool`` (if ``before``) and then interrupt(),
    and the resumed run whose review_refund node calls it (if ``after``) and returns the approval."""
    a, b = "aaaaaaaa-0000-4000-8000-00000000000", "bbbbbbbb-0000-4000-8000-00000000000"
    sent = {"id": "msg_1", "status": "sent"}
    paused = _node(a + "1", "LangGraph", 0, parent=None, inputs={"order": "A1"}, trace=a + "1",
                   outputs={"__interrupt__": [{"value": {"question": "Approve refund of $120?"}}]},
                   kids=[_node(a + "2", "review_refund", 1, parent=a + "1", graph_node="review_refund", trace=a + "1",
                               error="GraphInterrupt((Interrupt(value={'question': 'Approve refund of $120?'}, resumable=True),))",
                               kids=[_call(a + "3", tool, 1.2, a + "2", args, sent, a + "1", kind)] if before else [])])
    refund = _call(b + "5", "issue_refund", 603, b + "4", {"order": "A1", "amount": 120},
                   {"refund_id": "re_1", "status": "succeeded"}, b + "1")
    resumed = _node(b + "1", "LangGraph", 600, parent=None, inputs={"resume": {"approved": True}}, trace=b + "1",
                    outputs={"refund_id": "re_1"},
                    kids=[_node(b + "2", "review_refund", 601, parent=b + "1", graph_node="review_refund", trace=b + "1",
                                outputs={"approved": True},
                                kids=[_call(b + "3", tool, 601.2, b + "2", args, sent, b + "1", kind)] if after else []),
                          _node(b + "4", "refund", 602.5, parent=b + "1", graph_node="refund", trace=b + "1", kids=[refund])])
    (tmp_path / "paused.json").write_text(json.dumps(paused))
    (tmp_path / "resumed.json").write_text(json.dumps(resumed))
    found, _ = classify(load([tmp_path]).spans).to_polars()
    return found.filter(pl.col("detector") == "side_effect_redone_on_resume")


def test_an_email_sent_before_the_interrupt_and_again_on_resume_is_a_duplicate(tmp_path: Path) -> None:
    found = _thread(tmp_path, "send_email", EMAIL)
    assert found.height == 1
    row = found.row(0, named=True)
    assert row["run_id"] == "bbbbbbbb-0000-4000-8000-000000000001"
    assert row["decisive_span_id"] == "bbbbbbbb-0000-4000-8000-000000000003"
    assert "aaaaaaaa-0000-4000-8000-000000000003" in row["evidence_span_ids"]
    assert row["failure_class"] == "context_collapse"


def test_a_traced_function_that_sends_counts_as_the_side_effect(tmp_path: Path) -> None:
    # LangSmith @traceable's default run_type is "chain": the send is a chain run named send_email.
    found = _thread(tmp_path, "send_email", EMAIL, kind="chain")
    assert found.get_column("decisive_span_id").to_list() == ["bbbbbbbb-0000-4000-8000-000000000003"]


def test_a_traced_function_named_for_no_delivery_is_not_a_side_effect(tmp_path: Path) -> None:
    assert _thread(tmp_path, "post_process", {"text": "x"}, kind="chain").height == 0


def test_a_read_repeated_on_resume_is_the_node_replaying(tmp_path: Path) -> None:
    assert _thread(tmp_path, "get_order", LOOKUP).height == 0


def test_a_side_effect_with_an_idempotency_key_is_sent_once(tmp_path: Path) -> None:
    assert _thread(tmp_path, "send_email", {**EMAIL, "idempotency_key": "refund-A1-received"}).height == 0


def test_a_side_effect_done_only_after_the_interrupt_runs_once(tmp_path: Path) -> None:
    assert _thread(tmp_path, "send_email", EMAIL, before=False).height == 0


def test_an_idempotency_key_inside_a_langchain_tool_input_string_is_read() -> None:
    # LangChain records a tool's input as a JSON string under "input": the key's quotes are escaped.
    from span_builder import detectors, run, span

    def send(span_id: str, t: float, key: str) -> dict[str, Any]:
        return span(span_id, t, t + 1, parent_id="root", kind="tool", tool="send_email", agent="a",
                    input=json.dumps({"input": json.dumps({**EMAIL, "idempotency_key": key})}), output='{"status": "sent"}')

    root = span("root", 0, 10, kind="agent", agent="a", name="a", output="sent")
    assert "duplicate_side_effect" not in detectors(run(root, send("s1", 1, "k-1"), send("s2", 3, "k-1")))


def test_a_pause_the_run_alone_records_still_names_the_node_by_the_effects_parent(tmp_path: Path) -> None:
    # No node recorded with the GraphInterrupt: only the paused run's outputs carry __interrupt__.
    _thread(tmp_path, "send_email", EMAIL)
    paused = json.loads((tmp_path / "paused.json").read_text())
    node = paused["child_runs"][0]
    node.update(error=None, status="success", outputs={})
    (tmp_path / "paused.json").write_text(json.dumps(paused))
    found, _ = classify(load([tmp_path]).spans).to_polars()
    hits = found.filter(pl.col("detector") == "side_effect_redone_on_resume")
    assert hits.get_column("decisive_span_id").to_list() == ["bbbbbbbb-0000-4000-8000-000000000003"]
    # A read there is still the node replaying.
    _thread(tmp_path, "get_order", LOOKUP)
    paused = json.loads((tmp_path / "paused.json").read_text())
    paused["child_runs"][0].update(error=None, status="success", outputs={})
    (tmp_path / "paused.json").write_text(json.dumps(paused))
    found, _ = classify(load([tmp_path]).spans).to_polars()
    assert found.filter(pl.col("detector") == "side_effect_redone_on_resume").height == 0
