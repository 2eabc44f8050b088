"""The ClickHouse exporter's scope, trace state and links are kept as the OTLP loaders keep them.

The OpenTelemetry Collector's ClickHouse exporter writes each span's instrumentation scope as the
``ScopeName``/``ScopeVersion`` columns, its W3C trace state as ``TraceState`` and its links as the Nested
``Links`` columns, read back flat as the parallel arrays ``Links.TraceId``, ``Links.SpanId``,
``Links.TraceState``, ``Links.Attributes`` (opentelemetry-collector-contrib exporter/clickhouseexporter
internal/sqltemplates/traces_table.sql; exporter_traces.go ``convertLinks``), beside ``Events.*`` which
the loader already zipped into ``@events``. The loader kept them under their raw names (``@ScopeName``,
``@Links.TraceId``...) and a snake_case export under others (``@scope_name``, ``@links``), where the OTLP
loaders give ``@scope`` ``{name, version}``, ``@traceState`` and ``@links``: a convention reading the
scope (conventions/replies.py, Agent Framework's tracer) missed ClickHouse rows, and the OpenAI Agents
SDK trace's AGENT span (openinference-instrumentation-openai-agents ``_processor.py`` on_trace_start: no
``llm.system``) was read as an agent there only. Near miss: an AGENT span of another scope stays an
agent, and a row whose scope columns are empty carries no ``@scope``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

_TRACE = "0af7651916cd43dd8448eb211c80319c"


def _row(span: str, parent: str, name: str, attrs: dict[str, Any], **columns: Any) -> dict[str, Any]:
    row = {"Timestamp": "2025-04-01 10:00:00.000000000", "TraceId": _TRACE, "SpanId": span, "ParentSpanId": parent,
           "TraceState": "", "SpanName": name, "SpanKind": "Internal", "ServiceName": "svc",
           "ResourceAttributes": {"service.name": "svc"}, "ScopeName": "", "ScopeVersion": "",
           "SpanAttributes": attrs, "Duration": "1000000000", "StatusCode": "Unset", "StatusMessage": "",
           "Events.Timestamp": [], "Events.Name": [], "Events.Attributes": [],
           "Links.TraceId": [], "Links.SpanId": [], "Links.TraceState": [], "Links.Attributes": []}
    return row | columns


def _load(tmp_path: Path, *rows: dict[str, Any]) -> dict[str, dict[str, Any]]:
    path = tmp_path / "otel_traces.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = forensics.load(path)
    assert result.report.files[0].format == "otel-clickhouse" and result.report.balanced
    return {r["span_id"]: r | {"attrs": json.loads(r["attributes"])} for r in result.spans.to_pylist()}


def test_scope_trace_state_and_zipped_links_as_the_otlp_loaders_keep_them(tmp_path: Path) -> None:
    rows = _load(tmp_path, _row(
        "b7ad6b7169203331", "", "workflow.run", {"workflow.id": "wf-1"},
        ScopeName="agent_framework", ScopeVersion="1.0.0b1", TraceState="rojo=00f067aa0ba902b7",
        **{"Links.TraceId": ["4bf92f3577b34da6a3ce929d0e0e4736"], "Links.SpanId": ["00f067aa0ba902b7"],
           "Links.TraceState": [""], "Links.Attributes": [{"link.kind": "follows"}]}))
    attrs = rows["b7ad6b7169203331"]["attrs"]
    assert attrs["@scope"] == {"name": "agent_framework", "version": "1.0.0b1"}
    assert attrs["@traceState"] == "rojo=00f067aa0ba902b7"
    assert attrs["@links"] == [{"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "00f067aa0ba902b7",
                                "attributes": {"link.kind": "follows"}}]
    assert not [key for key in attrs if key.startswith(("@Scope", "@Links", "@Trace"))]


def test_a_snake_case_export_reads_the_same(tmp_path: Path) -> None:
    rows = _load(tmp_path, {"trace_id": _TRACE, "span_id": "c000000000000001", "parent_span_id": "",
                            "span_name": "workflow.run", "timestamp": "2025-04-01 10:00:00.000000000",
                            "duration": "1000000000", "status_code": "Unset", "span_attributes": {},
                            "scope_name": "agent_framework", "scope_version": "",
                            "links": [{"trace_id": _TRACE, "span_id": "c000000000000009", "attributes": {}}]})
    attrs = rows["c000000000000001"]["attrs"]
    assert attrs["@scope"] == {"name": "agent_framework"}
    assert attrs["@links"] == [{"traceId": _TRACE, "spanId": "c000000000000009", "attributes": {}}]


def test_the_agents_sdk_trace_span_is_the_runs_container_and_another_agent_stays_one(tmp_path: Path) -> None:
    scope = {"ScopeName": "openinference.instrumentation.openai_agents", "ScopeVersion": "0.1.12"}
    rows = _load(tmp_path,
                 _row("d000000000000001", "", "Agent workflow", {"openinference.span.kind": "AGENT"}, **scope),
                 _row("d000000000000002", "d000000000000001", "Assistant",
                      {"openinference.span.kind": "AGENT", "llm.system": "openai", "graph.node.id": "Assistant"}, **scope),
                 _row("e000000000000001", "", "ResearchAgent", {"openinference.span.kind": "AGENT"},
                      TraceId="1" * 32, ScopeName="openinference.instrumentation.langchain"))
    workflow, agent, other = rows["d000000000000001"], rows["d000000000000002"], rows["e000000000000001"]
    assert (workflow["kind"], workflow["agent"]) == ("chain", None)
    assert (agent["kind"], agent["agent"]) == ("agent", "Assistant")
    assert (other["kind"], other["agent"]) == ("agent", "ResearchAgent")
    assert "@scope" in other["attrs"]
