"""openai-agents: the Agents SDK's native trace/span export. No real export is committed anywhere we
could copy (FIELDS.md §5), so the fixtures are hand-written from the SDK's ``Span.export()`` /
``Trace.export()`` / ``span_data.py`` shapes; each quirk has its file, and malformed variants
must end in the quarantine."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from loader_fuzz import check_damaged_file
from realdata import DATA, real_samples

import forensics
from forensics.loaders import registry

HERE = DATA / "openai_agents"
TRACE = "trace_0123456789abcdef0123456789abcdef"


def ns(text: str) -> int:
    parsed = datetime.fromisoformat(text)
    return int(parsed.timestamp()) * 1_000_000_000 + parsed.microsecond * 1_000


def load(path: Path) -> tuple[forensics.LoadResult, pl.DataFrame]:
    result = forensics.load(path)
    account = result.report.files[0]
    assert (account.format, account.chosen_by) == ("openai-agents", "sniffed")
    assert account.records_read == account.rows + account.quarantined + account.merged
    return result, result.to_polars().with_columns(pl.col("start_time", "end_time").dt.epoch("ns"))


def span(df: pl.DataFrame, suffix: str) -> dict:
    return df.filter(pl.col("span_id") == f"span_aaaaaaaaaaaaaaaaaaaaaa{suffix}").row(0, named=True)


def test_export_array_every_span_type() -> None:
    result, df = load(HERE / "export.json")
    account = result.report.files[0]
    # 1 trace record (folded into its spans) + 11 spans.
    assert (account.records_read, account.rows, account.merged, account.quarantined) == (12, 11, 1, 0)
    assert set(df["run_id"]) == {TRACE}  # opaque trace_… ids stay as written
    assert set(df["session_id"]) == {"conv-42"}  # the trace's group_id
    assert Counter(df["kind"]) == {"agent": 2, "llm": 2, "tool": 2, "guardrail": 1, "handoff": 1, "chain": 3}
    triage = span(df, "01")
    assert (triage["kind"], triage["agent"], triage["parent_id"]) == ("agent", "Triage Agent", None)
    assert triage["start_time"] == ns("2025-06-01T10:00:00.000000+00:00")
    trace_attrs = json.loads(triage["attributes"])
    assert trace_attrs["@trace"] == {"workflow_name": "Customer service", "group_id": "conv-42", "metadata": {"channel": "chat"}}
    assert trace_attrs["handoffs"] == ["Billing Agent"]
    gen = span(df, "02")
    assert (gen["kind"], gen["model"], gen["input_tokens"], gen["output_tokens"], gen["agent"]) == ("llm", "gpt-4o", 50, 10, "Triage Agent")
    assert json.loads(gen["input"]) == [{"role": "user", "content": "I was charged twice"}]
    tool = span(df, "03")
    assert (tool["kind"], tool["tool"], tool["input"], tool["status"]) == ("tool", "lookup_order", '{"order_id": 17}', "ok")
    guard = span(df, "04")
    assert (guard["kind"], guard["name"], guard["status"]) == ("guardrail", "no_pii", "ok")
    assert json.loads(guard["attributes"])["triggered"] is True
    handoff = span(df, "05")
    assert (handoff["kind"], handoff["agent"], handoff["handoff_to"]) == ("handoff", "Triage Agent", "Billing Agent")
    billing = span(df, "06")
    assert (billing["kind"], billing["agent"], billing["parent_id"]) == ("agent", "Billing Agent", None)
    response = span(df, "07")
    assert (response["kind"], response["input_tokens"], response["output_tokens"]) == ("llm", 80, 12)
    assert json.loads(response["attributes"])["response_id"] == "resp_123"
    refund = span(df, "08")
    assert (refund["status"], refund["error_message"], refund["agent"]) == ("error", "Error running tool: card declined", "Billing Agent")
    assert json.loads(refund["attributes"])["@error_data"] == {"tool_name": "refund", "error": "card declined"}
    turn = span(df, "09")  # custom span with sdk_span_type turn names its agent
    assert (turn["kind"], turn["agent"]) == ("chain", "Billing Agent")
    mcp = span(df, "10")
    # MCPListToolsSpanData (src/agents/tracing/span_data.py; src/agents/mcp/util.py MCPUtil._list_tools_with_span):
    # the listing of a server's tools is a step of the run, not a tool call.
    assert (mcp["kind"], mcp["name"], mcp["tool"], mcp["input"]) == ("chain", "mcp_list_tools", None, "payments-mcp")
    audit = span(df, "11")
    assert (audit["kind"], audit["status"], audit["end_time"]) == ("chain", "unset", None)


def test_jsonl_with_trace_record_after_its_spans() -> None:
    result, df = load(HERE / "trace_after_spans.jsonl")
    assert (result.report.files[0].rows, result.report.files[0].merged) == (2, 1)
    assert set(df["session_id"]) == {"thread-7"}
    gen = df.filter(pl.col("kind") == "llm").row(0, named=True)
    # The older usage keys prompt_tokens/completion_tokens.
    assert (gen["model"], gen["input_tokens"], gen["output_tokens"], gen["agent"]) == ("gpt-4.1", 5, 7, "Writer")
    root = df.filter(pl.col("parent_id").is_null()).row(0, named=True)
    assert json.loads(root["attributes"])["@trace"]["workflow_name"] == "Draft"


def test_traces_and_spans_object_speech_types() -> None:
    result, df = load(HERE / "traces_and_spans.json")
    assert (result.report.files[0].rows, result.report.files[0].merged) == (2, 1)
    kinds = dict(df.select("name", "kind").iter_rows())
    assert kinds == {"speech_group": "chain", "transcription": "llm"}
    assert df.filter(pl.col("kind") == "llm")["model"].to_list() == ["whisper-1"]
    assert df["session_id"].null_count() == 2  # group_id null


def test_one_span_object_without_its_trace() -> None:
    result, df = load(HERE / "one_span.json")
    row = df.row(0, named=True)
    assert (row["kind"], row["name"], row["session_id"]) == ("chain", "task", None)
    # A task span's usage is the run's roll-up: kept in attributes, never summed as tokens.
    assert row["input_tokens"] is None
    assert json.loads(row["attributes"])["data"]["usage"] == {"input_tokens": 900}
    assert result.report.files[0].merged == 0


def test_malformed_records_quarantined_with_specific_reasons() -> None:
    result, df = load(HERE / "malformed.jsonl")
    account = result.report.files[0]
    assert (account.records_read, account.rows, account.merged, account.quarantined) == (10, 1, 1, 8)
    assert df["agent"].to_list() == ["A"]
    reasons = dict(pl.from_arrow(result.quarantine).select("source_line", "reason").iter_rows())
    assert reasons == {3: "invalid-json", 4: "missing-span-id", 5: "invalid-time", 6: "missing-span-data",
                       7: "invalid-id", 8: "not-an-agents-sdk-record", 9: "trace-without-spans", 10: "truncated"}


def test_sniffing_claims_no_real_sample_and_takes_its_own() -> None:
    for path in sorted(HERE.glob("*")):
        scores = registry.sniff_scores(str(path))
        assert max(scores, key=scores.__getitem__) == "openai-agents", (path, scores)
    for path in real_samples():  # ../shared/formats, or the copies in tests/data without it
        assert registry.sniff_scores(str(path)).get("openai-agents", 0.0) == 0.0, path


def test_file_larger_than_the_sniffing_head(tmp_path: Path) -> None:
    doc = json.loads((HERE / "export.json").read_text())
    doc[1]["span_data"]["output_type"] = "x" * 100_000
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    result, df = load(path)
    assert (df.height, result.report.files[0].merged) == (11, 1)


@pytest.mark.parametrize("path", [HERE / "export.json", HERE / "trace_after_spans.jsonl"], ids=lambda p: p.name)
def test_damaged_files_account_for_every_record(path: Path, tmp_path: Path) -> None:
    check_damaged_file(path, "openai-agents", tmp_path)


def _export(span_id: str, ended_at: str | None, output: str | None, error: dict | None = None) -> str:
    """One ``Span.export()`` record as a processor writes it (span_data.py FunctionSpanData: name, input, output)."""
    return json.dumps({"object": "trace.span", "id": span_id, "trace_id": TRACE, "parent_id": "span_aaaaaaaaaaaaaaaaaaaaaa01",
                       "started_at": "2025-06-01T10:00:01.000000+00:00", "ended_at": ended_at,
                       "span_data": {"type": "function", "name": "refund", "input": '{"order": 7}', "output": output},
                       "error": error})


def test_start_and_end_records_of_one_span_merge(tmp_path: Path) -> None:
    # A processor writing span.export() in on_span_start and again in on_span_end (the SDK calls both with
    # the same Span: tracing/processor_interface.py): the start record has ended_at null and no output.
    trace = json.dumps({"object": "trace", "id": TRACE, "workflow_name": "Refunds", "group_id": None, "metadata": None})
    agent = json.dumps({"object": "trace.span", "id": "span_aaaaaaaaaaaaaaaaaaaaaa01", "trace_id": TRACE, "parent_id": None,
                        "started_at": "2025-06-01T10:00:00.000000+00:00", "ended_at": "2025-06-01T10:00:05.000000+00:00",
                        "span_data": {"type": "agent", "name": "Refund Agent"}, "error": None})
    lines = [trace,
             _export("span_aaaaaaaaaaaaaaaaaaaaaa02", None, None),  # started
             _export("span_aaaaaaaaaaaaaaaaaaaaaa03", None, None),  # started, never ended (the run was killed)
             _export("span_aaaaaaaaaaaaaaaaaaaaaa02", "2025-06-01T10:00:02.500000+00:00", None,
                     {"message": "Error running tool", "data": {"error": "502"}}),  # its end
             agent]
    path = tmp_path / "both_hooks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result, df = load(path)
    account = result.report.files[0]
    # 5 records: the trace and the start record of 02 are merged; 01, 02 and the never-ended 03 are rows.
    assert (account.records_read, account.rows, account.merged, account.quarantined) == (5, 3, 2, 0)
    refund = span(df, "02")
    assert refund["start_time"] == ns("2025-06-01T10:00:01.000000+00:00")
    assert refund["end_time"] == ns("2025-06-01T10:00:02.500000+00:00")
    assert (refund["status"], refund["error_message"], refund["source_line"]) == ("error", "Error running tool: 502", 4)
    open_call = span(df, "03")
    assert (open_call["end_time"], open_call["status"], open_call["tool"]) == (None, "unset", "refund")


def test_two_finished_records_of_one_span_stay_a_duplicate(tmp_path: Path) -> None:
    # Near miss: two records that both ended are no start/end pair; the second is a duplicate span id.
    trace = json.dumps({"object": "trace", "id": TRACE, "workflow_name": "Refunds"})
    lines = [trace, _export("span_aaaaaaaaaaaaaaaaaaaaaa02", "2025-06-01T10:00:02.000000+00:00", "ok"),
             _export("span_aaaaaaaaaaaaaaaaaaaaaa02", "2025-06-01T10:00:03.000000+00:00", "ok")]
    path = tmp_path / "twice_ended.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = forensics.load(path)
    account = result.report.files[0]
    assert (account.rows, account.merged, account.quarantined) == (1, 1, 1)
    assert result.quarantine.column("reason").to_pylist() == ["duplicate-span-id"]


def test_end_record_before_its_start_record(tmp_path: Path) -> None:
    # Records written by several threads can land out of order: the late start record is still merged.
    trace = json.dumps({"object": "trace", "id": TRACE, "workflow_name": "Refunds"})
    lines = [trace, _export("span_aaaaaaaaaaaaaaaaaaaaaa02", "2025-06-01T10:00:02.000000+00:00", '"done"'),
             _export("span_aaaaaaaaaaaaaaaaaaaaaa02", None, None)]
    path = tmp_path / "end_first.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result, df = load(path)
    account = result.report.files[0]
    assert (account.rows, account.merged, account.quarantined) == (1, 2, 0)
    assert span(df, "02")["output"] == '"done"'


def test_trace_written_at_start_and_end_is_one_trace(tmp_path: Path) -> None:
    # The same processor pattern for traces (on_trace_start and on_trace_end both write Trace.export()):
    # every record is accounted for (before, the first was silently dropped: 2 records "read" of 3).
    # Trace.export() carries the group_id set when the trace was created, in both records.
    first = json.dumps({"object": "trace", "id": TRACE, "workflow_name": "Refunds", "group_id": "conv-7", "metadata": None})
    agent = json.dumps({"object": "trace.span", "id": "span_aaaaaaaaaaaaaaaaaaaaaa01", "trace_id": TRACE, "parent_id": None,
                        "started_at": "2025-06-01T10:00:00.000000+00:00", "ended_at": "2025-06-01T10:00:05.000000+00:00",
                        "span_data": {"type": "agent", "name": "Refund Agent"}, "error": None})
    last = json.dumps({"object": "trace", "id": TRACE, "workflow_name": "Refunds", "group_id": "conv-7", "metadata": None})
    path = tmp_path / "trace_twice.jsonl"
    path.write_text("\n".join([first, agent, last]) + "\n")
    result, df = load(path)
    account = result.report.files[0]
    assert (account.records_read, account.rows, account.merged, account.quarantined) == (3, 1, 2, 0)
    assert df["session_id"].to_list() == ["conv-7"]
