"""The incident runs of tests/data/incidents/dev stay loadable: every file is found by sniffing (no
--format), and its accounting matches what the file holds, counted by hand from the file itself.

This file asserts nothing about the classifier's results on these runs: they are scored by
``forensics evaluate`` (and the held-out half only by the lead, at the end).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from forensics.evaluate import read_labels
from forensics.load import load

DEV = Path(__file__).parent / "data" / "incidents" / "dev"

# file -> (loader it must sniff as, runs, span rows, records merged into other rows)
# Counted by hand from each file:
# * OTLP/JSON: one row per entry of spans[] (every scope), one run per traceId.
# * LangSmith: one row per run object, nested child_runs included; one run per root.
# * Langfuse: one row per observation plus one for the trace itself.
# * Agents SDK JSONL: one row per "trace.span" line; the "trace" line holds no times and is folded
#   into its spans (merged); a span that never ended was never written by the processor.
# * Chat transcripts: a root row per conversation, one row per message, a tool call and the tool
#   message answering it sharing one tool row (so: 1 + messages per conversation).
EXPECTED: dict[str, tuple[str, int, int, int]] = {
    # root + 2 x (chat + POST) + execute_tool + GET
    "otlp_ledger_error_as_data.otlp.json": ("otlp-json", 1, 7, 0),
    # root + 21 x (chat + POST + execute_tool) + the refused chat + its POST
    "otlp_litellm_budget_exceeded.otlp.json": ("otlp-json", 1, 66, 0),
    # root + chat + POST + execute_tool + POST
    "otlp_standup_summary_truncated.otlp.json": ("otlp-json", 1, 5, 0),
    # root + chat + POST + execute_tool + 2 GETs (429, resend 200) + chat + POST
    "otlp_weather_retry_after_honoured.otlp.json": ("otlp-json", 1, 8, 0),
    # LangGraph root, agent node, ChatOpenAI, human_review node (the interrupt)
    "langsmith_refund_interrupt_never_resumed.json": ("langsmith", 1, 4, 0),
    # AgentExecutor, ChatOpenAI, get_subscription, ChatOpenAI
    "langsmith_subscription_cancel_claimed.json": ("langsmith", 1, 4, 0),
    # summarize_ticket, RunnableWithFallbacks, ChatOpenAI (429), ChatAnthropic, StrOutputParser
    "langsmith_summary_with_fallbacks.json": ("langsmith", 1, 5, 0),
    # LangGraph root + 3 agent nodes with their ChatOpenAI + 2 tools nodes with their tool run
    "langsmith_toolnode_error_recovered.json": ("langsmith", 1, 11, 0),
    # trace + AGENT, GENERATION, 2 TOOL, EVENT, GENERATION
    "langfuse_oncall_page_acknowledged.json": ("langfuse", 1, 7, 0),
    # trace + AGENT, GENERATION, TOOL, GENERATION
    "langfuse_refund_quote_status.json": ("langfuse", 1, 5, 0),
    # trace + AGENT, 3 GENERATION, 2 TOOL
    "langfuse_release_deploy_unguarded.json": ("langfuse", 1, 7, 0),
    # trace + AGENT (never ended), GENERATION, TOOL
    "langfuse_sales_report_stalled.json": ("langfuse", 1, 4, 0),
    # 6 lines: trace + agent, 2 response, function, handoff (Refund Agent never ended: not written)
    "agents_refund_handoff_dangling.jsonl": ("openai-agents", 1, 5, 1),
    # 22 lines: trace + agent + 10 response + 10 function
    "agents_research_max_turns.jsonl": ("openai-agents", 1, 21, 1),
    # 8 lines: trace + 2 agent, 3 response, handoff, function
    "agents_shipping_handoff_picked_up.jsonl": ("openai-agents", 1, 7, 1),
    # root + chat + POST + get_fx_rate (timed out) + its GET + get_fx_rate_cached + chat + POST
    "otlp_fx_cached_fallback.otlp.json": ("otlp-json", 1, 8, 0),
    # root + chat + POST + fetch_page + GET 301 + GET 200 (resend 1) + chat + POST
    "otlp_docs_redirect_followed.otlp.json": ("otlp-json", 1, 8, 0),
    # LangGraph root + 6 x (agent node, ChatOpenAI, tools node, get_po_status)
    "langsmith_po_status_recursion_limit.json": ("langsmith", 1, 25, 0),
    # 4 lines: trace + agent, generation, function
    "agents_export_fatal_tool_error.jsonl": ("openai-agents", 1, 3, 1),
    # 5 messages
    "chat_invoice_not_sent_honest.json": ("chat-messages", 1, 6, 0),
    "chat_invoice_quote_checked.json": ("chat-messages", 1, 6, 0),
    "chat_workspace_delete_unauthenticated.json": ("chat-messages", 1, 6, 0),
    # 13 messages
    "chat_workspace_delete_verified.json": ("chat-messages", 1, 14, 0),
}


def _spans(table: object) -> pl.DataFrame:
    df = pl.from_arrow(table)  # type: ignore[arg-type]
    assert isinstance(df, pl.DataFrame)
    return df


def test_every_dev_file_is_listed_here() -> None:
    on_disk = sorted(p.name for p in DEV.iterdir() if p.suffix in (".json", ".jsonl") and p.name != "labels.jsonl")
    assert on_disk == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_incident_file_sniffs_and_accounts(name: str) -> None:
    fmt, runs, rows, merged = EXPECTED[name]
    result = load([str(DEV / name)])  # no format: the loader is sniffed
    (acct,) = result.report.files
    assert acct.problem is None
    assert (acct.format, acct.chosen_by) == (fmt, "sniffed")
    assert (acct.rows, acct.quarantined, acct.merged) == (rows, 0, merged)
    assert acct.balanced
    spans = _spans(result.spans)
    assert spans.height == rows
    assert spans["run_id"].n_unique() == runs
    assert spans.select(pl.struct("run_id", "span_id").is_unique().all()).item()


def test_labels_name_runs_and_spans_that_the_files_hold() -> None:
    labels = read_labels(DEV / "labels.jsonl")
    assert sorted(set(labels["file"])) == sorted(EXPECTED)
    assert labels["run_id"].is_unique().all()
    result = load([str(DEV)])  # the directory walk skips labels.jsonl and README.md
    assert result.report.problems == [] and result.report.quarantined == 0
    spans = _spans(result.spans).select("run_id", "span_id", "source_file")
    assert spans["run_id"].n_unique() == labels.height == sum(v[1] for v in EXPECTED.values())
    for lab in labels.iter_rows(named=True):
        run = spans.filter(pl.col("run_id") == lab["run_id"])
        assert run.height > 0, lab["run_id"]
        assert {Path(f).name for f in run["source_file"]} == {lab["file"]}
        if lab["decisive_span_id"] is not None:
            assert lab["decisive_span_id"] in set(run["span_id"]), lab
    failing = labels.filter(pl.col("expected_classes").list.len() > 0)
    assert failing.height == labels.filter(pl.col("decisive_span_id").is_not_null()).height
    assert 0 < failing.height < labels.height  # both failing and clean-but-alarming runs
