"""openinference: Phoenix REST span JSON, exported dataframes (JSONL and Parquet)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import polars as pl
from realdata import DATA

import forensics

RAG = DATA / "openinference" / "phoenix_rag_spans.json"
FRAME = DATA / "openinference" / "phoenix_dataframe.jsonl"


def test_rest_api_page_of_spans() -> None:
    result = forensics.load(RAG)
    assert result.report.files[0].format == "openinference"
    df = result.to_polars()
    rows = {r["name"]: r for r in df.iter_rows(named=True)}
    assert df.height == 4 and df["run_id"].unique().to_list() == ["6f1b3b9c0d2e4f5a8b7c6d5e4f3a2b1c"]
    assert (rows["rag-answer"]["kind"], rows["rag-answer"]["agent"]) == ("agent", "docs-bot")
    assert rows["rag-answer"]["output"] == "Go to Settings > Keys and click Rotate."
    assert rows["retrieve"]["kind"] == "retriever"
    llm = rows["ChatCompletion"]
    assert (llm["kind"], llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("llm", "gpt-4o-mini", 2210, 41)
    assert llm["agent"] == "docs-bot"
    attrs = json.loads(llm["attributes"])
    assert attrs["llm.token_count.total"] == 2251 and attrs["llm.provider"] == "openai"
    tool = rows["kb.lookup"]
    assert (tool["kind"], tool["tool"], tool["status"]) == ("tool", "kb.lookup", "error")
    assert tool["error_type"] == "ConnectionResetError"
    assert tool["error_message"] == "ConnectionResetError: peer closed"
    assert set(df["session_id"]) == {"sess-42"}
    assert json.loads(rows["rag-answer"]["attributes"])["user.id"] == "u-9"


def test_dataframe_export_with_dotted_columns_and_transfer_handoff() -> None:
    df = forensics.load(FRAME).to_polars().sort("span_id")
    assert df["span_id"].to_list() == ["1111111111111111", "3333333333333333"]
    assert df["kind"].to_list() == ["chain", "handoff"]  # transfer_to_flights is a handoff
    assert df["handoff_to"].to_list() == [None, "flights"]
    assert df["session_id"].to_list() == ["trip-7", "trip-7"]
    assert df["input"][0] == "plan the trip"


def test_spans_dataframe_saved_as_parquet(tmp_path: Path) -> None:
    records = [json.loads(line) for line in FRAME.read_text().splitlines()]
    frame = pd.DataFrame(records)
    frame["start_time"] = pd.to_datetime(frame["start_time"], utc=True)
    frame["end_time"] = pd.to_datetime(frame["end_time"], utc=True)
    path = tmp_path / "spans.parquet"
    frame.to_parquet(path)
    result = forensics.load(path)
    assert result.report.files[0].format == "openinference"
    df = result.to_polars().sort("span_id")
    assert df["source_line"].to_list() == [1, 2]
    assert df["kind"].to_list() == ["chain", "handoff"]
    assert df.filter(pl.col("span_id") == "1111111111111111")["start_time"][0].isoformat() == "2025-05-03T12:00:00+00:00"


def _phoenix_span(sid: str, parent: str | None, name: str, kind: str, attributes: dict) -> dict:
    return {"name": name, "context": {"trace_id": "a9e0000000000000000000000000000b", "span_id": sid},
            "span_kind": kind, "parent_id": parent, "start_time": "2025-09-30T09:04:00+00:00",
            "end_time": "2025-09-30T09:04:03+00:00", "status_code": "OK", "status_message": "",
            "attributes": attributes, "events": []}


def test_agents_sdk_trace_span_in_a_phoenix_export_is_the_runs_container(tmp_path: Path) -> None:
    """openinference-instrumentation-openai-agents (_processor.py on_trace_start) opens the SDK trace's
    span named by the workflow ("Agent workflow" by default: openai-agents src/agents/run.py
    RunConfig.workflow_name) with its kind only; a Phoenix export keeps no scope, so the shape says
    it: a root AGENT span of that name with no attribute but its kind. The agent runs under it."""
    spans = [
        _phoenix_span("a0", None, "Agent workflow", "AGENT", {"openinference": {"span": {"kind": "AGENT"}}}),
        _phoenix_span("a1", "a0", "Hello world", "AGENT", {"llm": {"system": "openai"}, "graph": {"node": {"id": "Hello world"}},
                                                           "openinference": {"span": {"kind": "AGENT"}}}),
        _phoenix_span("a2", "a1", "response", "LLM", {"llm": {"system": "openai"}, "openinference": {"span": {"kind": "LLM"}}}),
    ]
    path = tmp_path / "phoenix.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in spans) + "\n")
    rows = {r["name"]: r for r in forensics.load(path).spans.to_pylist()}
    assert (rows["Agent workflow"]["kind"], rows["Agent workflow"]["agent"]) == ("chain", None)
    assert (rows["Hello world"]["kind"], rows["Hello world"]["agent"]) == ("agent", "Hello world")
    # Near miss: a root AGENT span of that name that records anything else (its input) is an agent.
    spans[0]["attributes"]["input"] = {"value": "What is the weather in Tokyo?"}
    path.write_text("\n".join(json.dumps(s) for s in spans) + "\n")
    root = next(r for r in forensics.load(path).spans.to_pylist() if r["name"] == "Agent workflow")
    assert (root["kind"], root["agent"]) == ("agent", "Agent workflow")


def test_agents_sdk_trace_span_under_a_workflow_name_of_its_own_is_the_runs_container(tmp_path: Path) -> None:
    """RunConfig(workflow_name="Support triage") names the SDK trace's span (openai-agents
    src/agents/run.py); on_trace_start still writes only its kind, and on_span_start writes
    ``llm.system`` on every SDK span under it (openinference-instrumentation-openai-agents
    _processor.py). The shape says it once the file is read: the agents under it carry llm.system."""
    spans = [
        _phoenix_span("a0", None, "Support triage", "AGENT", {"openinference": {"span": {"kind": "AGENT"}}}),
        _phoenix_span("a1", "a0", "Triage agent", "AGENT", {"llm": {"system": "openai"},
                                                            "openinference": {"span": {"kind": "AGENT"}}}),
        _phoenix_span("a2", "a1", "response", "LLM", {"llm": {"system": "openai"}, "openinference": {"span": {"kind": "LLM"}}}),
    ]
    path = tmp_path / "phoenix.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in spans) + "\n")
    result = forensics.load(path)
    rows = {r["name"]: r for r in result.spans.to_pylist()}
    assert (rows["Support triage"]["kind"], rows["Support triage"]["agent"]) == ("chain", None)
    assert rows["Support triage"]["source_line"] == 1
    assert (rows["Triage agent"]["kind"], rows["Triage agent"]["agent"]) == ("agent", "Triage agent")
    assert result.report.balanced and len(rows) == 3
    # The same with the root written last (a Phoenix export writes a span when it ends).
    path.write_text("\n".join(json.dumps(s) for s in reversed(spans)) + "\n")
    root = next(r for r in forensics.load(path).spans.to_pylist() if r["name"] == "Support triage")
    assert (root["kind"], root["agent"]) == ("chain", None)
    # Near miss: another framework's bare root AGENT span whose agent carries no llm.system is an agent.
    del spans[1]["attributes"]["llm"]
    path.write_text("\n".join(json.dumps(s) for s in spans) + "\n")
    root = next(r for r in forensics.load(path).spans.to_pylist() if r["name"] == "Support triage")
    assert (root["kind"], root["agent"]) == ("agent", "Support triage")
