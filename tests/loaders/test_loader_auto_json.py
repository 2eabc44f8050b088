"""auto-json: any JSON with span-like objects in it, only when asked. Expectations were written by
reading tests/data/auto_json/custom_agent_run.json (written for these tests: a made-up agent
framework's export, not any real tool's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from loader_fuzz import check_damaged_file

import forensics
from forensics.errors import UnknownFormatError
from forensics.loaders import registry

FIXTURE = Path(__file__).parents[1] / "data" / "auto_json" / "custom_agent_run.json"


def test_span_like_objects_anywhere_in_the_tree_become_rows_by_reference_and_nesting() -> None:
    result = forensics.load(FIXTURE, format="auto-json")
    account = result.report.files[0]
    # 4 steps are span-like; the note is not; step-5's start is not a time.
    assert (account.records_read, account.rows, account.quarantined) == (6, 4, 2)
    assert account.reasons == {"not-span-like": 1, "invalid-time": 1}
    rows = {r["span_id"]: r for r in result.spans.to_pylist()}
    assert set(rows) == {"step-1", "step-2", "step-3", "step-4"}
    assert {r["run_id"] for r in rows.values()} == {"run-2025-05-02-0007"}  # the enclosing run's trace_id
    assert rows["step-1"]["parent_id"] is None
    assert rows["step-2"]["parent_id"] == rows["step-3"]["parent_id"] == "step-1"  # nested under children
    assert rows["step-4"]["parent_id"] == "step-1"  # by reference
    lookup = rows["step-2"]
    assert (lookup["kind"], lookup["tool"], lookup["status"]) == ("tool", "lookup_order", "ok")
    assert json.loads(lookup["input"]) == {"order_id": 1182} and lookup["output"] == '{"status": "lost"}'
    assert (lookup["end_time"] - lookup["start_time"]).total_seconds() == 0.35  # duration_ms: 350
    llm = rows["step-3"]
    assert (llm["kind"], llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("llm", "gpt-4o", 812, 40)
    refund = rows["step-4"]
    assert (refund["status"], refund["error_message"]) == ("error", "payments API timed out after 30 s")
    details = dict(zip(result.quarantine["reason"].to_pylist(), result.quarantine["detail"].to_pylist(), strict=True))
    assert "lacks an id, a name, a start time or a duration" in details["not-span-like"]
    assert "`started_at`" in details["invalid-time"]


def test_the_guessed_mapping_is_reported_with_the_accounting() -> None:
    result = forensics.load(FIXTURE, format="auto-json")
    notes = result.report.files[0].notes
    assert notes == ["auto-json mapping: span_id <- `id`; parent_id <- `parent_id`; run_id <- `trace_id` of an enclosing object; "
                     "name <- `name`; start_time <- `started_at`; end_time <- `ended_at`; "
                     "duration <- `duration_ms`; kind <- `type`; status <- `status`; error_message <- `error`; "
                     "input <- `input`; output <- `output`; model <- `model`; input_tokens <- `prompt_tokens`; "
                     "output_tokens <- `completion_tokens`"]
    assert "\n    auto-json mapping: span_id <- `id`;" in str(result.report)


def test_never_chosen_by_sniffing_only_suggested() -> None:
    assert "auto-json" not in registry.sniff_scores(str(FIXTURE))
    with pytest.raises(UnknownFormatError) as caught:
        forensics.load(FIXTURE)
    assert "export_version, run" in caught.value.message


def test_flat_spans_without_a_trace_id_are_one_run_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "steps.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"span_id": "a", "name": "plan", "start": "2025-01-01T00:00:00Z", "end": "2025-01-01T00:00:01Z"},
        {"span_id": "b", "parent_id": "a", "name": "act", "start": "2025-01-01T00:00:01Z", "duration": "PT2S",
         "status": "failed"},
        {"message": "no span here"},
    ]) + "\n")
    result = forensics.load(path, format="auto-json")
    account = result.report.files[0]
    assert (account.rows, account.quarantined, account.reasons) == (2, 1, {"no-spans-found": 1})
    assert set(result.spans.column("run_id").to_pylist()) == {"steps"}
    assert any("run_id <- the file name `steps` for 2 span(s)" in n for n in account.notes)
    act = [r for r in result.spans.to_pylist() if r["span_id"] == "b"][0]
    assert act["status"] == "error" and (act["end_time"] - act["start_time"]).total_seconds() == 2


def test_a_damaged_file_still_accounts_for_every_record(tmp_path: Path) -> None:
    check_damaged_file(FIXTURE, "auto-json", tmp_path)
