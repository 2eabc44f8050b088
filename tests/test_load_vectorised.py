"""The vectorised read of OTel SDK span JSON-lines (forensics/loaders/vectorised.py, issue 15)
gives the very tables the per-record loader gives: every column (the attribute JSON text and the
source line included), the quarantine with the same reasons at the same lines, the same accounting.

Compared on every real file of the format the sniffing reads as JSON-lines (sample_logs, tests/data,
../shared/formats when present), on a generated night, and on a file of hostile lines between good
ones; and each hostile line is shown to be one the vectorised path handed over, not one it mapped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute
import pytest
from realdata import DATA, FORMATS, REPO

import forensics
from forensics.loaders import registry, vectorised, vectorised_frames
from forensics.loaders.base import Limits

FORMAT = "otel-sdk-json"


def _both(path: Path, monkeypatch: pytest.MonkeyPatch, limits: Limits | None = None,
          format: str | None = FORMAT) -> tuple[forensics.LoadResult, forensics.LoadResult]:
    monkeypatch.setenv("FORENSICS_VECTORISED", "0")
    per_record = forensics.load(path, format=format, limits=limits)
    monkeypatch.setenv("FORENSICS_VECTORISED", "1")
    fast = forensics.load(path, format=format, limits=limits)
    return per_record, fast


def _assert_identical(per_record: forensics.LoadResult, fast: forensics.LoadResult, where: object) -> None:
    for name in per_record.spans.column_names:  # say which column differs first
        assert fast.spans.column(name).equals(per_record.spans.column(name)), (where, name)
    assert fast.spans.equals(per_record.spans, check_metadata=True), where
    assert fast.quarantine.equals(per_record.quarantine, check_metadata=True), where
    a, b = per_record.report.files[0], fast.report.files[0]
    assert (b.records_read, b.rows, b.quarantined, b.merged, b.reasons) == \
        (a.records_read, a.rows, a.quarantined, a.merged, a.reasons), where


def _vector_rows(path: Path, limits: Limits | None = None) -> pa.Table:
    """The rows the vectorised path mapped itself (not those it handed to the per-record loader)."""
    done = vectorised.read(str(path), str(path), limits or Limits())
    mapped = pa.array(done.mapped_lines, pa.int64())
    return done.spans.filter(pa.compute.is_in(done.spans.column("source_line"), value_set=mapped))


def _real_files() -> list[Path]:
    roots = [REPO / "sample_logs", DATA, FORMATS]
    found = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix not in (".json", ".jsonl", ".ndjson"):
                continue
            try:
                if registry.sniff_file(str(path), Limits()).format == FORMAT and vectorised.eligible(str(path), Limits()):
                    found.append(path)
            except forensics.ForensicsError:
                continue
    return found


def test_identical_tables_on_every_real_file_of_the_format(monkeypatch: pytest.MonkeyPatch) -> None:
    files = _real_files()
    # sample_logs holds eight OTel SDK JSON-lines files; the Monocle samples are documents (not eligible).
    assert len([f for f in files if f.parent.name == "sample_logs"]) >= 8, files
    mapped = rows = 0
    for path in files:
        per_record, fast = _both(path, monkeypatch, format=None)  # sniffed, as a user loads it
        _assert_identical(per_record, fast, path)
        mapped += _vector_rows(path).num_rows
        rows += per_record.spans.num_rows
    # The vectorised path really mapped the rows (the few with links or Monocle events go record by record).
    assert rows > 50 and mapped >= 0.9 * rows, (mapped, rows)


def test_identical_tables_on_a_generated_night(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from forensics.synth.generator import generate

    path = tmp_path / "night.otel.jsonl"
    generate(120, path, format=FORMAT, seed=11)
    per_record, fast = _both(path, monkeypatch)
    assert per_record.spans.num_rows > 120 * 10
    _assert_identical(per_record, fast, path)
    # Every line is mapped in DuckDB, those with events (exceptions) too.
    assert b'"name":"exception"' in path.read_bytes()
    assert _vector_rows(path).num_rows == per_record.spans.num_rows


def _span(i: int, **changes: Any) -> dict[str, Any]:
    span: dict[str, Any] = {
        "name": f"chat {i}", "context": {"trace_id": f"0x{i // 4 + 1:032x}", "span_id": f"0x{i + 1:016x}", "trace_state": "[]"},
        "kind": "SpanKind.CLIENT", "parent_id": None if i % 4 == 0 else f"0x{i - i % 4 + 1:016x}",
        "start_time": "2025-11-20T00:00:19.171598Z", "end_time": "2025-11-20T00:00:20.171598Z",
        "status": {"status_code": "OK"},
        "attributes": {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4.1", "gen_ai.response.model": "gpt-4.1-0",
                       "gen_ai.agent.name": "planner", "gen_ai.usage.input_tokens": 10 + i, "gen_ai.usage.cost": 0.25,
                       "gen_ai.tool.name": None, "input.value": "héllo “quoted” \\ / 😀", "note": [1, 2.5, "x"]},
        "events": [], "links": [],
        "resource": {"attributes": {"service.name": "svc"}, "schema_url": ""},
    }
    span.update(changes)
    return span


def _line(record: Any) -> bytes:
    return orjson.dumps(record)


def _event(name: str, attributes: dict[str, Any], timestamp: str = "2025-11-20T00:00:20.171598Z") -> dict[str, Any]:
    return {"name": name, "timestamp": timestamp, "attributes": attributes}


#: Hostile or unusual lines (raw bytes), each between good lines. Every one must reach the
#: per-record loader, which rows or quarantines it as it always did.
HOSTILE: dict[str, bytes] = {
    "duplicate-top-key": _line(_span(1))[:-1] + b',"name":"again"}',
    # The SDK writes its ids in lowercase hex; the loaders lower any other, in the per-record path.
    "uppercase-hex-ids": _line(_span(1, context={"trace_id": "AB" * 16, "span_id": "0x" + "CD" * 8}, parent_id="0x" + "Ef" * 8)),
    # ADK's '{}' placeholder for content it did not capture (bare, or padded) is read as no content by
    # the per-record path (semconv.as_captured); the SQL hands such a line over rather than mirror it.
    "adk-placeholder": _line(_span(1, attributes={"gcp.vertex.agent.llm_response": "{}"})),
    # OpenLLMetry's indexed messages (semconv_messages: otel_common.PER_RECORD_MARKS): rebuilt into the
    # input and output record by record only.
    "traceloop-llm": _line(_span(1, attributes={"llm.request.type": "chat", "gen_ai.prompt.0.role": "user",
                                                "gen_ai.prompt.0.content": "hi", "gen_ai.completion.0.content": "hello"})),
    "traceloop-llm-tool-call": _line(_span(1, attributes={
        "llm.request.type": "chat", "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls",
        "gen_ai.completion.0.tool_calls.0.name": "get_ticket", "gen_ai.completion.0.tool_calls.0.arguments": "{}"})),
    "adk-placeholder-padded": _line(_span(1, attributes={"gcp.vertex.agent.tool_call_args": " {}\n"})),
    "duplicate-attribute": _line(_span(1)).replace(b'"note":', b'"input.value":"x","note":'),
    "duplicate-escaped-key": _line(_span(1)).replace(b'"note":', b'"\\u006eote":1,"note":'),
    "duplicate-resource-attribute": _line(_span(1)).replace(b'"service.name":"svc"', b'"service.name":"svc","service.name":"x"'),
    "duplicate-context-key": _line(_span(1)).replace(b'"trace_state":"[]"', b'"trace_state":"[]","span_id":"0x00000000000000ff"'),
    "duplicate-status-key": _line(_span(1, status={"status_code": "OK"})).replace(b'"OK"}', b'"OK","status_code":"ERROR"}'),
    "duplicate-resource-key": _line(_span(1)).replace(b'"schema_url":""', b'"schema_url":"","schema_url":""'),
    "duplicate-top-key-in-sdk-order": _line(_span(1))[:-1] + b',"resource":{"attributes":{},"schema_url":""}}',
    "wide-integer": _line(_span(1)).replace(b'"note":', b'"big":123456789012345678901234,"note":'),
    "nan": _line(_span(1)).replace(b'"gen_ai.usage.cost":0.25', b'"gen_ai.usage.cost":NaN'),
    "infinity": _line(_span(1)).replace(b'"gen_ai.usage.cost":0.25', b'"gen_ai.usage.cost":-Infinity'),
    "exponent-float": _line(_span(1)).replace(b'"gen_ai.usage.cost":0.25', b'"gen_ai.usage.cost":2.5e-05'),
    "big-float": _line(_span(1)).replace(b'"gen_ai.usage.cost":0.25', b'"gen_ai.usage.cost":12345678901234567.0'),
    # orjson writes a double in [1e-6, 1e-5) in exponent form (1.2e-06), yyjson as a plain fraction.
    "tiny-float": _line(_span(1)).replace(b'"note":', b'"tiny":0.0000012,"note":'),
    "invalid-utf8": _line(_span(1)).replace(b"h\xc3\xa9llo", b"h\xe9llo"),
    "control-escape": _line(_span(1)).replace(b"llo", b"llo\\u001f"),
    "raw-control-character": _line(_span(1)).replace(b"llo", b"llo\x01"),
    "lone-surrogate": _line(_span(1)).replace(b"llo", b"llo\\ud800"),
    "reversed-surrogates": _line(_span(1)).replace(b"llo", b"llo\\ude00\\ud83d"),
    "invalid-json": b'{"name": "x", broken',
    "not-an-object": b'["a", 1]',
    "scalar": b"42",
    "year-1969": _line(_span(1, start_time="1969-12-31T23:59:59.000000Z")),
    "year-2201": _line(_span(1, end_time="2201-01-01T00:00:00.000000Z")),
    "february-30": _line(_span(1, start_time="2025-02-30T00:00:00.000000Z")),
    "hour-24": _line(_span(1, start_time="2025-11-20T24:00:00.000000Z")),  # DuckDB reads it as the next day
    "year-9999": _line(_span(1, end_time="9999-12-31T00:00:00.000000Z")),
    "deep-nesting": _line(_span(1)).replace(b'"note":', b'"deep":' + b'{"k":' * 300 + b"1" + b"}" * 300 + b',"note":'),
    "nested-attribute-spaced": _line(_span(1)).replace(b'"note":', b'"deep" :\t{ "a" : 1 },"note":'),
    "nested-resource-attribute": _line(_span(1, resource={"attributes": {"a": [0, {"b": 1}]}, "schema_url": ""})),
    "object-in-array": _line(_span(1, attributes={"list": [1, {"a": 1}]})),
    "resource-extra-key": _line(_span(1, resource={"attributes": {"a": 1}, "schema_url": "", "x": {"y": 1}})),
    "no-fraction": _line(_span(1, start_time="2025-11-20T00:00:19Z")),
    "offset-time": _line(_span(1, start_time="2025-11-20T00:00:19.171598+00:00")),
    "numeric-time": _line(_span(1, start_time=1763596819171598000)),
    # Events the SQL does not map: Monocle's I/O events, a time out of range, a repeated key, an
    # exception text that is not a string (as_text writes JSON), a name with an escape, another layout.
    "monocle-event": _line(_span(1, events=[_event("data.input", {"input": "q"})])),
    # The earlier GenAI content events fill input/output (otel_common.CONTENT_EVENTS): handed over too.
    "genai-content-events": _line(_span(1, attributes={"gen_ai.operation.name": "chat"}, events=[
        _event("gen_ai.content.prompt", {"gen_ai.prompt": '[{"role": "user", "content": "hi"}]'}),
        _event("gen_ai.content.completion", {"gen_ai.completion": '[{"role": "assistant", "content": "hello"}]'})])),
    "event-time-2201": _line(_span(1, events=[_event("exception", {}, "2201-01-01T00:00:00.000000Z")])),
    "event-duplicate-attribute": _line(_span(1, events=[_event("exception", {"exception.type": "E", "k": 1})])).replace(
        b'"k":1', b'"k":1,"k":2'),
    "exception-type-not-text": _line(_span(1, events=[_event("exception", {"exception.type": 42})])),
    "event-name-escaped": _line(_span(1, events=[_event('exc"eption', {})])),
    "event-without-attributes": _line(_span(1, events=[{"name": "exception", "timestamp": "2025-11-20T00:00:20.171598Z"}])),
    "event-keys-out-of-order": _line(_span(1, events=[{"timestamp": "2025-11-20T00:00:20.171598Z", "name": "x",
                                                        "attributes": {}}])),
    "event-nested-attribute": _line(_span(1, events=[_event("exception", {"exception.stacktrace": {"a": 1}})])),
    "links": _line(_span(1, links=[{"context": {"trace_id": "0x" + "a" * 32, "span_id": "0x" + "b" * 16}}])),
    "trace-state": _line(_span(1, context={"trace_id": "0x" + "1" * 32, "span_id": "0x" + "2" * 16, "trace_state": "k=v"})),
    "children": _line(_span(1, child_spans=[_span(2)])),
    "unknown-top-key": _line(_span(1, extra_field={"a": 1})),
    "at-attribute": _line(_span(1, attributes={"@kind": "x", "gen_ai.agent.name": "a"})),
    "nested-attribute": _line(_span(1, attributes={"tool.parameters": {"a": {"b": 1}}})),
    "numeric-status": _line(_span(1, status={"status_code": 2})),
    "bad-status": _line(_span(1, status={"status_code": "Weird"})),
    "status-not-object": _line(_span(1, status="OK")),
    "numeric-kind": _line(_span(1, kind=3)),
    "base64-ids": _line(_span(1, context={"trace_id": "AAAAAAAAAAAAAAAAAAAAAQ==", "span_id": "AAAAAAAAAAE="})),
    "missing-context": _line({k: v for k, v in _span(1).items() if k != "context"}),
    "string-tokens": _line(_span(1, attributes={"gen_ai.usage.input_tokens": "12"})),
    "bool-tokens": _line(_span(1, attributes={"gen_ai.usage.input_tokens": True})),
    "list-input": _line(_span(1, attributes={"input.value": ["a", "b"]})),
    # ADK's call_llm whose output tokens may be its response's total (semconv._adk_output_tokens).
    "adk-output-tokens-total": _line(_span(1, attributes={
        "gen_ai.system": "gcp.vertex.agent", "gcp.vertex.agent.invocation_id": "e-1", "gen_ai.usage.output_tokens": 12,
        "gcp.vertex.agent.llm_response": '{"usage_metadata": {"candidates_token_count": 2, "total_token_count": 12}}'})),
    # Haystack's usage inside a component's traced output, on a span without usage attributes
    # (semconv_values.haystack_usage): read record by record.
    "haystack-generator-usage": _line(_span(1, name="haystack.component.run", attributes={
        "haystack.component.name": "llm", "haystack.component.type": "OpenAIGenerator",
        "haystack.component.output": '{"replies": ["ok"], "meta": [{"model": "gpt-4o", "usage": {"prompt_tokens": 9}}]}'})),
    "haystack-embedder-usage-escaped": _line(_span(1, name="haystack.component.run", attributes={
        "haystack.component.type": "OpenAITextEmbedder",
        "haystack.component.output": '{"embedding": [0.1], "meta": {"model": "m\\u00e9", "usage": {"prompt_tokens": 4}}}'})),
    "traceloop-entity-name-not-text": _line(_span(1, attributes={"traceloop.span.kind": "tool", "traceloop.entity.name": 7})),
    "monocle": _line(_span(1, attributes={"span.type": "agentic.invocation", "entity.1.name": "a"})),
    "split-cost": _line(_span(1, attributes={"gen_ai.usage.input_cost": 0.1, "gen_ai.usage.output_cost": 0.2})),
    "http-status": _line(_span(1, status={"status_code": "ERROR"}, attributes={"http.status_code": 500})),
    # autogen-core's runtime spans (semconv_agents.autogen_message) are read record by record.
    "autogen-process": _line(_span(1, name="autogen process code_reviewer.(default)-A", attributes={
        "messaging.operation": "process", "messaging.destination": "code_reviewer.(default)-A"})),
    "attributes-list": _line(_span(1, attributes=[])),
    "crlf": _line(_span(1)) + b"\r",
    # Not the SDK's layout (vectorised_sql's pattern): keys in another order, tab whitespace.
    "keys-out-of-sdk-order": _line({k: _span(1)[k] for k in reversed(list(_span(1)))}),
    "tab-whitespace": _line(_span(1)).replace(b'"kind":', b'"kind":\t'),
    # OpenInference's spans of an OpenAI Agents SDK run (otel_common.PER_RECORD_MARKS): the trace's span
    # under the default workflow name, and a handoff span named by its target.
    "agents-sdk-trace-span": _line(_span(0, name="Agent workflow", attributes={"openinference.span.kind": "AGENT"})),
    "agents-sdk-handoff": _line(_span(1, name="handoff to Flight Agent", status={
        "status_code": "ERROR", "description": "Multiple handoffs requested: {'requested_agents': ['Flight Agent']}"},
        attributes={"openinference.span.kind": "TOOL", "llm.system": "openai"})),
}


#: Unusual lines the vectorised path maps itself (the same row as the per-record loader's).
MAPPED: dict[str, bytes] = {
    # The SQL compares an attribute's JSON text with a word between quotes (vectorised_sql._as_text):
    # a value written with escapes is the same string (yyjson writes it back unescaped), and a value
    # that is not a string never equals one.
    "operation-name-escaped": _line(_span(1)).replace(b'"gen_ai.operation.name":"chat"',
                                                      b'"gen_ai.operation.name":"\\u0065xecute_tool"'),
    "operation-name-a-list": _line(_span(1, attributes={"gen_ai.operation.name": ["execute_tool"]})),
    "operation-name-a-number": _line(_span(1, attributes={"gen_ai.operation.name": 3, "tool.name": "t"})),
    "openinference-kind-escaped": _line(_span(1, attributes={"openinference.span.kind": "TOOL"})).replace(
        b'"TOOL"', b'"\\u0074ool"'),
    "tool-status-escaped-error": _line(_span(1, attributes={"gen_ai.tool.status": "ERROR"})).replace(
        b'"ERROR"', b'"\\u0065rror"'),
    "small-floats": _line(_span(1)).replace(b'"note":', b'"small":0.00001234,"zero":0.0,"note":'),
    "epoch": _line(_span(1, start_time="1970-01-01T00:00:00.000000Z")),  # the epoch is "not set"
    "error-with-description": _line(_span(1, status={"status_code": "ERROR", "description": "boom"},
                                          attributes={"exception.message": "m", "error.type": "E"})),
    "error-without-description": _line(_span(1, status={"status_code": "ERROR"},
                                             attributes={"exception.message": "m", "error.message": "n"})),
    "plain-kind": _line(_span(1, kind="internal")),
    # Events: kept under @events with their time in ns; the first exception's type and message fill
    # error_type/error_message when the status and attributes left them unset.
    "exception-event": _line(_span(1, events=[_event("exception", {"exception.type": "ValueError", "exception.message": "bad"})])),
    "exception-events-after-attributes": _line(_span(1, status={"status_code": "ERROR", "description": "boom"},
                                                     attributes={"error.type": "E"}, events=[
        _event("exception", {"exception.type": "T1", "exception.message": "m1"}), _event("exception", {"exception.type": "T2"})])),
    "exception-events-null-then-set": _line(_span(1, status={"status_code": "ERROR"}, events=[
        _event("log", {"exception.type": "not an exception"}), _event("exception", {"exception.type": None}),
        _event("exception", {"exception.type": "T2", "exception.message": "caf\u00e9 \"q\" \U0001f600", "n": [1, 2.5]})])),
    "events-epoch-and-empty": json.dumps(_span(1, events=[_event("x", {}, "1970-01-01T00:00:00.000000Z"),
                                                           _event("y", {"a": "b"})])).encode(),
    "no-kind": _line({k: v for k, v in _span(1).items() if k != "kind"}),
    "null-attribute-candidates": _line(_span(1, attributes={"gen_ai.response.model": None, "llm.model_name": "m",
                                                            "gen_ai.request.model": "r"})),
    "openinference-kind": _line(_span(1, attributes={"openinference.span.kind": "tool", "tool.name": "t"})),
    "empty-attributes-and-resource": _line(_span(1, attributes={}, resource={})),
    "no-parent-status-or-resource": _line({k: v for k, v in _span(1).items() if k not in ("parent_id", "status", "resource")}),
    "plain-hex-ids": _line(_span(1, context={"trace_id": "ab" * 16, "span_id": "cd" * 8}, parent_id="")),
    "colon-and-brace-in-strings": _line(_span(1, name='a:{"b":1}', attributes={"k": "x:{y}", "l": "[{"})),
    "escaped-unicode": rb'{"name":"caf\u00e9 \ud83d\ude00","context":{"trace_id":"0x' + b"1" * 32 + rb'","span_id":"0x'
                       + b"2" * 16 + rb'"},"kind":"SpanKind.INTERNAL","attributes":{"k\u00e9":"v\/w\n\t\"\\"}}',
    "json-dumps-spacing": json.dumps(_span(1)).encode(),
    # Mapped text columns: one without a backslash is cut from between its quotes, one with is unescaped.
    "mapped-text-raw-and-escaped": _line(_span(1, attributes={"gen_ai.agent.name": "pl\u00e4nner \u201cx\u201d \U0001f600",
                                                              "input.value": 'say "hi"\\n', "gen_ai.tool.name": ""})),
    "mapped-text-ensure-ascii": json.dumps(_span(1, attributes={"gen_ai.agent.name": "pl\u00e4nner \U0001f600"})).encode(),
    # `":{` inside a string (escaped JSON) looks nested to the cheap text test: the full check maps it.
    "escaped-json-in-string": _line(_span(1, attributes={"args": '{"a":{"b":[{"c":1}]}}', "gen_ai.agent.name": "p"})),
    # The taken pairs are cut out of the attribute text as `,"key":value` (vectorised_sql): taken
    # first, last and alone; the same pair spelled inside a string value (its quotes escaped) stays.
    "taken-key-first-and-last": _line(_span(1, attributes={"gen_ai.agent.name": "p", "k": 1, "gen_ai.request.model": "m"})),
    "only-taken-keys": _line(_span(1, attributes={"gen_ai.agent.name": "p", "gen_ai.usage.input_tokens": 3})),
    "taken-pair-inside-a-string": _line(_span(1, attributes={
        "a": ',"gen_ai.agent.name":"p"', "gen_ai.agent.name": "p", "b": '{"gen_ai.agent.name":"p",', "c": '"p"}'})),
    "taken-value-also-another-value": _line(_span(1, attributes={"x": "p", "gen_ai.agent.name": "p", "y": ["p"]})),
    # Google ADK's content keys (semconv.as_captured): a captured JSON text is mapped in DuckDB like
    # any other text (a JSON object holding braces is not the '{}' placeholder).
    "adk-content-captured": _line(_span(1, attributes={"gcp.vertex.agent.tool_call_args": '{"sku": "A-1", "opts": {"x": 1}}',
                                                       "gcp.vertex.agent.tool_response": '{"status": "ok"}'})),
    # Kinds from a framework's own keys or the span's name (semconv KIND_BY_VALUE/EVIDENCE/NAME) and
    # columns a key fills by the span's other keys (CONDITIONAL_COLUMNS): the SQL is built from the same tables.
    "traceloop-tool": _line(_span(1, name="lookup.tool", attributes={
        "traceloop.span.kind": "tool", "traceloop.entity.name": "lookup", "traceloop.workflow.name": "wf",
        "traceloop.entity.input": '{"args": [], "kwargs": {"q": "x"}}', "traceloop.entity.output": '"found"'})),
    "traceloop-agent-escaped-name": _line(_span(1, attributes={"traceloop.span.kind": "agent",
                                                               "traceloop.entity.name": 'pl\u00e4n "x"'})),
    "openllmetry-crewai-agent-role": _line(_span(1, name="Writer.agent", attributes={
        "traceloop.span.kind": "agent", "crewai.agent.role": "Writer", "crewai.agent.goal": "g"})),
    "openllmetry-crewai-role-and-entity": _line(_span(1, attributes={
        "traceloop.span.kind": "agent", "traceloop.entity.name": "w", "crewai.agent.role": "Writer"})),
    "openllmetry-crewai-role-on-a-task": _line(_span(1, attributes={
        "traceloop.span.kind": "task", "crewai.agent.role": "Writer", "gen_ai.agent.name": None})),
    "autogen-user-proxy-turn": _line(_span(1, name="invoke_agent user_proxy", attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.system": "autogen", "gen_ai.agent.name": "user_proxy",
        "gen_ai.agent.description": "A human user"})),
    "autogen-assistant-turn": _line(_span(1, name="invoke_agent assistant", attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.system": "autogen", "gen_ai.agent.name": "assistant",
        "gen_ai.agent.description": "A helpful assistant"})),
    "openinference-crewai-agent-node": _line(_span(1, name="Writer._execute_core", attributes={
        "openinference.span.kind": "AGENT", "graph.node.id": "Writer", "task_key": "k"})),
    "openinference-chain-node": _line(_span(1, attributes={"openinference.span.kind": "CHAIN", "graph.node.id": "n"})),
    "traceloop-task-keeps-its-name": _line(_span(1, attributes={"traceloop.span.kind": "task", "traceloop.entity.name": "t"})),
    "traceloop-tool-named-by-genai": _line(_span(1, attributes={"traceloop.span.kind": "tool", "gen_ai.tool.name": "g",
                                                                "traceloop.entity.name": "e"})),
    # The whole prompt and completion under one key each (the GenAI conventions' older keys): mapped in SQL.
    "genai-prompt-whole": _line(_span(1, attributes={"llm.request.type": "chat", "gen_ai.prompt": "hi",
                                                     "gen_ai.completion": "hello"})),
    "traceloop-rerank": _line(_span(1, attributes={"llm.request.type": "rerank"})),
    "pydantic-tool-call-id": _line(_span(1, attributes={"gen_ai.tool.name": "t", "gen_ai.tool.call.id": "c1",
                                                        "tool_arguments": '{"a": 1}', "tool_response": "ok"})),
    "pydantic-agent-run": _line(_span(1, name="agent run", attributes={"model_name": "gpt-4o", "agent_name": "ops",
                                                                       "logfire.msg": "ops run"})),
    "pydantic-agent-run-named": _line(_span(1, name="agent run", attributes={
        "model_name": "gpt-4o", "agent_name": "ops", "gen_ai.agent.name": "ops2", "gen_ai.request.model": None})),
    "model-name-alone": _line(_span(1, attributes={"model_name": "gpt-4o", "k": 1})),
    "adk-call-llm": _line(_span(1, name="call_llm", attributes={"gen_ai.system": "gcp.vertex.agent",
                                                                "gcp.vertex.agent.invocation_id": "e-1"})),
    "adk-call-llm-bare": _line(_span(1, name="call_llm", attributes={})),
    "adk-invocation-root": _line(_span(1, name="invocation", parent_id=None, attributes={})),
    "adk-invocation-root-empty-parent": _line(_span(1, name="invocation", parent_id="", attributes={})),
    "invocation-not-root": _line(_span(1, name="invocation", attributes={})),
    "adk-agent-run": _line(_span(1, name="agent_run [weather_agent]", attributes={})),
    "adk-agent-run-brackets": _line(_span(1, name="agent_run [a] [b]", attributes={"gen_ai.agent.name": None})),
    "adk-agent-run-named-by-key": _line(_span(1, name="agent_run [a]", attributes={"gen_ai.agent.name": "b"})),
    "adk-agent-run-newline": _line(_span(1, name="agent_run [a\nb]", attributes={})),
    "agent-run-not-adk": _line(_span(1, name="agent_run [] x", attributes={})),
    "adk-output-tokens-no-usage": _line(_span(1, attributes={
        "gen_ai.system": "gcp.vertex.agent", "gcp.vertex.agent.invocation_id": "e-1", "gen_ai.usage.output_tokens": 12,
        "gcp.vertex.agent.llm_response": '{"content": {"parts": [{"text": "ok"}]}}'})),
    "http-client": _line(_span(1, name="POST", attributes={"http.request.method": "POST", "url.full": "https://x/y"})),
    # The Vercel AI SDK's ai.operationId and ai.* keys (semconv VERCEL_AI_KINDS, _COLUMN_KEYS).
    "vercel-ai-tool-call": _line(_span(1, name="ai.toolCall", attributes={
        "ai.operationId": "ai.toolCall", "ai.toolCall.name": "getWeather", "ai.toolCall.args": '{"city":"Oslo"}',
        "ai.toolCall.result": '{"tempC":-3}'})),
    "vercel-ai-generate-text": _line(_span(1, name="ai.generateText", attributes={
        "ai.operationId": "ai.generateText", "ai.model.id": "gpt-4o", "ai.prompt": '{"prompt":"hi"}',
        "ai.response.text": "hello", "ai.usage.promptTokens": 7, "ai.usage.completionTokens": 2})),
    # Framework operation names and keys (semconv GENAI_OPERATION_KINDS, LLM_REQUEST_TYPE_KINDS).
    "openai-agents-v2-handoff": _line(_span(1, name="agent_handoff", attributes={
        "gen_ai.operation.name": "agent_handoff", "gen_ai.handoff.to_agent": "billing"})),
    "litellm-acompletion": _line(_span(1, name="litellm_request", attributes={"llm.request.type": "acompletion"})),
    # A name's kind (KIND_BY_NAME) only when no KIND_BY_VALUE key holds a text: a batch is no model call.
    "litellm-batch": _line(_span(1, name="litellm_request", attributes={"llm.request.type": "acreate_batch"})),
    "litellm-no-request-type": _line(_span(1, name="litellm_request", attributes={"llm.request.type": None})),
    "call-llm-number-type": _line(_span(1, name="call_llm", attributes={"llm.request.type": 3})),
    "strands-cycle": _line(_span(1, name="execute_event_loop_cycle", attributes={"event_loop.cycle_id": "5a1e"})),
    # Strands before 1.0 (tracer.py of the 0.x releases: no operation names; semconv KIND_BY_EVIDENCE,
    # KIND_BY_NAME, ROOT_KIND_BY_NAME).
    "strands-old-cycle": _line(_span(1, name="Cycle 5a1e", attributes={"event_loop.cycle_id": "5a1e"})),
    "strands-old-tool": _line(_span(1, name="Tool: lookup", attributes={
        "tool.name": "lookup", "tool.id": "tooluse_1", "tool.parameters": '{"order": 7}'})),
    "strands-old-model-invoke": _line(_span(1, name="Model invoke", attributes={
        "gen_ai.system": "strands-agents", "agent.name": "Strands Agent", "gen_ai.agent.name": "Strands Agent"})),
    "strands-old-agent-tools": _line(_span(1, name="support", attributes={
        "gen_ai.system": "strands-agents", "agent.name": "support", "agent.tools": '["lookup"]'})),
    "strands-old-agent-default-root": _line(_span(0, name="Strands Agent", attributes={
        "gen_ai.system": "strands-agents", "agent.name": "Strands Agent"})),
    "strands-default-name-not-root": _line(_span(1, name="Strands Agent", attributes={})),
    # A tool's own status key (semconv.TOOL_FAILED_BY_VALUE): Strands' gen_ai.tool.status under a span OK.
    "strands-tool-status-error": _line(_span(1, name="execute_tool lookup", attributes={
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup", "gen_ai.tool.status": "error"})),
    "strands-tool-status-success": _line(_span(1, name="execute_tool lookup", attributes={
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup", "gen_ai.tool.status": "success"})),
    "strands-old-tool-status-error-described": _line(_span(1, name="Tool: lookup", status={
        "status_code": "ERROR", "description": "boom"}, attributes={"tool.name": "lookup", "tool.status": "error"})),
    "tool-status-not-text": _line(_span(1, attributes={"gen_ai.tool.status": 1, "tool.status": None})),
    "pydantic-ai-running-tools": _line(_span(1, name="running tools", attributes={"tools": ["get_order"]})),
    "openlit-tool-args": _line(_span(1, attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.args": '{"q": 1}'})),
    # Haystack's component spans by their class (semconv HAYSTACK_COMPONENT_KINDS: "endswith"), and names.
    "haystack-chat-generator": _line(_span(1, name="haystack.component.run", attributes={
        "haystack.component.name": "llm", "haystack.component.type": "OpenAIChatGenerator"})),
    # Google ADK's call_llm session (semconv session_id keys, last): mapped in SQL like the others.
    "adk-call-llm-session": _line(_span(1, name="call_llm", attributes={
        "gen_ai.system": "gcp.vertex.agent", "gcp.vertex.agent.session_id": "s-42", "gcp.vertex.agent.invocation_id": "e-1"})),
    "adk-call-llm-session-and-conversation": _line(_span(1, name="call_llm", attributes={
        "gcp.vertex.agent.session_id": "s-42", "gen_ai.conversation.id": "conv-1"})),
    # A traced output with no usage, and one whose span carries its own usage attribute: mapped in SQL.
    "haystack-output-no-usage": _line(_span(1, name="haystack.component.run", attributes={
        "haystack.component.type": "OpenAIChatGenerator", "haystack.component.output": '{"replies": []}'})),
    "haystack-usage-with-own-tokens": _line(_span(1, name="haystack.component.run", attributes={
        "haystack.component.type": "OpenAIChatGenerator", "gen_ai.usage.input_tokens": 3,
        "haystack.component.output": '{"replies": [{"meta": {"usage": {"prompt_tokens": 9}}}]}'})),
    "haystack-embedder": _line(_span(1, name="haystack.component.run", attributes={
        "haystack.component.name": "embedder", "haystack.component.type": "SentenceTransformersTextEmbedder"})),
    "haystack-retriever": _line(_span(1, name="haystack.component.run", attributes={
        "haystack.component.name": "retriever", "haystack.component.type": "InMemoryBM25Retriever"})),
    "haystack-prompt-builder": _line(_span(1, name="haystack.component.run", attributes={
        "haystack.component.name": "prompt", "haystack.component.type": "PromptBuilder"})),
    "haystack-type-escaped": _line(_span(1, name="haystack.component.run", attributes={
        "haystack.component.type": "My\"Generator"})),
    "haystack-type-not-text": _line(_span(1, name="haystack.component.run", attributes={
        "haystack.component.type": ["Generator"]})),
    "haystack-agent-run": _line(_span(1, name="haystack.agent.run", attributes={"haystack.agent.max_steps": 100})),
    # Microsoft Agent Framework's workflow spans (semconv AGENT_FRAMEWORK_WORKFLOW_KINDS, KIND_BY_NAME).
    "maf-executor-process": _line(_span(1, name="executor.process writer", attributes={
        "executor.id": "writer", "executor.type": "AgentExecutor", "message.type": "standard"})),
    "maf-edge-group": _line(_span(1, name="edge_group.process", attributes={
        "edge_group.type": "SingleEdgeGroup", "edge_group.delivered": True})),
    "maf-workflow-run": _line(_span(0, name="workflow.run", attributes={"workflow.id": "w-1"})),
    "maf-request-info": _line(_span(1, name="executor.process request_info", attributes={
        "executor.id": "request_info", "executor.type": "RequestInfoExecutor", "message.type": "standard"})),
    # OpenLLMetry's association properties are the session (semconv _COLUMN_KEYS).
    "traceloop-thread-id": _line(_span(1, name="LangGraph.workflow", attributes={
        "traceloop.span.kind": "workflow", "traceloop.association.properties.thread_id": "thread-4"})),
}


@pytest.mark.parametrize("name", sorted(MAPPED))
def test_unusual_lines_the_vectorised_path_maps_give_the_same_rows(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _hostile_file(tmp_path, name, MAPPED[name])
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, name)
    assert _vector_rows(path)["source_line"].to_pylist() == [1, 2, 4, 5]


def _hostile_file(tmp_path: Path, name: str, raw: bytes) -> Path:
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(b"\n".join([_line(_span(0)), raw, b"", _line(_span(2)), _line(_span(3))]) + b"\n")
    return path


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_lines_go_to_the_per_record_path_and_the_tables_stay_identical(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _hostile_file(tmp_path, name, HOSTILE[name])
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, name)
    assert _vector_rows(path)["source_line"].to_pylist() == [1, 4, 5]  # line 2 handed over, line 3 blank


def test_the_good_lines_around_them_are_mapped_by_the_vectorised_path(tmp_path: Path) -> None:
    """The near miss: the same lines without the hostile one are all mapped in DuckDB, with the
    attribute text orjson writes for what is left of the attributes."""
    path = tmp_path / "good.jsonl"
    path.write_bytes(b"\n".join(_line(_span(i)) for i in range(4)) + b"\n")
    rows = _vector_rows(path)
    assert rows["source_line"].to_pylist() == [1, 2, 3, 4]
    first = rows.slice(0, 1).to_pylist()[0]
    assert first["model"] == "gpt-4.1-0" and first["agent"] == "planner" and first["input_tokens"] == 10
    assert first["kind"] == "llm" and first["cost_usd"] == 0.25 and first["parent_id"] is None
    assert json.loads(first["attributes"]) == {
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4.1", "gen_ai.tool.name": None,
        "note": [1, 2.5, "x"], "@span_kind": "CLIENT", "@resource": {"attributes": {"service.name": "svc"}, "schema_url": ""}}
    assert first["attributes"] == orjson.dumps(json.loads(first["attributes"])).decode()


def test_a_line_over_the_limit_is_reported_by_the_per_record_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long = _line(_span(1, attributes={"input.value": "x" * 5000}))
    path = _hostile_file(tmp_path, "long", long)
    limits = Limits(max_line_bytes=4096)
    per_record, fast = _both(path, monkeypatch, limits=limits)
    _assert_identical(per_record, fast, "long")
    assert fast.quarantine["reason"].to_pylist() == ["line-too-long"]
    assert fast.quarantine["source_line"].to_pylist() == [2]


def test_a_line_longer_than_a_chunk_is_streamed_past(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectorised_frames, "CHUNK_BYTES", 4096)
    lines = [_line(_span(i)) for i in range(40)]
    lines[7] = _line(_span(7, attributes={"input.value": "y" * 20_000}))
    path = tmp_path / "chunks.jsonl"
    path.write_bytes(b"\n".join(lines))  # no newline after the last line
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, "chunks")
    assert fast.spans["source_line"].to_pylist() == list(range(1, 41))
    assert 8 not in _vector_rows(path)["source_line"].to_pylist()


def test_a_truncated_last_line_is_reported_as_truncated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_bytes(_line(_span(0)) + b"\n" + _line(_span(1))[:-40])
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, "cut")
    assert fast.quarantine["reason"].to_pylist() == ["truncated"]


def test_the_path_is_used_for_big_files_unless_asked_otherwise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "small.jsonl"
    path.write_bytes(_line(_span(0)) + b"\n")
    monkeypatch.delenv("FORENSICS_VECTORISED", raising=False)
    assert not vectorised.wanted(str(path))
    monkeypatch.setattr(vectorised, "MIN_BYTES", 1)
    assert vectorised.wanted(str(path))
    monkeypatch.setenv("FORENSICS_VECTORISED", "0")
    assert not vectorised.wanted(str(path))


def test_a_gzip_or_a_document_is_read_record_by_record(tmp_path: Path) -> None:
    import gzip

    lines = b"\n".join(_line(_span(i)) for i in range(4)) + b"\n"
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(lines))
    (tmp_path / "b.json").write_bytes(b"[" + b",".join(_line(_span(i)) for i in range(4)) + b"]")
    assert not vectorised.eligible(str(tmp_path / "a.jsonl.gz"), Limits())
    assert not vectorised.eligible(str(tmp_path / "b.json"), Limits())
    (tmp_path / "c.jsonl").write_bytes(lines)
    assert vectorised.eligible(str(tmp_path / "c.jsonl"), Limits())


def test_several_invalid_utf8_lines_in_one_chunk_are_each_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lines that are not UTF-8 are found by halving casts (vectorised_frames._utf8_mask): each one, and
    only those, is handed over, however they cluster."""
    bad = HOSTILE["invalid-utf8"]
    lines = [_line(_span(i)) for i in range(20)]
    for i in (0, 6, 7, 19):
        lines[i] = bad
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, "latin")
    assert _vector_rows(path)["source_line"].to_pylist() == [n for n in range(1, 21) if n not in (1, 7, 8, 20)]


def test_a_run_of_handed_over_lines_and_blank_lines_reads_as_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Consecutive lines DuckDB does not map (hostile ones and blank ones, across a chunk boundary)
    are read by the per-record loader as one range: the same rows, quarantine and line numbers."""
    monkeypatch.setattr(vectorised_frames, "CHUNK_BYTES", 2048)
    run = [HOSTILE["nan"], b"", HOSTILE["links"], b"   ", HOSTILE["invalid-json"], HOSTILE["duplicate-attribute"]]
    lines = [_line(_span(i)) for i in range(6)] + run + [_line(_span(i)) for i in range(6, 12)] + run
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join(lines))  # and no newline at the end
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, "runs")
    # NaN is no JSON to orjson; the line with links is span 1 again (line 2's), so finalize drops it.
    assert list(zip(fast.quarantine["source_line"].to_pylist(), fast.quarantine["reason"].to_pylist(), strict=True)) == [
        (7, "invalid-json"), (11, "invalid-json"), (12, "duplicate-key"), (19, "invalid-json"), (23, "invalid-json"),
        (24, "duplicate-key"), (9, "duplicate-span-id"), (21, "duplicate-span-id")]
    assert _vector_rows(path)["source_line"].to_pylist() == [*range(1, 7), *range(13, 19)]


def test_a_line_over_the_vectorised_limit_is_handed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectorised_frames, "_MAX_VECTOR_LINE", 1000)
    long = _line(_span(1, attributes={"input.value": "z" * 2000}))
    path = _hostile_file(tmp_path, "long-for-sql", long)
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, "long-for-sql")
    assert fast.quarantine.num_rows == 0
    assert _vector_rows(path)["source_line"].to_pylist() == [1, 4, 5]


def test_the_vectorised_load_does_not_import_pandas(tmp_path: Path) -> None:
    """pyarrow imports pandas on its first pa.array/pa.scalar/to_numpy/empty_table (~0.4 s CPU):
    the load path builds its arrays from buffers instead (issue 15 item 4)."""
    import subprocess
    import sys

    from forensics.synth.generator import generate

    path = tmp_path / "night.otel.jsonl"
    generate(30, path, format=FORMAT, seed=3)
    code = ("import os, sys; os.environ['FORENSICS_VECTORISED'] = '1'; import forensics; "
            f"r = forensics.load({str(path)!r}, format='otel-sdk-json'); "
            "assert r.spans.num_rows > 300 and r.report.balanced, r; print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out


def test_chunks_framed_ahead_keep_their_order_errors_and_stop_with_the_reader() -> None:
    import threading

    assert list(vectorised_frames._ahead(iter(range(50)))) == list(range(50))

    def broken() -> Any:
        yield 1
        raise OSError("disk gone")

    got = []
    with pytest.raises(OSError, match="disk gone"):
        for item in vectorised_frames._ahead(broken()):
            got.append(item)
    assert got == [1]
    closed = threading.Event()

    def endless() -> Any:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    reader = vectorised_frames._ahead(endless())
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    reader.close()  # the reader stops early: the thread stops and closes its source
    assert closed.wait(5)
    assert not any(t.name == "forensics-frames" for t in threading.enumerate())


def test_chunks_are_framed_before_the_reader_asks_for_the_first() -> None:
    """The framing thread starts when the reader is made, so the first chunks are ready while DuckDB
    is imported and plans the query (a generator would start only at the first ``next``)."""
    import threading

    started = threading.Event()

    def items() -> Any:
        started.set()
        yield from range(3)

    reader = vectorised_frames._ahead(items())
    try:
        assert started.wait(5)
    finally:
        reader.close()
    assert not any(t.name == "forensics-frames" for t in threading.enumerate())


def test_a_line_holding_a_per_record_mark_does_not_fit_and_a_near_miss_does() -> None:
    # The marks are looked for as one regex of literals (vectorised_frames._marks_pattern): each mark
    # holds the regex metacharacters `.` and ` `, which must match only themselves.
    from forensics.loaders.otel_common import PER_RECORD_MARKS

    def fits(line: bytes) -> bool:
        return bool(vectorised_frames._fits(pa.array([line.decode()], pa.string()))[0].as_py())

    plain = _line(_span(1))
    assert fits(plain)
    for mark in PER_RECORD_MARKS:
        assert not fits(plain.replace(b'"note":', b'"note":"' + mark.encode() + b'","n2":')), mark
    # the same names with each `.` another character: no mark, the line fits
    for mark in PER_RECORD_MARKS:
        near = mark.replace(".", "_").replace("handoff to ", "handoff_to_").replace("Agent workflow", "Agent_workflow")
        assert fits(plain.replace(b'"note":', b'"note":"' + near.encode() + b'","n2":')), near


@pytest.mark.parametrize(("template", "kind", "handoff_to"), [
    ("Handoff: {from_agent} \u2192 {to_agent}", "handoff", "Flight Agent"),  # Logfire's template, its arrow non-ASCII
    ("Handoff: {from_agent} \u21d2 {to_agent}", "unknown", None),  # another arrow: no template of semconv_logfire
])
def test_a_template_outside_ascii_is_compared_in_sql_as_written(
        template: str, kind: str, handoff_to: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # vectorised_sql._q spells a non-ASCII literal with chr(): the comparison must still be the text's own.
    raw = _line(_span(1, name="Handoff: Triage \u2192 Flight Agent", kind="SpanKind.INTERNAL", attributes={
        "logfire.msg_template": template, "from_agent": "Triage", "to_agent": "Flight Agent"}))
    path = _hostile_file(tmp_path, "logfire", raw)
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, template)
    row = _vector_rows(path).slice(1, 1).to_pylist()[0]
    assert row["source_line"] == 2
    assert (row["kind"], row["handoff_to"]) == (kind, handoff_to)
