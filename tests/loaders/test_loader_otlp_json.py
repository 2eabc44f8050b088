"""otlp-json on the real OTLP samples (expectations read from the files by hand) and its quirks."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import orjson
import polars as pl
import pytest
from realdata import shared_file

import forensics
from forensics.schema import SPAN_SCHEMA


def test_proto_trace_example_one_server_span() -> None:
    result = forensics.load(shared_file("otlp_json/opentelemetry-proto_examples_trace.json"))
    assert result.spans.schema == SPAN_SCHEMA
    assert result.report.files[0].format == "otlp-json"
    assert result.report.files[0].chosen_by == "sniffed"
    row = result.spans.to_pylist()[0]
    assert result.spans.num_rows == 1
    # Uppercase hex in the file, lowercase in the table.
    assert row["run_id"] == "5b8efff798038103d269b633813fc60c"
    assert row["span_id"] == "eee19b7ec3c1b174"
    assert row["parent_id"] == "eee19b7ec3c1b173"
    assert row["name"] == "I'm a server span"
    assert row["kind"] == "unknown"  # a plain server span carries no agent semantics
    assert row["status"] == "unset"
    assert row["end_time"].timestamp() - row["start_time"].timestamp() == pytest.approx(1.0)
    attrs = json.loads(row["attributes"])
    assert attrs["my.span.attr"] == "some value"
    assert attrs["@span_kind"] == "SERVER"
    assert attrs["@resource"] == {"service.name": "my.service"}
    assert attrs["@scope"]["name"] == "my.library"
    assert attrs["@scope"]["attributes"] == {"my.scope.attribute": "some scope attribute"}


def test_proto_logs_example_becomes_an_event_tied_to_its_span() -> None:
    result = forensics.load(shared_file("otlp_json/opentelemetry-proto_examples_logs.json"))
    assert result.spans.num_rows == 1
    row = result.spans.to_pylist()[0]
    assert row["kind"] == "event"
    assert row["run_id"] == "5b8efff798038103d269b633813fc60c"
    assert row["parent_id"] == "eee19b7ec3c1b174"
    assert row["output"] == "Example log record"
    attrs = json.loads(row["attributes"])
    # Typed values decoded: intValue is a string in OTLP/JSON, the table keeps the number.
    assert attrs["int.attribute"] == 10
    assert attrs["boolean.attribute"] is True
    assert attrs["double.attribute"] == 637.704
    assert attrs["array.attribute"] == ["many", "values"]
    assert attrs["@severity"] == {"number": 10, "text": "Information"}


def test_otlp2parquet_jsonl_base64_ids_and_enum_kinds() -> None:
    # 19 lines, one ExportTraceServiceRequest each, one span per request, 19 distinct traces,
    # 6 of them root spans (no parentSpanId); no status is set anywhere (counted by hand).
    result = forensics.load(shared_file("otlp_json/otlp2parquet_testdata_traces.jsonl"))
    df = result.to_polars()
    assert df.height == 19
    assert df["run_id"].n_unique() == 19
    assert df["parent_id"].null_count() == 6
    assert set(df["status"]) == {"unset"}
    first = df.row(0, named=True)
    assert first["run_id"] == "69842a979911036cf3e822086ecaa007"  # aYQql5kRA2zz6CIIbsqgBw==
    assert first["span_id"] == "5a69fc178ba8f837"  # Wmn8F4uo+Dc=
    assert first["parent_id"] == "44e61d9ab30fcb06"  # ROYdmrMPywY=
    assert first["name"] == "product-catalog.execute"
    assert first["source_line"] == 1
    assert df["source_line"].to_list() == list(range(1, 20))
    kinds = [json.loads(a)["@span_kind"] for a in df["attributes"]]
    assert kinds.count("CLIENT") == 6 and kinds.count("SERVER") == 3 and kinds.count("INTERNAL") == 10


def _request(spans: list[dict[str, object]], resource: dict[str, str] | None = None) -> dict[str, object]:
    attrs = [{"key": k, "value": {"stringValue": v}} for k, v in (resource or {"service.name": "svc"}).items()]
    return {"resourceSpans": [{"resource": {"attributes": attrs}, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]}


def _span(span_id: str, parent: str = "", **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": span_id,
        "parentSpanId": parent,
        "name": f"span {span_id}",
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
        "kind": 1,
    }
    base.update(extra)
    return base


def _attr(key: str, value: object) -> dict[str, object]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def test_genai_semantic_conventions_map_to_columns(tmp_path: Path) -> None:
    spans = [
        _span("00000000000000a1", attributes=[_attr("gen_ai.operation.name", "invoke_agent"), _attr("gen_ai.agent.name", "triage"),
                                              _attr("gen_ai.conversation.id", "conv-7")]),
        _span("00000000000000a2", "00000000000000a1", attributes=[
            _attr("gen_ai.operation.name", "chat"), _attr("gen_ai.request.model", "gpt-4o"),
            _attr("gen_ai.response.model", "gpt-4o-2024-08-06"),
            _attr("gen_ai.usage.input_tokens", 1200), _attr("gen_ai.usage.output_tokens", 80)]),
        _span("00000000000000a3", "00000000000000a1",
              attributes=[_attr("gen_ai.operation.name", "execute_tool"), _attr("gen_ai.tool.name", "crm.lookup"),
                          _attr("error.type", "429")],
              status={"code": "STATUS_CODE_ERROR", "message": "Too Many Requests"},
              events=[{"name": "exception", "timeUnixNano": "1700000000500000000",
                       "attributes": [_attr("exception.type", "RateLimitError"), _attr("exception.message", "429 Too Many Requests")]}]),
    ]
    path = tmp_path / "genai.json"
    path.write_bytes(orjson.dumps(_request(spans)))
    df = forensics.load(path).to_polars()
    rows = {r["span_id"]: r for r in df.iter_rows(named=True)}
    agent, llm, tool = rows["00000000000000a1"], rows["00000000000000a2"], rows["00000000000000a3"]
    assert (agent["kind"], agent["agent"], agent["session_id"]) == ("agent", "triage", "conv-7")
    assert (llm["kind"], llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("llm", "gpt-4o-2024-08-06", 1200, 80)
    assert llm["agent"] == "triage"  # inherited from the agent span
    assert llm["session_id"] == "conv-7"  # filled for the whole run
    assert json.loads(llm["attributes"])["gen_ai.request.model"] == "gpt-4o"  # the alternative is kept, not lost
    assert (tool["kind"], tool["tool"], tool["status"]) == ("tool", "crm.lookup", "error")
    assert tool["error_type"] == "429"  # error.type wins over the exception event's type
    assert tool["error_message"] == "Too Many Requests"
    assert json.loads(tool["attributes"])["@events"][0]["attributes"]["exception.type"] == "RateLimitError"


def test_int_and_string_status_codes_and_kinds(tmp_path: Path) -> None:
    spans = [
        _span("00000000000000b1", status={"code": 2, "message": "boom"}, kind="SPAN_KIND_CLIENT"),
        _span("00000000000000b2", status={"code": 1}, kind=3),
        _span("00000000000000b3", status={"code": "STATUS_CODE_UNSET"}),
    ]
    path = tmp_path / "status.json"
    path.write_bytes(orjson.dumps(_request(spans)))
    df = forensics.load(path).to_polars().sort("span_id")
    assert df["status"].to_list() == ["error", "ok", "unset"]
    assert df["error_message"].to_list() == ["boom", None, None]
    assert [json.loads(a)["@span_kind"] for a in df["attributes"]] == ["CLIENT", "CLIENT", "INTERNAL"]


def test_collector_file_exporter_lines_gzip_and_bad_lines(tmp_path: Path) -> None:
    good = orjson.dumps(_request([_span("00000000000000c1")])).decode()
    good2 = orjson.dumps(_request([_span("00000000000000c2", "00000000000000c1"), _span("00000000000000c3", "00000000000000c1")])).decode()
    bad_id = orjson.dumps(_request([_span("not-an-id-at-all!", traceId=1.5)])).decode()
    lines = [good, "{not json", good2, bad_id, good2[: len(good2) // 2]]
    path = tmp_path / "export.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines))
    result = forensics.load(path)
    account = result.report.files[0]
    assert account.format == "otlp-json"
    assert (account.rows, account.quarantined) == (3, 3)
    assert account.records_read == 6
    reasons = dict(zip(result.quarantine["source_line"].to_pylist(), result.quarantine["reason"].to_pylist(), strict=True))
    assert reasons == {2: "invalid-json", 4: "invalid-id", 5: "truncated"}
    detail = pl.from_arrow(result.quarantine).filter(pl.col("source_line") == 4)["detail"][0]
    assert "traceId" in detail and "float" in detail


def test_a_request_that_is_not_otlp_is_quarantined_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(orjson.dumps(_request([_span("00000000000000d1")])).decode() + "\n" + '{"hello": "world"}\n')
    result = forensics.load(path)
    assert result.spans.num_rows == 1
    assert result.quarantine["reason"].to_pylist() == ["not-otlp-request"]
    assert result.report.records_read == 2


def test_malformed_any_values_and_status_are_quarantined_not_a_crash(tmp_path: Path) -> None:
    """An arrayValue or kvlistValue that is not {"values": [...]}, and a status that is not an
    object, end in the quarantine with their reason; the good spans beside them load."""
    spans = [
        _span("00000000000000c1", attributes=[{"key": "tags", "value": {"arrayValue": 1}}]),
        _span("00000000000000c2", attributes=[{"key": "m", "value": {"kvlistValue": "x"}}]),
        _span("00000000000000c3", status="ERROR"),
        _span("00000000000000c4", attributes=[{"key": "tags", "value": {"arrayValue": {"values": [
            {"stringValue": "a"}, {"intValue": "2"}]}}}]),
    ]
    path = tmp_path / "malformed.json"
    path.write_bytes(orjson.dumps(_request(spans)))
    result = forensics.load(path, format="otlp-json")
    assert result.spans.column("span_id").to_pylist() == ["00000000000000c4"]
    assert json.loads(result.spans.column("attributes")[0].as_py())["tags"] == ["a", 2]
    reasons = sorted(result.quarantine.column("reason").to_pylist())
    assert reasons == ["invalid-attribute", "invalid-attribute", "invalid-status"]
    details = " ".join(result.quarantine.column("detail").to_pylist())
    assert "arrayValue must be" in details and "kvlistValue must be" in details and "found str 'ERROR'" in details
    assert result.report.files[0].balanced


def test_an_int_value_that_is_no_whole_number_quarantines_its_span_not_the_file(tmp_path: Path) -> None:
    """proto3 JSON writes an int64 ``intValue`` as a decimal string: a corrupted one ("{200", found
    by the property test on a real file) is that span's invalid-attribute, with the value and what
    was expected; the span beside it loads (before, the whole file crashed the loader)."""
    spans = [
        _span("00000000000000e1", attributes=[{"key": "http.response.status_code", "value": {"intValue": "{200"}}]),
        _span("00000000000000e2", attributes=[{"key": "http.response.status_code", "value": {"intValue": "200"}}]),
    ]
    path = tmp_path / "bad_int.json"
    path.write_bytes(orjson.dumps(_request(spans)))
    result = forensics.load(path, format="otlp-json")
    assert result.spans.column("span_id").to_pylist() == ["00000000000000e2"]
    assert result.quarantine.column("reason").to_pylist() == ["invalid-attribute"]
    detail = result.quarantine.column("detail")[0].as_py()
    assert "'{200'" in detail and "decimal string" in detail
    assert result.report.files[0].balanced


def test_a_resent_batch_is_quarantined_as_an_identical_copy_not_a_conflict(tmp_path: Path) -> None:
    """An exporter that could not confirm an export sends the batch again (the retry behaviour of
    opentelemetry-specification specification/protocol/exporter.md), and a file exporter writes both
    requests, one per line: the copy is the same span field for field, harmless, and says so
    (resent-span-copy); a span that reuses the id with other contents is still a duplicate-span-id."""
    request = orjson.loads(shared_file("otlp_json/opentelemetry-proto_examples_trace.json").read_bytes())
    other = json.loads(json.dumps(request))
    other["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] = "another span, same id"
    path = tmp_path / "resent.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in (request, request, other)) + b"\n")
    result = forensics.load(path)
    assert result.spans.column("name").to_pylist() == ["I'm a server span"]
    quarantine = result.quarantine.to_pylist()
    assert [(q["source_line"], q["reason"]) for q in quarantine] == [(2, "resent-span-copy"), (3, "duplicate-span-id")]
    assert "identical copy of the span at" in quarantine[0]["detail"] and "resent.jsonl:1" in quarantine[0]["detail"]
    assert "with other contents" in quarantine[1]["detail"]
    account = result.report.files[0]
    assert account.reasons == {"resent-span-copy": 1, "duplicate-span-id": 1}
    assert account.records_read == account.rows + account.quarantined + account.merged == 3


def _agents_sdk_request(root_attrs: dict, scope: str = "openinference.instrumentation.openai_agents") -> dict:
    """An OpenAI Agents SDK run as openinference-instrumentation-openai-agents (_processor.py) exports
    it over OTLP: the trace's span (on_trace_start: named by the workflow, span kind AGENT only), the
    agent's span and its model call (on_span_start: the kind and llm.system "openai"); attributes as
    in ../shared/formats/langfuse/langfuse_openai-agents-2025-09-30.trace.json."""
    def span(sid: str, parent: str, name: str, start: int, attrs: dict) -> dict:
        return {"traceId": "a9e0000000000000000000000000000b", "spanId": f"{sid:0>16}", "parentSpanId": parent and f"{parent:0>16}",
                "name": name, "kind": 1, "startTimeUnixNano": f"175922304{start}000000000",
                "endTimeUnixNano": f"175922304{start + 1}000000000", "status": {"code": 1},
                "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]}
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "unknown_service"}}]},
                               "scopeSpans": [{"scope": {"name": scope, "version": "1.3.0"}, "spans": [
        span("a0", "", "Agent workflow", 0, root_attrs),
        span("a1", "a0", "Hello world", 1, {"llm.system": "openai", "graph.node.id": "Hello world",
                                             "openinference.span.kind": "AGENT"}),
        span("a2", "a1", "response", 2, {"llm.system": "openai", "openinference.span.kind": "LLM"}),
    ]}]}]}


@pytest.mark.parametrize("as_lines", [True, False])
def test_agents_sdk_trace_span_is_the_runs_container_not_an_agent(tmp_path: Path, as_lines: bool) -> None:
    path = tmp_path / ("agents.otlp.jsonl" if as_lines else "agents.json")  # lines: the vectorised reader hands it over
    path.write_bytes(orjson.dumps(_agents_sdk_request({"openinference.span.kind": "AGENT"})) + b"\n")
    rows = {r["name"]: r for r in forensics.load(path).spans.to_pylist()}
    assert (rows["Agent workflow"]["kind"], rows["Agent workflow"]["agent"]) == ("chain", None)
    assert (rows["Hello world"]["kind"], rows["Hello world"]["agent"]) == ("agent", "Hello world")
    assert rows["response"]["agent"] == "Hello world"


def test_near_miss_an_agent_span_of_the_sdk_or_of_another_scope_stays_an_agent(tmp_path: Path) -> None:
    # With llm.system it is one of the SDK's own spans; under another instrumentation's scope an AGENT
    # span with nothing else is that instrumentation's agent.
    for name, request in (("own", _agents_sdk_request({"openinference.span.kind": "AGENT", "llm.system": "openai"})),
                          ("other", _agents_sdk_request({"openinference.span.kind": "AGENT"}, "my.app"))):
        path = tmp_path / f"{name}.json"
        path.write_bytes(orjson.dumps(request))
        root = next(r for r in forensics.load(path).spans.to_pylist() if r["name"] == "Agent workflow")
        assert (root["kind"], root["agent"]) == ("agent", "Agent workflow"), name
