"""langfuse: the three real UI exports (expectations read from the files by hand), one
hand-written file per quirk, and malformed variants ending in the quarantine."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from loader_fuzz import check_damaged_file
from realdata import DATA, FORMATS, real_samples, shared_file

import forensics
from forensics.loaders import registry

HERE = DATA / "langfuse"


def ns(text: str) -> int:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return int(parsed.timestamp()) * 1_000_000_000 + parsed.microsecond * 1_000


def load(path: Path) -> tuple[forensics.LoadResult, pl.DataFrame]:
    result = forensics.load(path)
    account = result.report.files[0]
    assert (account.format, account.chosen_by) == ("langfuse", "sniffed")
    assert account.records_read == account.rows + account.quarantined + account.merged
    return result, result.to_polars().with_columns(pl.col("start_time", "end_time").dt.epoch("ns"))


def by_id(df: pl.DataFrame) -> dict[str, dict]:
    return {r["span_id"]: r for r in df.iter_rows(named=True)}


# --- real samples ------------------------------------------------------------------------------


def test_autogen_export_trace_root_span_and_generation() -> None:
    _, df = load(shared_file("langfuse/langfuse_autogen-2025-06-06.trace.json"))
    trace = "1b72c51fabed12ae7df83bfd4a09f545"
    # By hand: the trace + 2 observations (SPAN autogen-chat-trace, GENERATION chat gpt-4o under it).
    assert df.height == 3
    assert set(df["run_id"]) == {trace}
    rows = by_id(df)
    root = rows[trace]
    assert (root["parent_id"], root["kind"], root["name"], root["status"]) == (None, "chain", "autogen-chat-trace", "ok")
    assert root["start_time"] == ns("2025-06-06T11:31:33.965Z")
    assert root["end_time"] == ns("2025-06-06T11:31:33.965Z") + 645_000_000  # latency 0.645 s
    root_attrs = json.loads(root["attributes"])
    assert (root_attrs["userId"], root_attrs["tags"]) == ("user_123", ["autogen", "dev"])
    assert root_attrs["metadata"] == {"email": "user@langfuse.com"}
    assert root_attrs["@scope"]["name"] == "langfuse-sdk"
    assert "observations" not in root_attrs  # the repr copy of the list that became rows
    assert rows["95f4f51edeb603d9"]["parent_id"] == trace
    gen = rows["83517f9062f5ada4"]
    assert gen["parent_id"] == "95f4f51edeb603d9"
    assert (gen["kind"], gen["model"], gen["input_tokens"], gen["output_tokens"], gen["cost_usd"]) == ("llm", "gpt-4o", 41, 3, 2.5e-05)
    assert gen["output"] == "Hello World!"
    assert set(df["session_id"]) == {"session_abc"}
    assert set(df["status"]) == {"ok"}
    assert df["agent"].null_count() == 3  # AutoGen's export names no agent


def test_crewai_export_kinds_agent_and_usage() -> None:
    _, df = load(shared_file("langfuse/langfuse_crewai-2025-07-11.trace.json"))
    # By hand: the trace + 6 observations (5 SPAN, 1 GENERATION); the SPAN Task._execute_core is
    # an OpenInference AGENT in its metadata, Crew.kickoff a CHAIN, the rest have no kind.
    assert df.height == 7
    assert set(df["run_id"]) == {"a287bb31e317433610d8827617471140"}
    assert Counter(df["kind"]) == {"chain": 5, "agent": 1, "llm": 1}
    assert set(df["agent"].drop_nulls()) == {"Task._execute_core"}
    rows = by_id(df)
    assert rows["a8bf77474d6f9a1d"]["kind"] == "agent"
    assert rows["a8bf77474d6f9a1d"]["agent"] == "Task._execute_core"
    gen = rows["231c43964b7e7e63"]
    assert (gen["input_tokens"], gen["output_tokens"], gen["cost_usd"], gen["model"]) == (190, 164, 0.0001269, "gpt-4o-mini")
    assert gen["agent"] == "Task._execute_core"  # inherited from its AGENT parent
    # Parent chain by hand: trace root <- crewai-index-trace <- Crew.kickoff <- Task._execute_core <- completion.
    assert rows["839dad620fa92594"]["parent_id"] == "a287bb31e317433610d8827617471140"
    assert rows["0dd92fffb354f15b"]["parent_id"] == "839dad620fa92594"
    assert rows["a8bf77474d6f9a1d"]["parent_id"] == "0dd92fffb354f15b"
    assert df["tool"].null_count() == 7 and df["handoff_to"].null_count() == 7
    assert set(df["status"]) == {"ok"}
    # No token columns on plain spans: Langfuse's 0 usage there is a default.
    assert df.filter(pl.col("kind") != "llm")["input_tokens"].null_count() == 6
    assert df["session_id"].null_count() == 7


def test_openai_agents_export_agents_tool_and_generations() -> None:
    _, df = load(shared_file("langfuse/langfuse_openai-agents-2025-09-30.trace.json"))
    # By hand: trace + AGENT "Agent workflow" <- AGENT "Hello world" <- 2 GENERATION "response" + TOOL get_weather.
    assert df.height == 6
    assert set(df["run_id"]) == {"fee618f96dc31e0ca38b2f7b26eb8b29"}
    # "Agent workflow" is OpenInference's span of the SDK trace (on_trace_start: kind AGENT, no llm.system,
    # openinference-instrumentation-openai-agents _processor.py), the run's container, not an agent.
    assert Counter(df["kind"]) == {"chain": 2, "agent": 1, "llm": 2, "tool": 1}
    assert df.filter(pl.col("kind") == "tool")["tool"].to_list() == ["get_weather"]
    rows = by_id(df)
    tool = rows["5b99c3e3411ed17b"]
    assert (tool["tool"], tool["agent"], tool["input"], tool["output"]) == (
        "get_weather", "Hello world", '{"city":"Tokyo"}', "The weather in Tokyo is sunny.")
    assert set(df.filter(pl.col("kind") == "agent")["agent"]) == {"Hello world"}
    workflow = rows["e5a76f27f51ad40e"]
    assert (workflow["name"], workflow["kind"], workflow["agent"]) == ("Agent workflow", "chain", None)
    assert json.loads(workflow["attributes"])["@type"] == "AGENT"
    gens = df.filter(pl.col("kind") == "llm").sort("start_time")
    assert gens["input_tokens"].to_list() == [55, 85]
    assert gens["output_tokens"].to_list() == [15, 29]
    assert gens["cost_usd"].to_list() == [0.00023, 0.000402]
    assert set(gens["model"]) == {"gpt-4.1-2025-04-14"}
    assert df["handoff_to"].null_count() == 6 and set(df["status"]) == {"ok"}


# --- quirks --------------------------------------------------------------------------------------


def test_list_of_traces_types_levels_events_and_otel_metadata() -> None:
    _, df = load(HERE / "traces_list.json")
    assert df.height == 13  # 2 traces + 7 + 4 observations
    assert df["run_id"].n_unique() == 2
    assert set(df["session_id"]) == {"sess-1"}  # both runs continue the same session
    rows = by_id(df)
    run1 = "7f3c9a1e2b4d4e6f8a0b1c2d3e4f5a6b"
    assert rows[run1]["kind"] == "chain"  # the trace root stays a chain whatever its metadata says
    # "postprocess" never ended, so the trace has not either, whatever its latency (6.5 s) says.
    assert (rows[run1]["end_time"], rows[run1]["status"]) == (None, "unset")
    assert json.loads(rows[run1]["attributes"])["latency"] == 6.5
    run2 = rows["8e4d0b2f3c5e4f708192a3b4c5d6e7f8"]
    assert (run2["end_time"], run2["status"]) == (ns("2025-05-10T09:05:02.000Z"), "ok")
    assert json.loads(rows[run1]["attributes"])["openinference.span.kind"] == "AGENT"
    planner = rows["a000000000000001"]
    assert (planner["kind"], planner["agent"], planner["parent_id"]) == ("agent", "order_planner", run1)
    gen = rows["a000000000000002"]  # usageDetails / costDetails (no *Usage fields)
    assert (gen["input_tokens"], gen["output_tokens"], gen["cost_usd"]) == (120, 18, 0.00048)
    tool = rows["a000000000000003"]
    assert (tool["kind"], tool["tool"], tool["status"], tool["error_message"]) == (
        "tool", "lookup_order", "error", "HTTP 503 from orders API")
    event = rows["a000000000000004"]
    assert (event["kind"], event["status"]) == ("event", "ok")
    assert event["end_time"] == event["start_time"] == ns("2025-05-10T09:00:02.300Z")
    handoff = rows["a000000000000005"]  # a SPAN whose OTel attributes say execute_tool transfer_to_billing
    assert (handoff["kind"], handoff["handoff_to"], handoff["agent"]) == ("handoff", "billing", "order_planner")
    assert json.loads(handoff["attributes"])["@scope"] == {"name": "my-instrumentation"}
    guard = rows["a000000000000006"]
    assert (guard["kind"], guard["status"]) == ("guardrail", "ok")
    guard_attrs = json.loads(guard["attributes"])
    assert (guard_attrs["level"], guard_attrs["statusMessage"]) == ("WARNING", "possible e-mail address in output")
    post = rows["a000000000000007"]
    assert (post["parent_id"], post["status"], post["end_time"]) == (run1, "unset", None)
    assert json.loads(post["attributes"])["metadata"] == "not json, written by hand"
    kinds2 = {r["name"]: r["kind"] for r in df.filter(pl.col("run_id") == "8e4d0b2f3c5e4f708192a3b4c5d6e7f8").iter_rows(named=True)}
    assert kinds2 == {"order-support": "chain", "rag": "chain", "embed": "embedding", "vector-search": "retriever",
                      "faithfulness": "chain"}
    embed = rows["b000000000000002"]  # the older `usage` object and calculatedTotalCost
    assert (embed["input_tokens"], embed["output_tokens"], embed["cost_usd"]) == (7, 0, 2e-07)


def test_api_trace_with_observations_inside() -> None:
    _, df = load(HERE / "trace_with_details.json")
    rows = by_id(df)
    trace = "c1c2c3c4-d5d6-4e7e-8f9f-a0a1a2a3a4a5"
    assert df.height == 2
    # No latency, but its one top-level observation ended (DEFAULT level) at .900: so did the trace.
    assert (rows[trace]["status"], rows[trace]["end_time"]) == ("ok", ns("2025-05-11T12:00:00.900Z"))
    assert json.loads(rows[trace]["attributes"])["metadata"] == {"team": "payments"}
    gen = rows["d1d2d3d4-0000-4000-8000-000000000001"]
    assert (gen["parent_id"], gen["input_tokens"], gen["output_tokens"]) == (trace, 11, 5)


def test_root_status_and_end_come_from_top_level_observations() -> None:
    _, df = load(HERE / "root_outcome.json")
    rows = by_id(df)

    def root(n: int) -> tuple[str, int | None]:
        row = rows[f"f100000000000000000000000000000{n}"]
        return row["status"], row["end_time"]

    # An ERROR top-level observation fails the run; it ended with its last observation (2.5 s), not at
    # timestamp + latency (2.0 s); the trace's own output stays the root's output.
    assert root(1) == ("error", ns("2025-08-01T10:00:02.500Z"))
    assert rows["f1000000000000000000000000000001"]["output"] == '{"answer":"sorry, something went wrong"}'
    # A top-level observation still open: the run is open whatever latency Langfuse computed (1.2 s).
    assert root(2) == ("unset", None)
    # Only the top level decides: an open or failed observation under an ended, DEFAULT top level
    # leaves the run ended and ok (what premature_success and swallowed_error look for).
    assert root(3) == ("ok", ns("2025-08-01T12:00:03.000Z"))
    assert (rows["a300000000000002"]["status"], rows["a300000000000002"]["end_time"]) == ("unset", None)
    assert rows["a300000000000003"]["status"] == "error"
    assert rows["f1000000000000000000000000000003"]["output"] == "Index refreshed."
    # An EVENT has no endTime by design: it does not hold the run open, and its instant can be the end.
    assert root(4) == ("ok", ns("2025-08-01T13:00:01.500Z"))
    for n in (1, 2, 3, 4):
        assert "latency" in json.loads(rows[f"f100000000000000000000000000000{n}"]["attributes"])


def test_bare_observations_one_per_line() -> None:
    _, df = load(HERE / "observations.jsonl")
    rows = by_id(df)
    assert rows["e000000000000001"]["parent_id"] is None  # no trace record: nothing to hang under
    assert (rows["e000000000000002"]["kind"], rows["e000000000000002"]["agent"]) == ("tool", "solo")


# --- malformed ------------------------------------------------------------------------------------


def test_malformed_records_quarantined_with_specific_reasons() -> None:
    result, df = load(HERE / "malformed.jsonl")
    account = result.report.files[0]
    # Line 1: trace + 1 observation; line 3: its trace row and 3 bad observations; line 5: a bad trace.
    assert (account.rows, account.quarantined, account.merged, account.records_read) == (3, 7, 0, 10)
    assert sorted(df["name"]) == ["bad obs", "fine", "ok"]
    q = pl.from_arrow(result.quarantine).select("source_line", "reason").sort("source_line", "reason")
    assert q.rows() == [(2, "invalid-json"), (3, "invalid-id"), (3, "invalid-time"), (3, "missing-span-id"),
                        (4, "not-a-langfuse-trace"), (5, "invalid-value"), (6, "truncated")]


def test_file_larger_than_the_sniffing_head(tmp_path: Path) -> None:
    doc = json.loads((HERE / "traces_list.json").read_text())
    doc[0]["trace"]["input"] = "x" * 100_000  # the first trace alone is past the 64 KiB head
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    _, df = load(path)
    assert df.height == 13


# --- sniffing ---------------------------------------------------------------------------------------


def test_sniffing_claims_no_other_real_sample() -> None:
    for path in real_samples():  # ../shared/formats, or the copies in tests/data without it
        scores = registry.sniff_scores(str(path))
        mine = path.parent.name == "langfuse"
        assert (max(scores, key=scores.__getitem__) == "langfuse") == mine, (path, scores)
        if not mine:
            assert scores.get("langfuse", 0.0) == 0.0, (path, scores)


@pytest.mark.parametrize("path", [HERE / "traces_list.json", HERE / "observations.jsonl"] + (sorted((FORMATS / "langfuse").glob("*")) if FORMATS.exists() else []), ids=lambda p: p.name)
def test_damaged_files_account_for_every_record(path: Path, tmp_path: Path) -> None:
    check_damaged_file(path, "langfuse", tmp_path)
