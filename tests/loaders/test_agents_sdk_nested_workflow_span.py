"""openinference-instrumentation-openai-agents: the SDK trace's span stays the run's container when the
app's own span holds it.

_processor.py on_trace_start opens the trace's span with ``start_span(name=trace.name, attributes=
{openinference.span.kind: AGENT})`` and no context argument, so OpenTelemetry makes it a child of the
span current in the app (a request handler's span, under the app's own scope); it is named by the
run's workflow (openai-agents src/agents/run.py RunConfig.workflow_name) and carries nothing but its
kind, while on_span_start writes ``llm.system`` on every SDK span, the agents' among them. It is the
workflow, not an agent: read as an agent, the agent under it would be its delegate, and a delegate
that failed (the SDK's "Max turns exceeded" SpanError) would read as work handed off and dropped
(dropped_delegation) in a run with one agent. Near miss: the SDK's own agent span (``llm.system``)
under it stays the agent.
"""

from __future__ import annotations

from pathlib import Path

import orjson

import forensics

SDK = "openinference.instrumentation.openai_agents"


def _span(sid: str, parent: str, name: str, start: int, end: int, attrs: dict, code: int = 1, message: str = "") -> dict:
    status: dict = {"code": code} | ({"message": message} if message else {})
    return {"traceId": "c0ffee00000000000000000000000001", "spanId": f"{sid:0>16}", "parentSpanId": parent and f"{parent:0>16}",
            "name": name, "kind": 1, "startTimeUnixNano": f"17922304{start:02d}000000000",
            "endTimeUnixNano": f"17922304{end:02d}000000000", "status": status,
            "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]}


def _load(tmp_path: Path) -> tuple[dict[str, dict], set[str]]:
    request = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "billing"}}]},
                                  "scopeSpans": [
        {"scope": {"name": "billing.app", "version": "1.0"}, "spans": [
            _span("b0", "", "handle_dispute", 0, 30, {"openinference.span.kind": "CHAIN"})]},
        {"scope": {"name": SDK, "version": "1.1.2"}, "spans": [
            _span("b1", "b0", "billing-disputes", 1, 29, {"openinference.span.kind": "AGENT"}),
            _span("b2", "b1", "Dispute agent", 2, 28, {"openinference.span.kind": "AGENT", "llm.system": "openai"},
                  code=2, message="Max turns exceeded: {'max_turns': 3}"),
            _span("b3", "b2", "response", 3, 5, {"openinference.span.kind": "LLM", "llm.system": "openai"}),
            _span("b4", "b2", "lookup_invoice", 6, 7, {"openinference.span.kind": "TOOL", "llm.system": "openai",
                                                       "tool.name": "lookup_invoice"}),
            _span("b5", "b2", "response", 8, 10, {"openinference.span.kind": "LLM", "llm.system": "openai"}),
        ]},
    ]}]}
    path = tmp_path / "dispute.otlp.json"
    path.write_bytes(orjson.dumps(request))
    spans = forensics.load(path).spans
    findings, _ = forensics.classify(spans).to_polars()
    return {r["name"]: r for r in spans.to_pylist()}, set(findings.get_column("detector"))


def test_the_nested_workflow_span_is_the_container_and_nothing_was_delegated(tmp_path: Path) -> None:
    rows, detectors = _load(tmp_path)
    assert (rows["billing-disputes"]["kind"], rows["billing-disputes"]["agent"]) == ("chain", None)
    assert "dropped_delegation" not in detectors


def test_near_miss_the_sdk_agent_under_it_stays_the_agent(tmp_path: Path) -> None:
    rows, _ = _load(tmp_path)
    assert (rows["Dispute agent"]["kind"], rows["Dispute agent"]["agent"]) == ("agent", "Dispute agent")
    assert rows["lookup_invoice"]["agent"] == "Dispute agent"
