"""Records wrapped in a document ({"trace_id": ..., "spans": [rows]}): one mechanism in the shared
framing, for every loader. Expectations were written by reading the fixtures in tests/data/wrappers/
and tests/data/otel_clickhouse/wrapped_trace.json (see the README beside them)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

import forensics
from forensics.loaders import Loader, Sample, registry
from forensics.loaders.base import WRAPPER_KEYS, choose_wrapper, passed_down, read_sample, with_fields

DATA = Path(__file__).parents[1] / "data"
WRAPPED_TRACE = DATA / "otel_clickhouse" / "wrapped_trace.json"
TRACE = "5a1e0c2b9d7f4e3a8b6c1d2e3f405162"


def _rows(result: forensics.LoadResult) -> dict[str, dict]:
    return {r["span_id"]: r for r in result.spans.to_pylist()}


# -- the real case: ClickHouse-exporter rows wrapped as {trace_id, spans} -------------------------

@pytest.mark.parametrize("fmt", [None, "otel-clickhouse"], ids=["sniffed", "given"])
def test_clickhouse_rows_wrapped_as_trace_and_spans_load_as_one_run(fmt: str | None) -> None:
    result = forensics.load(WRAPPED_TRACE, format=fmt)
    account = result.report.files[0]
    assert (account.format, account.records_read, account.rows, account.quarantined) == ("otel-clickhouse", 4, 4, 0)
    rows = _rows(result)
    assert set(rows) == {f"b00000000000000{i}" for i in (1, 2, 3, 4)}
    assert {r["run_id"] for r in rows.values()} == {TRACE}
    # Parents: two children name theirs, the grandchild has none of its own (taken from child_spans).
    assert rows["b000000000000001"]["parent_id"] is None
    assert rows["b000000000000002"]["parent_id"] == rows["b000000000000003"]["parent_id"] == "b000000000000001"
    assert rows["b000000000000004"]["parent_id"] == "b000000000000003"
    assert [rows[f"b00000000000000{i}"]["name"] for i in (1, 2, 3, 4)] == [
        "CodeAgent.run", "LiteLLMModel.__call__", "PageOverviewTool", "fetch_page"]
    # Inputs and outputs: the root's from its span attributes, the tool's only from its logs[].body.
    assert json.loads(rows["b000000000000001"]["input"]) == {"task": "How many studio albums did the band release before 2000?"}
    assert rows["b000000000000001"]["output"] == "7"
    tool = rows["b000000000000003"]
    assert (tool["kind"], tool["tool"]) == ("tool", "page_overview")
    assert json.loads(tool["input"]) == {"url": "https://en.wikipedia.org/wiki/Example_band"}
    assert tool["output"] == "Studio albums: 1991, 1993, 1995, 1998, 2001"
    assert json.loads(tool["attributes"])["@logs"][0]["severity_text"] == "INFO"  # the log itself is kept
    # A body written as JSON text is parsed; its exception names the failed span's error type.
    fetch = rows["b000000000000004"]
    assert (fetch["status"], fetch["error_type"], fetch["error_message"]) == (
        "error", "requests.exceptions.HTTPError", "HTTP 429")
    assert json.loads(fetch["input"]) == {"url": "https://en.wikipedia.org/wiki/Example_band"}
    # ISO-8601 durations: PT12.5S, PT0.750S.
    assert (rows["b000000000000001"]["end_time"] - rows["b000000000000001"]["start_time"]).total_seconds() == 12.5
    assert (tool["end_time"] - tool["start_time"]).total_seconds() == 0.75


def test_the_wrapper_trace_id_fills_rows_that_lack_one(tmp_path: Path) -> None:
    doc = json.loads(WRAPPED_TRACE.read_text())
    for row in doc["spans"]:
        del row["trace_id"]
    path = tmp_path / "no_row_ids.json"
    path.write_text(json.dumps(doc))
    result = forensics.load(path)
    # Nested rows keep their own trace_id; the top row got the wrapper's.
    assert set(result.spans.column("run_id").to_pylist()) == {TRACE}
    assert result.report.files[0].rows == 4


def test_a_row_own_trace_id_is_never_overridden_by_the_wrapper() -> None:
    fields = passed_down({"trace_id": "wrapper", "spans": [], "rows": 3, "start_time": "2025-01-01", "ok": True})
    assert fields == {"trace_id": "wrapper"}  # ids pass down; a count, a time, a flag do not
    row = {"TraceId": "own", "SpanId": "a"}
    assert with_fields(row, fields) == row  # TraceId and trace_id are one column
    assert with_fields({"SpanId": "a"}, fields) == {"SpanId": "a", "trace_id": "wrapper"}


def test_clickhouse_format_json_reads_through_data_without_passing_its_row_count() -> None:
    result = forensics.load(DATA / "otel_clickhouse" / "format_json.json")
    account = result.report.files[0]
    assert (account.format, account.rows, account.quarantined) == ("otel-clickhouse", 2, 0)
    assert account.notes == ["records read through the wrapper key `data` (1 wrapper); passed down to them: nothing; "
                             "wrapper fields not read: meta, rows, statistics"]  # said, not dropped silently
    for row in result.spans.to_pylist():
        attrs = json.loads(row["attributes"] or "{}")
        assert "rows" not in attrs and "@rows" not in attrs and "statistics" not in attrs


# -- one fixture per wrapper shape -----------------------------------------------------------------

def test_otel_sdk_spans_under_items_with_a_session_id() -> None:
    result = forensics.load(DATA / "wrappers" / "otel_sdk_items.json")
    account = result.report.files[0]
    assert (account.format, account.rows, account.quarantined) == ("otel-sdk-json", 2, 0)
    rows = _rows(result)
    assert rows["1000000000000002"]["parent_id"] == "1000000000000001"
    assert rows["1000000000000002"]["status"] == "error"
    assert json.loads(rows["1000000000000001"]["attributes"])["@session_id"] == "sess-42"  # passed down, kept


def test_claude_code_lines_under_events_get_the_wrapper_session() -> None:
    result = forensics.load(DATA / "wrappers" / "claude_code_events.json")
    account = result.report.files[0]
    assert (account.format, account.rows, account.quarantined) == ("claude-code", 2, 0)
    assert set(result.spans.column("run_id").to_pylist()) == {"7f3a9c2e-1b4d-4e8f-9a6b-2c5d8e1f4a7b"}
    rows = _rows(result)
    assert rows["aaaaaaaa-0000-4000-8000-000000000002"]["parent_id"] == "aaaaaaaa-0000-4000-8000-000000000001"


def test_one_wrapper_per_json_line_numbers_records_apart() -> None:
    result = forensics.load(DATA / "wrappers" / "jsonl_rows_lines.jsonl")
    account = result.report.files[0]
    assert (account.format, account.records_read, account.rows, account.quarantined) == ("jsonl", 4, 4, 0)
    assert account.notes == ["records read through the wrapper key `rows` (2 wrappers); passed down to them: run_id; "
                             "wrapper fields not read: none"]
    by_name = [(r["run_id"], r["name"], r["source_line"]) for r in result.spans.to_pylist()]
    assert by_name == [("nightly-7", "job started", 1), ("nightly-7", "export failed", 2),
                       ("nightly-8", "job started", 3), ("nightly-8b", "job done", 4)]


# -- every loader: the same records, wrapped under each key, give the same rows ---------------------

#: JSON-lines fixtures whose records stand alone (no state across lines): loader → file.
_STANDALONE = {
    "otel-sdk-json": DATA / "otel_sdk_json" / "monocle_ms-travel-agent-openai_sample_trace.json",
    "openinference": DATA / "openinference" / "phoenix_dataframe.jsonl",
    "otel-clickhouse": DATA / "otel_clickhouse" / "pascal.jsonl",
    "langfuse": DATA / "langfuse" / "observations.jsonl",
    "jsonl": DATA / "jsonl" / "support_bot.jsonl",
    "claude-code": DATA / "claude_code" / "claude-code-log_representative_messages.jsonl",
}


def _records(path: Path) -> list[dict]:
    text = path.read_text()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return doc if isinstance(doc, list) else [doc]


@pytest.mark.parametrize("fmt", sorted(_STANDALONE))
@pytest.mark.parametrize("key", ["spans", "data", "items", "records", "results", "events"])
def test_every_loader_reads_its_records_through_a_wrapper(tmp_path: Path, fmt: str, key: str) -> None:
    source = _STANDALONE[fmt]
    if not source.exists():
        pytest.skip(f"{source} is not in this checkout")
    plain = forensics.load(source, format=fmt)
    records = _records(source)
    wrapped = tmp_path / f"wrapped_{key}.json"
    wrapped.write_bytes(orjson.dumps({"export_id": "exp-1", key: records}, option=orjson.OPT_INDENT_2))
    got = forensics.load(wrapped)  # sniffed through the wrapper
    account = got.report.files[0]
    assert account.format == fmt
    assert (account.rows, account.quarantined) == (plain.report.rows, plain.report.quarantined)
    strip = ["source_file", "source_line", "attributes"]
    assert got.spans.drop(strip).to_pylist() == plain.spans.drop(strip).to_pylist()


def test_a_loader_that_claims_the_wrapping_object_reads_it_as_before() -> None:
    class Wants(Loader):
        name = "wants-the-document"

        def sniff(self, sample: Sample) -> float:
            return 0.9 if "runs" in sample.keys else (1.0 if sample.keys >= {"id", "run_type"} else 0.0)

    class Inner(Loader):
        name = "wants-the-records"

        def sniff(self, sample: Sample) -> float:
            return 1.0 if sample.keys >= {"id", "run_type"} else 0.0

    sample = Sample(path="x.json", head=b"", text="", first={"rule_id": "r", "runs": [{"id": "1", "run_type": "tool"}]},
                    is_document=True)
    assert choose_wrapper(Wants(), sample) == (0.9, None)  # claimed at 0.9: never taken away from it
    assert choose_wrapper(Inner(), sample) == (1.0, "runs")


def test_wrapper_keys_are_the_documented_ones() -> None:
    assert {"spans", "data", "rows", "items", "records", "results", "traces", "observations", "runs",
            "events"} <= set(WRAPPER_KEYS)


def test_sniffing_looks_through_the_wrapper_of_a_large_document(tmp_path: Path) -> None:
    doc = json.loads(WRAPPED_TRACE.read_text())
    row = doc["spans"][0]
    doc["spans"] = [dict(row, span_id=f"c{i:015x}", child_spans=[]) for i in range(1, 20_001)]  # ~20 MB
    path = tmp_path / "big.json"
    path.write_bytes(orjson.dumps(doc))
    assert path.stat().st_size > 10_000_000
    result = registry.sniff_file(str(path))
    assert (result.format, result.wrapper) == ("otel-clickhouse", "spans")
    sample = read_sample(str(path))
    assert sample.keys == {"trace_id", "spans"} and not sample.cut


def test_the_fuzzer_starts_every_json_loader_from_a_wrapped_seed_too() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1]))
    from fuzz import seeds

    for loader in registry.names():
        if not {".json", ".jsonl"} & set(registry.get(loader).suffixes):
            continue  # reads a database (sql) or typed Parquet (span-table), never JSON text
        generated = seeds.generated_seeds(loader, seeds.seed_files(loader))
        wrapped = [name for name in generated if name.startswith("wrapped-")]
        assert wrapped, f"`{loader}` has no wrapped seed"
        doc = json.loads(generated[wrapped[0]])
        assert set(doc) == {"trace_id", "spans"} and doc["spans"]
