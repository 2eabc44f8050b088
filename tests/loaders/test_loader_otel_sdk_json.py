"""otel-sdk-json on the real Monocle files (expectations read from the files by hand) and its quirks."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import orjson
import polars as pl
from realdata import shared_file

import forensics

MS_TRAVEL = "otlp_json/monocle_ms-travel-agent-openai_sample_trace.json"
LG_TRAVEL = "multiagent_frameworks/monocle_langgraph_lg-travel-agent_trace.json"


def test_microsoft_agent_framework_run() -> None:
    result = forensics.load(shared_file(MS_TRAVEL))
    assert result.report.files[0].format == "otel-sdk-json"
    df = result.to_polars()
    assert df.height == 6
    assert df["run_id"].unique().to_list() == ["2cef7a5fb16ff8dc2e541119d7d2aa69"]
    rows = {r["span_id"]: r for r in df.iter_rows(named=True)}
    # workflow (root) -> agentic.turn -> agentic.invocation "Flight Agent" -> 2 inference + 1 tool.
    assert rows["c5f65eb64de2ba93"]["parent_id"] is None
    assert rows["c5f65eb64de2ba93"]["kind"] == "chain"
    assert rows["b404e09220f2583c"]["kind"] == "chain"
    agent = rows["aa1b87d932cd428f"]
    assert (agent["kind"], agent["agent"]) == ("agent", "Flight Agent")
    tool = rows["94d93b9866a219c4"]
    assert (tool["kind"], tool["tool"], tool["agent"]) == ("tool", "book_flight", "Flight Agent")
    final_llm = rows["46122867abbc6f11"]
    assert (final_llm["kind"], final_llm["model"], final_llm["agent"]) == ("llm", "gpt-4.1-mini", "Flight Agent")
    assert (final_llm["input_tokens"], final_llm["output_tokens"]) == (1011, 77)  # from the `metadata` event
    assert "return flight" in final_llm["input"] or "Flight Booking Assistant" in final_llm["input"]
    # scope.agentic.session is on some spans only; the whole run gets it.
    assert set(df["session_id"]) == {"thread_pBZZyPRfgYPwBbVclvyMQyQ1"}
    assert set(df["status"]) == {"ok"}
    assert df["end_time"].null_count() == 0


def test_langgraph_supervisor_with_three_delegations() -> None:
    df = forensics.load(shared_file(LG_TRAVEL)).to_polars()
    assert df.height == 33
    assert df["run_id"].n_unique() == 1
    kinds = Counter(df["kind"])
    # By hand: 7 agentic.invocation, 3 delegation, 3 tool + 1 mcp invocation, workflow + turn.
    assert kinds == {"agent": 7, "handoff": 3, "tool": 4, "chain": 2, "llm": 17}
    handoffs = df.filter(pl.col("kind") == "handoff").sort("start_time")
    assert handoffs["handoff_to"].to_list() == [
        "okahu_demo_lg_agent_air_travel_assistant",
        "okahu_demo_lg_agent_lodging_assistant",
        "okahu_demo_lg_agent_weather_assistant",
    ]
    # The supervisor delegates: every handoff is owned by it.
    assert set(handoffs["agent"]) == {"okahu_demo_lg_agent_travel_supervisor"}
    agents = set(df.filter(pl.col("kind") == "agent")["agent"])
    assert agents == {
        "okahu_demo_lg_agent_travel_supervisor",
        "okahu_demo_lg_agent_air_travel_assistant",
        "okahu_demo_lg_agent_lodging_assistant",
        "okahu_demo_lg_agent_weather_assistant",
    }
    tools = df.filter(pl.col("kind") == "tool")
    assert sorted(tools["tool"]) == ["demo_get_weather", "demo_get_weather", "okahu_demo_lg_tool_book_flight",
                                     "okahu_demo_lg_tool_book_hotel"]
    # The MCP call inherits its agent from the tool span above it.
    mcp = df.filter(pl.col("span_id") == "d6942bc2be5a3114").row(0, named=True)
    assert mcp["agent"] == "okahu_demo_lg_agent_weather_assistant"


def _sdk_span(span_id: str, parent: str | None, **extra: object) -> dict[str, object]:
    span: dict[str, object] = {
        "name": f"step {span_id}",
        "context": {"trace_id": "0x4bf92f3577b34da6a3ce929d0e0e4736", "span_id": f"0x{span_id}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL",
        "parent_id": f"0x{parent}" if parent else None,
        "start_time": "2025-03-01T10:00:00.000000Z",
        "end_time": "2025-03-01T10:00:02.500000Z",
        "status": {"status_code": "UNSET"},
        "attributes": {},
        "events": [],
        "links": [],
        "resource": {"attributes": {"service.name": "booker"}, "schema_url": ""},
    }
    span.update(extra)
    return span


def test_console_exporter_concatenated_pretty_objects(tmp_path: Path) -> None:
    spans = [
        _sdk_span("00f067aa0ba902b7", None, attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "booker"}),
        _sdk_span("00f067aa0ba902b8", "00f067aa0ba902b7", attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "hotel.search"},
                  status={"status_code": "ERROR", "description": "TimeoutError: upstream took 30s"}),
        _sdk_span("00f067aa0ba902b9", "00f067aa0ba902b7", end_time=None),
    ]
    path = tmp_path / "console.log"
    chunks = [json.dumps(s, indent=4) for s in spans]
    path.write_text("\n".join(chunks) + "\n")
    starts = [1 + sum(c.count("\n") + 1 for c in chunks[:i]) for i in range(len(chunks))]
    result = forensics.load(path, format="otel-sdk-json")
    df = result.to_polars().sort("span_id")
    assert df["span_id"].to_list() == ["00f067aa0ba902b7", "00f067aa0ba902b8", "00f067aa0ba902b9"]
    assert df["run_id"].unique().to_list() == ["4bf92f3577b34da6a3ce929d0e0e4736"]
    assert df["source_line"].to_list() == starts  # the line where each pretty-printed object starts
    assert df["status"].to_list() == ["unset", "error", "unset"]
    assert df["error_message"][1] == "TimeoutError: upstream took 30s"
    assert df["end_time"][2] is None  # a span that never ended stays open
    assert df["agent"].to_list() == ["booker", "booker", "booker"]


def test_nested_child_spans_are_flattened_with_parent_links(tmp_path: Path) -> None:
    child = _sdk_span("00000000000000c2", None)
    grandchild = _sdk_span("00000000000000c3", None)
    child["child_spans"] = [grandchild]
    root = _sdk_span("00000000000000c1", None, child_spans=[child])
    path = tmp_path / "tree.json"
    path.write_bytes(orjson.dumps([root]))
    df = forensics.load(path, format="otel-sdk-json").to_polars().sort("span_id")
    assert df["parent_id"].to_list() == [None, "00000000000000c1", "00000000000000c2"]
    assert "child_spans" not in df["attributes"][0]


def test_truncated_array_keeps_complete_spans(tmp_path: Path) -> None:
    spans = [_sdk_span(f"00000000000000{i:02x}", None) for i in range(1, 5)]
    text = json.dumps(spans, indent=2)
    path = tmp_path / "cut.json"
    path.write_text(text[: int(len(text) * 0.8)])
    result = forensics.load(path, format="otel-sdk-json")
    assert result.spans.num_rows == 3
    assert result.quarantine["reason"].to_pylist() == ["truncated"]
    assert result.report.records_read == 4
    assert "cut short" in result.quarantine["detail"][0].as_py()
