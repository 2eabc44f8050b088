"""langsmith: the four real samples (expectations read from the files by hand), one hand-written
file per quirk, and malformed variants that must end in the quarantine with a specific reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from loader_fuzz import check_damaged_file
from realdata import DATA, FORMATS, real_samples, shared_file

import forensics
from forensics.loaders import registry

HERE = DATA / "langsmith"
REAL = ("langsmith-docs_run_data_format_example.json", "langsmith-docs_webhook_payload_example.json",
        "langsmith-sdk_js_wrap_openai_post_patch.json", "langsmith-sdk_py_wrap_openai_post_patch.json")


def ns(text: str) -> int:
    """ISO text → ns, computed with the standard library (not our parser)."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp()) * 1_000_000_000 + parsed.microsecond * 1_000


def load(path: Path) -> tuple[forensics.LoadResult, pl.DataFrame]:
    result = forensics.load(path)
    account = result.report.files[0]
    assert account.format == "langsmith"
    assert account.chosen_by == "sniffed"
    assert account.records_read == account.rows + account.quarantined + account.merged
    return result, result.to_polars().with_columns(pl.col("start_time", "end_time").dt.epoch("ns"))


def rows_by_name(df: pl.DataFrame) -> dict[str, dict]:
    return {r["name"]: r for r in df.iter_rows(named=True)}


# --- real samples ----------------------------------------------------------------------------


def test_docs_run_object_is_one_errored_llm_run() -> None:
    result, df = load(shared_file("langsmith/" + REAL[0]))
    assert df.height == 1
    row = df.row(0, named=True)
    # The documented Run: trace df570c03..., own id 497f6eca..., parent f8faf8c1... (not in the file).
    assert row["run_id"] == "df570c03-5a03-4cea-8df0-c162d05127ac"
    assert row["span_id"] == "497f6eca-6276-4993-bfeb-53cbbbba6f08"
    assert row["parent_id"] == "f8faf8c1-9778-49a4-9004-628cdb0047e5"
    assert (row["kind"], row["status"], row["error_message"]) == ("llm", "error", "string")
    assert (row["input_tokens"], row["output_tokens"], row["cost_usd"]) == (0, 0, None)
    assert row["start_time"] == ns("2024-04-29T00:49:12.090000")
    assert row["end_time"] == ns("2024-04-29T00:49:12.459000")
    # The project id is not a thread: no session; the placeholder cost is kept and explained.
    assert row["session_id"] is None
    attrs = json.loads(row["attributes"])
    assert attrs["session_id"] == "1ffd059c-17ea-40a8-8aef-70fd0307db82"
    assert attrs["total_cost"] == "string" and "total_cost" in attrs["@unparsed"]
    assert attrs["feedback_stats"] == {"correctness": {"n": 1, "avg": 1.0}}
    assert result.quarantine.num_rows == 0


def test_webhook_payload_is_one_root_tool_run() -> None:
    _, df = load(shared_file("langsmith/" + REAL[1]))
    assert df.height == 1
    row = df.row(0, named=True)
    assert row["run_id"] == row["span_id"] == "6ab80f10-d79c-4fa2-b441-922ed6feb630"
    assert (row["kind"], row["tool"], row["name"], row["status"]) == ("tool", "Search", "Search", "ok")
    assert row["parent_id"] is None and row["agent"] is None
    assert row["start_time"] == ns("2024-04-05T01:28:54.085646")
    attrs = json.loads(row["attributes"])
    assert attrs["@batch"]["rule_id"] == "d75d7417-0c57-4655-88fe-1db3cda3a47a"
    assert attrs["is_root"] is True


@pytest.mark.parametrize("name, start, end, sdk", [
    # JS: epoch-ms start refined by dotted_order's µs (…170001), ms end; the patch carries no id.
    (REAL[2], ns("2024-10-13T07:05:37.170001"), 1728803138285 * 1_000_000, "langsmith-js"),
    (REAL[3], ns("2024-10-11T20:58:23.298773+00:00"), ns("2024-10-11T20:58:24.417106+00:00"), "langsmith-py"),
])
def test_sdk_ingest_capture_merges_patch_into_post(name: str, start: int, end: int, sdk: str) -> None:
    result, df = load(shared_file("langsmith/" + name))
    account = result.report.files[0]
    assert (account.rows, account.merged, account.quarantined) == (1, 1, 0)
    row = df.row(0, named=True)
    assert row["run_id"] == row["span_id"]
    assert (row["name"], row["kind"], row["status"]) == ("ChatOpenAI", "llm", "ok")
    assert (row["start_time"], row["end_time"]) == (start, end)
    assert row["model"] == "gpt-4o-mini-2024-07-18"  # the response's model, from the patch's outputs
    assert (row["input_tokens"], row["output_tokens"]) == (9, 9)
    assert "Howdy! How can I assist you today?" in row["output"]
    assert json.loads(row["attributes"])["extra"]["runtime"]["sdk"] == sdk


# --- quirks -------------------------------------------------------------------------------------


def test_nested_child_runs_flatten_with_parents_agents_and_handoff() -> None:
    _, df = load(HERE / "export_nested_child_runs.json")
    assert df.height == 8
    assert set(df["run_id"]) == {"11111111-1111-4111-8111-111111111111"}
    rows = rows_by_name(df)
    parents = {name: rows[name]["parent_id"] for name in rows}
    assert parents == {
        "LangGraph": None,
        "supervisor": "11111111-1111-4111-8111-111111111111",
        "ChatOpenAI": "22222222-2222-4222-8222-222222222222",
        "transfer_to_researcher": "22222222-2222-4222-8222-222222222222",
        "researcher": "11111111-1111-4111-8111-111111111111",
        "web_search": "55555555-5555-4555-8555-555555555555",
        "OpenAIEmbeddings": "55555555-5555-4555-8555-555555555555",
        "StrOutputParser": "55555555-5555-4555-8555-555555555555",
    }
    kinds = {name: rows[name]["kind"] for name in rows}
    assert kinds == {"LangGraph": "chain", "supervisor": "agent", "ChatOpenAI": "llm",
                     "transfer_to_researcher": "handoff", "researcher": "agent", "web_search": "tool",
                     "OpenAIEmbeddings": "embedding", "StrOutputParser": "chain"}
    assert rows["transfer_to_researcher"]["handoff_to"] == "researcher"
    assert rows["transfer_to_researcher"]["agent"] == "supervisor"
    assert rows["web_search"]["agent"] == "researcher"
    assert rows["StrOutputParser"]["agent"] == "researcher"  # inherited: a parser names no agent
    assert rows["LangGraph"]["agent"] is None  # the graph around the nodes is no agent itself
    err = rows["web_search"]
    assert (err["status"], err["error_type"]) == ("error", "TimeoutError")
    assert err["error_message"].startswith("TimeoutError('search backend did not answer in 5s')")
    # Tokens and cost on model calls only: the root's 130/25/0.00061 are roll-ups of its children.
    assert (rows["ChatOpenAI"]["input_tokens"], rows["ChatOpenAI"]["output_tokens"], rows["ChatOpenAI"]["cost_usd"]) == (100, 20, 0.00042)
    assert rows["ChatOpenAI"]["model"] == "gpt-4o-mini"
    assert rows["LangGraph"]["input_tokens"] is None and rows["LangGraph"]["cost_usd"] is None
    assert json.loads(rows["LangGraph"]["attributes"])["total_cost"] == "0.00061"
    # run_type "embedding" is now read as the kind (26a1522), so it is no longer left over in the attributes.
    assert "run_type" not in json.loads(rows["OpenAIEmbeddings"]["attributes"] or "{}")
    assert set(df["session_id"]) == {"thread-42"}


def test_array_of_runs_naive_and_offset_iso_times_and_sessions() -> None:
    _, df = load(HERE / "runs_array.json")
    assert df.height == 3
    assert df["run_id"].n_unique() == 2
    rows = rows_by_name(df)
    assert rows["Retriever"]["kind"] == "retriever"
    # LangChain's classic agent loop is an agent by its name; its retriever works for it.
    assert (rows["AgentExecutor"]["kind"], rows["Retriever"]["agent"]) == ("agent", "AgentExecutor")
    assert rows["Retriever"]["start_time"] == ns("2025-04-02T08:00:01.500000")  # naive = UTC
    # Uppercase UUIDs are lowercased; +02:00 is converted to UTC.
    prompt = rows["format_prompt"]
    assert prompt["run_id"] == "bbbbbbbb-0000-4000-8000-000000000001"
    assert prompt["start_time"] == ns("2025-04-02T07:00:00+00:00")
    assert (prompt["kind"], prompt["status"], prompt["end_time"], prompt["agent"]) == ("chain", "unset", None, None)
    assert json.loads(prompt["attributes"])["run_type"] == "prompt"
    assert dict(df.select("run_id", "session_id").unique().iter_rows()) == {
        "aaaaaaaa-0000-4000-8000-000000000001": "conv-7", "bbbbbbbb-0000-4000-8000-000000000001": "sess-b"}


def test_dotted_order_gives_trace_parents_and_missing_start() -> None:
    _, df = load(HERE / "dotted_order_only.jsonl")
    rows = rows_by_name(df)
    root = "c0000000-0000-4000-8000-000000000001"
    assert set(df["run_id"]) == {root}
    assert rows["pipeline"]["parent_id"] is None
    assert rows["step_a"]["parent_id"] == root
    assert rows["step_b"]["parent_id"] == "c0000000-0000-4000-8000-000000000002"
    # No start_time: the dotted_order segment's time (20250501T120001200003Z).
    assert rows["step_b"]["start_time"] == ns("2025-05-01T12:00:01.200003")
    assert rows["pipeline"]["start_time"] == ns("2025-05-01T12:00:00.000001")
    # A start_time in whole seconds and the dotted time 2 µs later: the dotted order wins.
    assert rows["step_a"]["start_time"] == ns("2025-05-01T12:00:01.000002")


def test_post_patch_merge_epoch_ms_patch_by_dotted_order_and_orphan_patch() -> None:
    result, df = load(HERE / "ingest_post_patch.json")
    account = result.report.files[0]
    # 2 posts + 3 patches: 2 patches merged, 1 patch whose post never came is its own row.
    assert (account.records_read, account.rows, account.merged, account.quarantined) == (5, 3, 2, 0)
    rows = rows_by_name(df)
    root = rows["support_agent"]
    assert (root["status"], root["error_type"]) == ("error", "openai.RateLimitError")
    assert root["end_time"] == 1746100802000 * 1_000_000
    assert json.loads(root["attributes"])["extra"]["metadata"] == {"thread_id": "t-900", "revision_id": "r1"}
    llm = rows["ChatAnthropic"]  # its patch named it by dotted_order only
    assert (llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("claude-3-5-haiku", 812, 64)
    assert llm["end_time"] == 1746100801700 * 1_000_000
    assert llm["start_time"] == ns("2025-05-01T12:00:00.500002")
    orphan = rows["lookup_order"]
    assert json.loads(orphan["attributes"])["@patch_without_post"] is True
    assert (orphan["kind"], orphan["tool"], orphan["parent_id"]) == ("tool", "lookup_order", root["span_id"])
    assert set(df["session_id"]) == {"t-900"}


def test_a_capture_sent_twice_keeps_the_finished_runs(tmp_path) -> None:
    # The SDK re-sends a batch whose answer it never got (langsmith-sdk client.py batch ingest
    # retries), so a capture can hold every post and patch twice. Each patch completes both copies
    # of its post: the copy the duplicate-id check keeps is the finished run. Before, the patches went
    # to the second copy only, which was then quarantined, and the kept root looked still running.
    doc = json.loads((HERE / "ingest_post_patch.json").read_text())
    resent = tmp_path / "resent.jsonl"
    resent.write_text(json.dumps(doc) + "\n" + json.dumps(doc) + "\n")
    once, df_once = load(HERE / "ingest_post_patch.json")
    twice, df_twice = load(resent)
    account = twice.report.files[0]
    # 4 posts + 6 patches: the 2 re-sent posts quarantined, 5 patches merged, 1 orphan patch a row.
    assert (account.records_read, account.rows, account.quarantined, account.merged) == (10, 3, 2, 5)
    assert account.reasons == {"resent-span-copy": 2}  # the same posts again, field for field
    same = ["span_id", "name", "status", "start_time", "end_time", "error_type", "output", "attributes"]
    assert df_twice.select(same).sort("span_id").equals(df_once.select(same).sort("span_id"))
    assert df_twice.filter(pl.col("name") == "support_agent")["end_time"].to_list() == [1746100802000 * 1_000_000]


def test_patch_on_a_later_line_completes_its_post() -> None:
    result, df = load(HERE / "ingest_captures.jsonl")
    assert (result.report.files[0].rows, result.report.files[0].merged) == (1, 1)
    row = df.row(0, named=True)
    assert (row["status"], row["output"]) == ("ok", '{"answer":42}')
    assert row["end_time"] == ns("2025-06-01T00:00:04+00:00")


# --- malformed --------------------------------------------------------------------------------


def test_malformed_lines_each_quarantined_with_a_specific_reason() -> None:
    result, df = load(HERE / "malformed.jsonl")
    account = result.report.files[0]
    assert (account.records_read, account.rows, account.quarantined, account.merged) == (9, 1, 8, 0)
    assert df["name"].to_list() == ["ok_run"]
    reasons = dict(pl.from_arrow(result.quarantine).select("source_line", "reason").iter_rows())
    assert reasons == {2: "invalid-json", 3: "missing-span-id", 4: "invalid-time", 5: "invalid-id",
                       6: "invalid-dotted-order", 7: "missing-trace-id", 8: "not-a-langsmith-run", 9: "truncated"}


def test_malformed_patches_in_a_capture() -> None:
    result, df = load(HERE / "malformed_capture.json")
    account = result.report.files[0]
    # 2 posts + 4 patches: a float id, a patch naming no run, a bad end time merged into its post
    # (which then cannot become a row), and one good patch.
    assert (account.records_read, account.rows, account.merged, account.quarantined) == (6, 1, 2, 3)
    assert df.select("name", "status").rows() == [("root", "ok")]
    assert sorted(pl.from_arrow(result.quarantine)["reason"]) == ["invalid-id", "invalid-time", "missing-span-id"]


def test_truncated_array_keeps_complete_runs() -> None:
    result, df = load(HERE / "truncated_array.json")
    assert df["name"].to_list() == ["complete"]
    assert pl.from_arrow(result.quarantine)["reason"].to_list() == ["truncated"]


def test_file_larger_than_the_sniffing_head(tmp_path: Path) -> None:
    doc = json.loads((HERE / "ingest_post_patch.json").read_text())
    doc["post"][0]["inputs"] = {"document": "x" * 100_000}  # the first run alone is past the 64 KiB head
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    result, df = load(path)
    assert (result.report.files[0].rows, result.report.files[0].merged) == (3, 2)


# --- sniffing -----------------------------------------------------------------------------------


def test_sniffing_claims_no_other_real_sample() -> None:
    for path in real_samples():  # ../shared/formats, or the copies in tests/data without it
        scores = registry.sniff_scores(str(path))
        mine = path.parent.name == "langsmith"
        assert (max(scores, key=scores.__getitem__) == "langsmith") == mine, (path, scores)
        if not mine:
            assert scores.get("langsmith", 0.0) == 0.0, (path, scores)


@pytest.mark.parametrize("path", [HERE / "export_nested_child_runs.json", HERE / "ingest_post_patch.json", HERE / "dotted_order_only.jsonl"] + (sorted((FORMATS / "langsmith").glob("*")) if FORMATS.exists() else []), ids=lambda p: p.name)
def test_damaged_files_account_for_every_record(path: Path, tmp_path: Path) -> None:
    check_damaged_file(path, "langsmith", tmp_path)


# --- which chain runs are agents --------------------------------------------------------------


def test_chain_runs_are_agents_only_on_evidence() -> None:
    _, df = load(HERE / "agents_and_wrappers.json")
    a = {r["name"]: r for r in df.filter(pl.col("run_id").str.starts_with("aaaaaaaa")).iter_rows(named=True)}
    b = {r["name"]: r for r in df.filter(pl.col("run_id").str.starts_with("bbbbbbbb")).iter_rows(named=True)}
    owners = {name: (row["kind"], row["agent"]) for name, row in a.items()}
    # The HTTP handler and the graph container have no agent evidence: they own nothing, so the
    # handler's failed audit.write belongs to no agent; the LangGraph node named by its metadata is one.
    assert owners == {
        "POST /v1/orders": ("chain", None),
        "LangGraph": ("chain", None),
        "planner": ("agent", "planner"),
        "ChatOpenAI": ("llm", "planner"),
        "RunnableSequence": ("chain", "planner"),
        "audit.write": ("tool", None),
    }
    assert {name: (row["kind"], row["agent"]) for name, row in b.items()} == {
        "nightly-sync": ("chain", None),  # a cron job is not an agent
        "ResearchAgent": ("agent", "ResearchAgent"),  # *Agent by name
        "web_search": ("tool", "ResearchAgent"),  # inherited from its agent parent
        "Writer": ("agent", "Writer"),  # the run its lc_agent_name names
        "model": ("chain", "Writer"),  # a LangGraph node inside the create_agent agent: a step of Writer
        "Triage": ("agent", "Triage"),  # OpenAI Agents SDK agent span: invocation_params tools + handoffs
        "Handoff": ("chain", None),  # the SDK's handoff span is a chain with no tools/handoffs
        "prepare_reagent": ("chain", None),  # "...reagent" is not "..._agent"
        "AgentExecutor": ("agent", "AgentExecutor"),  # LangChain's classic agent loop
    }


def test_error_under_a_non_agent_wrapper_is_an_orphan_failure() -> None:
    from forensics.classify import classify

    result, _ = load(HERE / "agents_and_wrappers.json")
    findings = classify(result.spans).findings.to_pylist()
    orphans = [f for f in findings if f["detector"] == "orphan_failure"]
    assert [(f["run_id"], f["evidence_span_ids"]) for f in orphans] == [
        ("aaaaaaaa-0000-4000-8000-000000000001", ["aaaaaaaa-0000-4000-8000-000000000006"])]


def test_ancestors_are_found_by_normalised_ids_above_the_parent(tmp_path: Path) -> None:
    # A parent_run_id written upper-case two levels up (UUIDs are case-insensitive; the loader keys runs
    # by the lowercase form) still leads to the agent: the ReAct model node under it is its step.


    trace = "0b1c2d3e-0000-4000-8000-000000000001"
    agent_id, wrap_id, node_id = (f"0b1c2d3e-0000-4000-8000-00000000000{i}" for i in (2, 3, 4))

    def run(rid: str, parent: str | None, name: str, node: str | None, start: int) -> dict:
        return {"id": rid, "trace_id": trace, "parent_run_id": parent, "name": name, "run_type": "chain",
                "start_time": f"2025-06-01T10:00:0{start}Z", "end_time": f"2025-06-01T10:00:0{start + 1}Z",
                "extra": {"metadata": {"langgraph_node": node} if node else {}}, "inputs": {}, "outputs": {}}

    runs = [run(trace, None, "LangGraph", None, 0),
            run(agent_id, trace, "billing_agent", "billing_agent", 1),
            run(wrap_id, agent_id.upper(), "RunnableSequence", None, 2),
            run(node_id, wrap_id, "agent", "agent", 3)]
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(runs))
    df = forensics.load(path).to_polars()
    node = df.filter(pl.col("span_id") == node_id).row(0, named=True)
    assert (node["kind"], node["agent"]) == ("chain", "billing_agent")
