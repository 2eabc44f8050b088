"""The smolagents incident runs (tests/data/incidents/smolagents_dev) load by sniffing, whole.

The counts below are the spans each file was written with (see the README there), not our output.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from forensics.load import load

DEV = Path(__file__).parent / "data" / "incidents" / "smolagents_dev"
#: Spans written per file: agent runs, "Step N" chains, model calls and tool calls.
WRITTEN = {
    "smol_search_loop_max_steps.json": 20,
    "smol_ctrl_f_not_found_loop.json": 19,
    "smol_managed_agent_empty_report.json": 13,
    "smol_preprocess_error_unowned.json": 5,
    "smol_managed_agent_report_used.json": 19,
    "smol_long_page_read.json": 28,
    # Round 2 (issue 13): planning steps, parsing errors, re-delegation, delegates out of steps.
    "smol_requery_cosmetic.json": 13,
    "smol_format_errors_fence.json": 12,
    "smol_replan_revisit_page.json": 20,
    "smol_stuck_delegate_paraphrased.json": 44,
    "smol_redelegate_same_task.json": 22,
    "smol_stuck_delegate_unchecked.json": 44,
    "smol_delegate_followup.json": 22,
    "smol_stuck_delegate_checked.json": 53,
    "smol_two_delegations_different.json": 24,
    "smol_format_error_once.json": 8,
    # Written after redo_after_replan, as the clean near miss it lacked (see the README).
    "smol_replan_reread_then_scroll.json": 27,
    # Round 3 (written with their rules, see the README): claims of a CodeAgent's e-mail.
    "smol_email_claim_never_sent.json": 9,
    "smol_email_send_raised_then_printed.json": 12,
    "smol_email_sent.json": 10,
    # ... and a CodeAgent on Ollama whose prompts were cut to the default num_ctx (and two near misses).
    "smol_ollama_prompt_cut_to_num_ctx.json": 16,
    "smol_ollama_prompt_under_num_ctx.json": 16,
    "smol_ollama_large_window_growing.json": 16,
    # ... and a newsletter posted twice through a managed agent (and the two-channel near miss).
    "smol_newsletter_posted_twice.json": 22,
    "smol_newsletter_posted_again_by_delegate.json": 16,
    "smol_newsletter_two_channels.json": 22,
    # ... and parsing errors in every step until the step limit.
    "smol_parse_error_storm.json": 10,
}
LABELS = [json.loads(line) for line in (DEV / "labels.jsonl").read_text().splitlines() if line.strip()]


def test_every_labelled_file_is_listed() -> None:
    assert sorted(lab["file"] for lab in LABELS) == sorted(WRITTEN)


@pytest.mark.parametrize("label", LABELS, ids=[lab["scenario"] for lab in LABELS])
def test_incident_loads_by_sniffing_with_every_span(label: dict[str, object]) -> None:
    result = load(DEV / str(label["file"]))
    assert result.quarantine.num_rows == 0
    df = result.to_polars()
    assert df.height == WRITTEN[str(label["file"])]
    assert df.get_column("source_format").unique().to_list() == ["otel-clickhouse"]
    # One trace per file, its id the label's run id; the decisive span is one of its spans.
    assert df.get_column("run_id").unique().to_list() == [label["run_id"]]
    if label["decisive_span_id"] is not None:
        assert label["decisive_span_id"] in df.get_column("span_id").to_list()
    kinds = set(df.get_column("kind").to_list())
    # (No step of the parse-error storm got as far as running code: no tool span.)
    no_tools = {"smol_preprocess_error_unowned", "smol_parse_error_storm"}
    assert {"agent", "chain", "llm", "tool"} <= kinds or label["scenario"] in no_tools
    tools = df.filter(pl.col("kind") == "tool")
    # OpenInference smolagents: the tool span carries tool.name; input.value is {args, kwargs}.
    assert tools.get_column("tool").null_count() == 0
    assert tools.get_column("input").str.starts_with('{"args"').all()


def test_collapse_and_ownership_classes_match_the_labels_and_clean_runs_stay_clean() -> None:
    from forensics.classify import classify

    result = load(DEV)
    findings, runs = classify(result).to_polars()
    mine = ("context_collapse", "ownership_gap")
    for label in LABELS:
        got = set(findings.filter(pl.col("run_id") == label["run_id"]).get_column("failure_class").to_list())
        expected = set(label["expected_classes"])  # type: ignore[arg-type]
        assert {c for c in got if c in mine} == {c for c in expected if c in mine}, label["scenario"]
        if not expected:
            assert runs.filter(pl.col("run_id") == label["run_id"]).get_column("ok").to_list() == [True]
