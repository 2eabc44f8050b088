"""otel-clickhouse on hand-written rows of the ClickHouse exporter's otel_traces table (no real
export exists in ../shared/formats; the columns follow the exporter's traces_table.sql)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fuzz.seeds import clickhouse_otel_traces_table

import forensics

DATA = Path(__file__).resolve().parents[1] / "data" / "otel_clickhouse"


def _rows(result: forensics.LoadResult) -> dict[str, dict]:
    return {r["span_id"]: r for r in result.spans.to_pylist()}


def test_json_each_row_pascal_case_with_openinference_attributes() -> None:
    result = forensics.load(DATA / "pascal.jsonl")
    account = result.report.files[0]
    assert (account.format, account.chosen_by, account.rows) == ("otel-clickhouse", "sniffed", 3)
    rows = _rows(result)
    root, llm, tool = rows["b7ad6b7169203331"], rows["00f067aa0ba902b7"], rows["53995c3f42cd8ad8"]
    assert (root["kind"], root["agent"], root["parent_id"], root["status"]) == ("agent", "ResearchAgent", None, "ok")
    # DateTime64(9) text keeps its nanoseconds; Duration is a quoted UInt64.
    table = result.spans
    starts = table.column("start_time").cast(pa.int64()).to_pylist()
    ends = table.column("end_time").cast(pa.int64()).to_pylist()
    ids = table.column("span_id").to_pylist()
    assert starts[ids.index("b7ad6b7169203331")] == 1743501600_123456789
    assert ends[ids.index("b7ad6b7169203331")] - starts[ids.index("b7ad6b7169203331")] == 4_000_000_000
    assert (llm["kind"], llm["model"], llm["input_tokens"], llm["output_tokens"], llm["output"]) == (
        "llm", "gpt-4o", 12, 5, "call search")
    assert (tool["kind"], tool["tool"], tool["status"]) == ("tool", "search", "error")
    # StatusMessage and the exception event both say what happened: the status message wins the
    # message, the event gives the type.
    assert (tool["error_type"], tool["error_message"]) == ("TimeoutError", "search timed out")
    attrs = json.loads(tool["attributes"])
    assert attrs["@events"][0]["attributes"]["exception.message"] == "search timed out after 2s"
    assert attrs["@span_kind"] == "INTERNAL"
    assert {r["session_id"] for r in rows.values()} == {"sess-9"}  # session.id on the root, filled per run
    root_attrs = json.loads(root["attributes"])
    assert root_attrs["@resource"] == {"service.name": "research-svc", "deployment.environment": "prod"}
    # The scope as the OTLP loaders keep it; the empty TraceState and Links arrays leave nothing behind.
    assert root_attrs["@scope"] == {"name": "openinference.instrumentation.langchain", "version": "0.1.0"}
    assert not {"@ScopeName", "@ScopeVersion", "@TraceState", "@Links.TraceId", "@traceState", "@links"} & set(root_attrs)


def test_snake_case_iso_durations_and_handoff() -> None:
    result = forensics.load(DATA / "snake.json")
    rows = _rows(result)
    triage, transfer = rows["a000000000000001"], rows["a000000000000002"]
    assert (triage["kind"], triage["agent"]) == ("agent", "Triage")
    assert (triage["end_time"] - triage["start_time"]).total_seconds() == 3.0  # PT3S
    assert (transfer["end_time"] - transfer["start_time"]).total_seconds() == 1.5  # PT1.5S
    # A transfer_to_<agent> tool call is a handoff (finalisation), owned by the calling agent.
    assert (transfer["kind"], transfer["handoff_to"], transfer["agent"]) == ("handoff", "billing", "Triage")
    assert json.loads(transfer["attributes"])["@events"][0]["name"] == "handoff.requested"


def test_nested_child_spans_and_json_typed_attributes() -> None:
    rows = _rows(forensics.load(DATA / "nested.json"))
    assert rows["c000000000000001"]["kind"] == "chain"  # {"openinference": {"span": {"kind": ...}}} flattened
    assert rows["c000000000000002"]["parent_id"] == "c000000000000001"  # from the nesting
    write = rows["c000000000000003"]
    assert (write["parent_id"], write["tool"], write["agent"]) == ("c000000000000002", "write_file", "Writer")


def test_clickhouse_format_json_envelope() -> None:
    result = forensics.load(DATA / "format_json.json")
    assert result.report.files[0].format == "otel-clickhouse"
    rows = _rows(result)
    assert set(rows) == {"d000000000000001", "d000000000000002"}
    assert rows["d000000000000002"]["parent_id"] == "d000000000000001"


def test_parquet_with_map_columns_and_event_structs(tmp_path: Path) -> None:
    table = clickhouse_otel_traces_table()  # two spans: Map columns, Nested events (read it there)
    path = tmp_path / "otel_traces.parquet"
    pq.write_table(table, path)
    result = forensics.load(path)
    assert result.report.files[0].format == "otel-clickhouse"
    rows = _rows(result)
    lookup = rows["f000000000000002"]
    assert (lookup["kind"], lookup["tool"], lookup["status"], lookup["error_type"], lookup["error_message"]) == (
        "tool", "lookup", "error", "KeyError", "not found")
    assert (lookup["end_time"] - lookup["start_time"]).total_seconds() == 0.5
    assert rows["f000000000000001"]["agent"] == "Agent" and lookup["agent"] == "Agent"
    assert [r["source_line"] for r in result.spans.to_pylist()] == [1, 2]


def test_malformed_rows_are_quarantined_with_reasons() -> None:
    result = forensics.load(DATA / "malformed.jsonl")
    account = result.report.files[0]
    reasons = {(q["source_line"], q["reason"]) for q in result.quarantine.to_pylist()}
    assert reasons == {
        (2, "invalid-duration"), (3, "missing-span-id"), (4, "invalid-id"), (5, "invalid-event"),
        (6, "invalid-attribute"), (7, "invalid-status"), (8, "not-an-object"), (9, "invalid-time"),
        (10, "invalid-duration"),
    }
    details = {q["source_line"]: q["detail"] for q in result.quarantine.to_pylist()}
    assert "'Weird'" in details[7]  # the value as the file wrote it
    assert [r["span_id"] for r in result.spans.to_pylist()] == ["e000000000000001"]
    assert account.records_read == 10 == account.rows + account.quarantined + account.merged


def test_a_json_each_row_file_of_many_traces_loads_every_row(tmp_path: Path) -> None:
    template = (DATA / "pascal.jsonl").read_text().splitlines()
    path = tmp_path / "big.jsonl"
    with path.open("w") as fh:
        for i in range(300):
            for line in template:
                row = json.loads(line)
                row["TraceId"] = f"{i:032x}"
                fh.write(json.dumps(row) + "\n")
    single = forensics.load(path)
    assert single.spans.num_rows == 900
    assert single.report.quarantined == 0


def _one(tmp_path: Path, **extra: object) -> forensics.LoadResult:
    row = {"Timestamp": "2025-04-01 10:00:00", "TraceId": "4ef7651916cd43dd8448eb211c80319c",
           "SpanId": "e000000000000001", "SpanName": "tool", "Duration": "1000", **extra}
    path = tmp_path / "row.jsonl"
    path.write_text(json.dumps(row) + "\n")
    return forensics.load(path, format="otel-clickhouse")


def test_log_bodies_fill_input_output_and_error_only_where_the_row_left_them(tmp_path: Path) -> None:
    body = {"function.name": "f", "function.arguments": {"x": 1}, "function.output": [1, 2],
            "exception.type": "ValueError", "exception.message": "bad x"}
    # An unset span: its input and output come from the body; the logged exception stays in @logs only.
    row = _one(tmp_path, Logs=[{"Body": body, "SeverityText": "ERROR"}]).spans.to_pylist()[0]
    assert (json.loads(row["input"]), json.loads(row["output"])) == ({"x": 1}, [1, 2])
    assert row["error_type"] is None and row["status"] == "unset"
    assert json.loads(row["attributes"])["@logs"][0]["SeverityText"] == "ERROR"
    # A failed span takes the error type from the body; its own input (span attributes) wins.
    row = _one(tmp_path, StatusCode="Error", SpanAttributes={"input.value": "own"},
               Logs=[{"Body": json.dumps(body)}]).spans.to_pylist()[0]
    assert (row["status"], row["error_type"], row["error_message"], row["input"]) == ("error", "ValueError", "bad x", "own")
    # Plain text bodies are kept as written, nothing inferred from them.
    row = _one(tmp_path, logs=[{"body": "{not json"}, {"body": "step done"}]).spans.to_pylist()[0]
    assert row["input"] is None and row["output"] is None
    assert [log["body"] for log in json.loads(row["attributes"])["@logs"]] == ["{not json", "step done"]


def test_logs_that_are_not_a_list_of_records_are_quarantined(tmp_path: Path) -> None:
    for logs in ({"body": "x"}, ["x"]):
        result = _one(tmp_path, logs=logs)
        assert (result.report.rows, result.report.quarantined) == (0, 1)
        assert result.quarantine["reason"].to_pylist() == ["invalid-log"]
