"""OpenLLMetry's association properties name the session: ``traceloop.association.properties.<key>``.

The traceloop-sdk writes the app's associations on every span as
``traceloop.association.properties.<key>`` (traceloop/openllmetry
packages/traceloop-sdk/traceloop/sdk/tracing/tracing.py ``_set_association_properties_attributes``;
the standard keys ``session_id`` and ``conversation_id``: sdk/associations/associations.py
``AssociationProperty``), and its LangChain instrumentation writes every run's metadata the same way
(packages/opentelemetry-instrumentation-langchain/.../callback_handler.py: ``f"{TRACELOOP_ASSOCIATION_PROPERTIES}
.{key}"`` per metadata item), so a LangGraph run carries its ``thread_id`` there. The three keys are the
session (after the GenAI/OpenInference session keys).

Classifier twins on a LangGraph thread traced by OpenLLMetry: a node's ``interrupt()`` ends the first
run (GraphInterrupt recorded as the task span's exception, ``__interrupt__`` in the workflow's output).
Nobody resumed it: an unacknowledged escalation (firing). A second run of the same thread resumed it
and sent the wire: the two runs are one session, so the pause was answered (near miss, clean).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from otlp_trace import classify_otlp, otlp_span

import forensics

THREAD = "traceloop.association.properties.thread_id"
_INTERRUPT = "(Interrupt(value='Approve wire of EUR 48,250 to V-20931?', id='9b2e4c1d7a3f5e8b'),)"


def _workflow(sid: str, trace: str, start: int, end: int, thread: str, inputs: Any, outputs: Any) -> dict[str, Any]:
    return otlp_span(sid, "", "LangGraph.workflow", start, end, {
        "traceloop.span.kind": "workflow", "traceloop.workflow.name": "LangGraph", "traceloop.entity.name": "LangGraph",
        "traceloop.entity.path": "", THREAD: thread, "traceloop.association.properties.langgraph_step": 1,
        "traceloop.entity.input": json.dumps({"inputs": inputs}), "traceloop.entity.output": json.dumps({"outputs": outputs}),
    }, trace=trace)


def _paused(thread: str) -> list[dict[str, Any]]:
    trace = "1a" * 16
    root = _workflow("a1" * 8, trace, 0, 5000, thread, {"request": "wire EUR 48,250 to V-20931"},
                     {"__interrupt__": [{"value": "Approve wire of EUR 48,250 to V-20931?", "id": "9b2e4c1d7a3f5e8b"}]})
    node = otlp_span("a2" * 8, "a1" * 8, "approve_wire.task", 2000, 4000, {
        "traceloop.span.kind": "task", "traceloop.workflow.name": "LangGraph", "traceloop.entity.name": "approve_wire",
        "traceloop.entity.path": "", THREAD: thread, "traceloop.association.properties.langgraph_node": "approve_wire",
    }, trace=trace)
    node["status"] = {"code": 2, "message": f"GraphInterrupt{_INTERRUPT}"}
    node["events"] = [{"name": "exception", "timeUnixNano": str(int(node["endTimeUnixNano"]) - 1), "attributes": [
        {"key": "exception.type", "value": {"stringValue": "GraphInterrupt"}},
        {"key": "exception.message", "value": {"stringValue": _INTERRUPT}},
        {"key": "exception.escaped", "value": {"stringValue": "False"}}]}]
    return [root, node]


def _resumed(thread: str) -> list[dict[str, Any]]:
    trace = "2b" * 16
    root = _workflow("b1" * 8, trace, 60000, 70000, thread, {"resume": "approved"}, {"result": "Wire W-1 sent."})
    tool = otlp_span("b2" * 8, "b1" * 8, "send_wire.tool", 61000, 62000, {
        "traceloop.span.kind": "tool", "traceloop.workflow.name": "LangGraph", "traceloop.entity.name": "send_wire",
        "traceloop.entity.input": json.dumps({"vendor": "V-20931", "amount_eur": 48250}),
        "traceloop.entity.output": json.dumps({"wire_id": "W-1"}), THREAD: thread,
    }, trace=trace)
    return [root, tool]


def _write(spans: list[dict[str, Any]], path: Path) -> Path:
    doc = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [
        {"scope": {"name": "opentelemetry.instrumentation.langchain", "version": "0.40.0"}, "spans": spans}]}]}
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("key", ["thread_id", "session_id", "conversation_id"])
def test_an_association_property_is_the_session(tmp_path: Path, key: str) -> None:
    spans = _resumed("thread-4")
    for s in spans:
        for a in s["attributes"]:
            if a["key"] == THREAD:
                a["key"] = f"traceloop.association.properties.{key}"
    rows = forensics.load(_write(spans, tmp_path / "t.json")).spans.to_pylist()
    assert {r["session_id"] for r in rows} == {"thread-4"}
    assert all(f"traceloop.association.properties.{key}" not in json.loads(r["attributes"]) for r in rows)


def test_near_miss_the_standard_session_key_comes_first(tmp_path: Path) -> None:
    spans = _resumed("thread-4")
    spans[0]["attributes"].append({"key": "session.id", "value": {"stringValue": "sess-9"}})
    rows = {r["span_id"]: r for r in forensics.load(_write(spans, tmp_path / "t.json")).spans.to_pylist()}
    assert rows["b1" * 8]["session_id"] == "sess-9" and rows["b2" * 8]["session_id"] == "thread-4"


def _detectors(spans: list[dict[str, Any]], tmp_path: Path) -> set[str]:
    found: pl.DataFrame = classify_otlp(spans, tmp_path / "thread.json", scope="opentelemetry.instrumentation.langchain")
    return set(found.get_column("detector").to_list())


def test_an_interrupt_nobody_resumed_is_an_unacknowledged_escalation(tmp_path: Path) -> None:
    assert "unacknowledged_escalation" in _detectors(_paused("thread-4"), tmp_path)


def test_near_miss_the_thread_resumed_in_a_later_run_is_clean(tmp_path: Path) -> None:
    found = _detectors(_paused("thread-4") + _resumed("thread-4"), tmp_path)
    assert not {"unacknowledged_escalation", "limbo"} & found
