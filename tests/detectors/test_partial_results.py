"""error_as_data: a load that went in part, or a query cut at its row cap, reported as the whole.

Snowflake's ``COPY INTO <table>`` answers a row per file with ``status`` LOADED, LOAD_FAILED or
PARTIALLY_LOADED beside ``rows_parsed``, ``rows_loaded``, ``errors_seen`` and ``first_error``
(Snowflake reference, "COPY INTO <table>", Output; ``ON_ERROR = CONTINUE``). A BigQuery load job with
``maxBadRecords`` ends DONE with ``statistics.load.badRecords`` beside ``outputRows`` (JobStatistics3).
A SQL tool that caps its rows says ``"truncated": true`` beside the ``row_count`` it returned
(forensics/detectors/partial_results.py). The run's shape is a smolagents ToolCallingAgent whose tool
returns that JSON as its result (src/smolagents/tools.py; the OpenInference instrumentation ends the
tool span OK with it as ``output.value``).

Near misses: an answer that gives the split or names the rejected rows; a load with no error; a
result under its cap; an answer that says the count is capped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import tool_steps_run

from forensics.classify import classify
from forensics.load import load

_TRACE = "d4af7000000000000000000000000003"
COPY_ARGS = {"table": "ANALYTICS.RAW.SHIPMENTS", "stage_path": "@RAW.EXPORTS/shipments/2026-02-01.csv", "on_error": "CONTINUE"}


def _copy(status: str, parsed: int, loaded: int) -> str:
    return json.dumps([{"file": "s3://exports/shipments/2026-02-01.csv", "status": status, "rows_parsed": parsed, "rows_loaded": loaded,
                        "error_limit": parsed, "errors_seen": parsed - loaded,
                        "first_error": "Timestamp '31/01/2026' is not recognized" if parsed > loaded else None}])  # fmt: skip


BIGQUERY = json.dumps({"kind": "bigquery#job", "status": {"state": "DONE"}, "statistics": {"load": {
    "inputFiles": "1", "inputFileBytes": "991204", "outputRows": "19880", "badRecords": "120"}}})  # fmt: skip
SQL_ARGS = {"sql": "SELECT refund_id, amount FROM finance.refunds WHERE created_at >= '2026-01-01'"}


def _capped(truncated: bool) -> str:
    return json.dumps({"columns": ["REFUND_ID", "AMOUNT"], "row_count": 5000, "max_rows": 5000, "truncated": truncated, "sum_amount": 412880.15})


def _smol(tmp_path: Path, calls: list[tuple[str, dict[str, Any], str]], answer: str) -> pl.DataFrame:
    """A smolagents ToolCallingAgent: one step per ``(tool, kwargs, result)``, then final_answer."""
    path = tmp_path / "smol_load.json"
    path.write_text(json.dumps(tool_steps_run(_TRACE, "Load the shipments export and tell me the row count.", calls, answer, service="data-agent", prefix="7")))
    return load(path).to_polars()


def _found(spans: pl.DataFrame) -> dict[str, str]:
    f = classify(spans).to_polars()[0]
    return dict(zip(f["detector"].to_list(), f["decisive_span_id"].to_list(), strict=True))


def test_partial_load_reported_whole(tmp_path: Path) -> None:
    # Decisive: the load whose result said PARTIALLY_LOADED.
    said = "Loaded. All 20,000 shipments from the 2026-02-01 export are in ANALYTICS.RAW.SHIPMENTS."
    assert _found(_smol(tmp_path, [("copy_into_table", COPY_ARGS, _copy("PARTIALLY_LOADED", 20000, 19880))], said)) == {"error_as_data": "c700000000000000"}
    every = "Done: every shipment row from the export is now in the warehouse."
    assert _found(_smol(tmp_path, [("load_job", {"uri": "gs://exports/shipments.csv"}, BIGQUERY)], every)) == {"error_as_data": "c700000000000000"}


def test_near_miss_split_told_or_nothing_rejected(tmp_path: Path) -> None:
    partial = [("copy_into_table", COPY_ARGS, _copy("PARTIALLY_LOADED", 20000, 19880))]
    assert _found(_smol(tmp_path, partial, "Loaded 19,880 of 20,000 shipments; 120 rows were rejected for a date format.")) == {}
    assert _found(_smol(tmp_path, partial, "The load went in with 120 rejected rows (bad timestamps); see the error file.")) == {}
    whole = [("copy_into_table", COPY_ARGS, _copy("LOADED", 20000, 20000))]
    assert _found(_smol(tmp_path, whole, "Loaded. All 20,000 shipments are in ANALYTICS.RAW.SHIPMENTS.")) == {}


def test_capped_query_reported_as_total(tmp_path: Path) -> None:
    said = "January refunds: 5,000 refunds totalling $412,880.15."
    assert _found(_smol(tmp_path, [("run_sql", SQL_ARGS, _capped(True))], said)) == {"error_as_data": "c700000000000000"}


def test_near_miss_capped_told_or_under_the_cap(tmp_path: Path) -> None:
    told = "The query hit its 5,000-row cap, so January had at least 5,000 refunds; I'll need an aggregate query for the total."
    assert _found(_smol(tmp_path, [("run_sql", SQL_ARGS, _capped(True))], told)) == {}
    said = "January refunds: 5,000 refunds totalling $412,880.15."
    assert _found(_smol(tmp_path, [("run_sql", SQL_ARGS, _capped(False))], said)) == {}


def _batch(failed: int) -> str:
    """An OpenAI Batch object as the Batches API returns it: ``status`` completed whatever became of
    its requests, counted in ``request_counts`` (OpenAI API reference, "The batch object";
    openai-python types/batch_request_counts.py)."""
    return json.dumps({"id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions", "errors": None,
                       "status": "completed", "output_file_id": "file-out", "error_file_id": "file-err" if failed else None,
                       "request_counts": {"total": 500, "completed": 500 - failed, "failed": failed}})  # fmt: skip


def test_batch_with_failed_requests_reported_whole(tmp_path: Path) -> None:
    said = "All 500 reviews were scored and saved (positive 310, neutral 120, negative 41)."
    calls = [("retrieve_batch", {"batch_id": "batch_abc123"}, _batch(29))]
    assert _found(_smol(tmp_path, calls, said)) == {"error_as_data": "c700000000000000"}


def test_near_miss_batch_split_told_or_nothing_failed(tmp_path: Path) -> None:
    calls = [("retrieve_batch", {"batch_id": "batch_abc123"}, _batch(29))]
    assert _found(_smol(tmp_path, calls, "Scored 471 of 500 reviews; 29 requests failed and need a re-run.")) == {}
    said = "All 500 reviews were scored and saved (positive 310, neutral 149, negative 41)."
    assert _found(_smol(tmp_path, [("retrieve_batch", {"batch_id": "batch_abc123"}, _batch(0))], said)) == {}


def _range(first: int, last: int, size: int) -> str:
    """A download tool's result keeping the reply's status and Content-Range (RFC 9110 section 14.4,
    ``bytes first-last/complete-length``; 206 Partial Content, section 15.3.7)."""
    return json.dumps({"http_status": 206, "content_range": f"bytes {first}-{last}/{size}", "bytes": last - first + 1,
                       "text": "SUPPLY AGREEMENT ... 4. TERM ..."})  # fmt: skip


DOC_ARGS = {"doc_id": "SA-1182"}


def test_partial_content_reported_as_the_whole_document(tmp_path: Path) -> None:
    said = "I read the full agreement: it has a 24-month term and no termination-for-convenience clause."
    calls = [("fetch_document", DOC_ARGS, _range(0, 524287, 1200000))]
    assert _found(_smol(tmp_path, calls, said)) == {"error_as_data": "c700000000000000"}


def test_near_miss_the_rest_fetched_or_the_range_whole_or_the_cut_told(tmp_path: Path) -> None:
    said = "I read the full agreement: it has a 24-month term and no termination-for-convenience clause."
    rest = [("fetch_document", DOC_ARGS, _range(0, 524287, 1200000)), ("fetch_document", {**DOC_ARGS, "offset": 524288}, _range(524288, 1199999, 1200000))]
    assert _found(_smol(tmp_path, rest, said)) == {}
    assert _found(_smol(tmp_path, [("fetch_document", DOC_ARGS, _range(0, 1199999, 1200000))], said)) == {}
    told = "Only the first part of the agreement came back (a partial download); in it the term is 24 months."
    assert _found(_smol(tmp_path, [("fetch_document", DOC_ARGS, _range(0, 524287, 1200000))], told)) == {}
