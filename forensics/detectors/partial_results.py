"""A load that went in part, or a query cut at its row cap, reported as the whole. Read by
``silent_failure.error_as_data`` beside the empty lookups and the empty test runs.

A bulk load that skips bad rows still ends its call normally, and says so in its own result:

* Snowflake's ``COPY INTO <table>`` returns a row per file with ``status`` LOADED, LOAD_FAILED or
  PARTIALLY_LOADED beside ``rows_parsed``, ``rows_loaded``, ``errors_seen`` and ``first_error``
  (Snowflake reference, "COPY INTO <table>", Output; ``ON_ERROR = CONTINUE`` loads the good rows);
* a BigQuery load job with ``maxBadRecords`` ends DONE with ``statistics.load.badRecords`` beside
  ``outputRows`` (BigQuery REST reference, JobStatistics3; int64 counts as JSON strings);
* an OpenAI Batch ends ``"status": "completed"`` whatever became of its requests, and counts them in
  ``request_counts`` ``{"total", "completed", "failed"}`` (OpenAI API reference, "The batch object";
  openai-python ``types/batch_request_counts.py``; the failed requests' errors are in
  ``error_file_id``): a failed count above zero is a batch that went in part;
* an application's import or load tool wraps such a job as ``{"status": "partial", "rows_loaded":
  ..., "rows_rejected": ...}`` or ``{"status": "partial", "imported": ..., "skipped": ...}``.

A download answered in part says so in its ``Content-Range``: an HTTP 206 Partial Content reply
carries ``bytes first-last/complete-length`` (RFC 9110 section 14.4 and 15.3.7), and a reply whose
``last + 1`` falls short of the complete length holds only the front of the file. It is read like a
partial load (what came, of the whole), unless a later reply in the run carries the same file's
range up to its end (the rest fetched).

A query the warehouse or its tool capped says it was cut: ``"truncated": true`` beside the rows it
did return (a SQL tool's ``max_rows``), or ``"row_limit_reached": true`` (Snowflake's
``ROWS_PRODUCED`` stops at the statement's ``LIMIT``; a tool's own cap flag).

Either is an error only where the run reports the whole: the final answer (or, where the model's text
was not kept, a message a later side-effecting call sent) states the whole count (``rows_parsed``,
``rows_received``, a count of all rows) and neither the count that went in nor the count refused,
or says every, all or the whole went in while stating neither; for a capped result, the answer
states the returned count as the total and says nothing of a cap, a partial set or "at least".
An answer that gives the split ("45,977 of 48,210 loaded; 2,233 rejected"), or speaks of skipped,
rejected or failed rows, told it.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Q
from forensics.detectors.base import Context
from forensics.detectors.batch_results import largest_count, stated_numbers

#: A number as a JSON value, possibly quoted (BigQuery writes int64 as a string).
_N: Final = rf"{Q}?([0-9]+){Q}?"
#: An OpenAI Batch object's ``request_counts`` object, up to the key read after it.
_COUNTS: Final = rf"{Q}request_counts{Q}\s*:\s*\{{[^}}]*?{Q}"
#: The result's own status word for a load that went in part (or a batch's failed requests).
PARTIAL_STATUS: Final = (
    rf"(?i){Q}(?:status|state|load_status|loadStatus|result){Q}\s*:\s*{Q}"
    rf"(?:PARTIALLY_LOADED|partial|partial_success|partially_succeeded|partially_completed|completed_with_errors){Q}"
    rf"|{Q}badRecords{Q}\s*:\s*{Q}?[1-9]"
    rf"|{_COUNTS}failed{Q}\s*:\s*[1-9]"
)
#: The counts a partial load states: refused (group 1), gone in (group 1), all it read (group 1).
_REFUSED: Final = (
    rf"(?i){Q}(?:errors_seen|rows_rejected|rejected|rejected_rows|rows_skipped|skipped|skipped_rows|rows_failed"
    rf"|failed_rows|badRecords|bad_records|error_count|errorCount|rejectedRows|skippedRows){Q}\s*:\s*{_N}"
    rf"|{_COUNTS}failed{Q}\s*:\s*{_N}"
)
_LOADED: Final = (
    rf"(?i){Q}(?:rows_loaded|loaded|imported|inserted|rows_inserted|rows_imported|outputRows|rowsLoaded|loadedRows"
    rf"|importedRows){Q}\s*:\s*{_N}"
    rf"|{_COUNTS}completed{Q}\s*:\s*{_N}"
)
_WHOLE: Final = (
    rf"(?i){Q}(?:rows_parsed|rows_received|rows_read|rowsRead|rowsReceived|rowsParsed|total_rows|totalRows|rows_total"
    rf"|inputRows){Q}\s*:\s*{_N}"
    rf"|{_COUNTS}total{Q}\s*:\s*{_N}"
)
#: A reply's Content-Range (RFC 9110 section 14.4): first byte (group 1), last byte (group 2),
#: the complete length (group 3), as a header or a tool's field (``content_range``).
RANGE: Final = rf"(?i)content[-_ ]?range{Q}?\s*[:=]\s*{Q}?\s*bytes\s+([0-9]+)-([0-9]+)/([0-9]+)"
#: A query result saying the rows were cut at a cap, and the count of rows it returned (group 1).
CAPPED: Final = (
    rf"(?i){Q}(?:truncated|row_limit_reached|rowLimitReached|limit_reached|limitReached|max_rows_reached){Q}\s*:\s*true\b"
)
_RETURNED: Final = rf"(?i){Q}(?:row_count|rowCount|rows_returned|returned_rows|num_rows|numRows|returned){Q}\s*:\s*{_N}"
#: An answer claiming every item: "all 10,000 rows", "every product is live", "the whole file".
_ALL: Final = r"(?i)\b(?:all|every|entire|whole|each|full)\b"
#: An answer telling part of it failed, or that the count is a floor or a sample.
_TOLD: Final = (
    r"(?i)\bpartial\w*|\bskip\w*|\breject\w*|\bfail\w*|\berror\w*|\binvalid\b|\bbad\b|\bmissing\b|\bnot\s+all\b"
    r"|\bexcept\b|\bwarning\w*|\bcap(?:ped)?\b|\btruncat\w*|\blimit\w*|\bat\s+least\b|\bmore\s+than\b|\bfirst\b"
    r"|\bsample\b|\bpreview\b|\bincomplete\b|\bonly\b|\bcould\s*n[o']?t\b|\bunable\b"
)


def partial_results(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, t, call, output, kind``: successful results of a load that went in
    part, or of a query cut at its cap, under a run (not ended in error) whose answer reports the
    whole (module docstring)."""
    s = ctx.spans.lazy()
    out = pl.col("output")
    acting = pl.col("kind").is_in(["tool", "chain", "unknown"]) & pl.col("succeeded")
    last, size = out.str.extract(RANGE, 2).cast(pl.Int64), out.str.extract(RANGE, 3).cast(pl.Int64)
    ranged = s.filter(acting & out.str.contains(RANGE).fill_null(False)).select("run_id", "seq", last.alias("_last"), size.alias("_size"))
    # A range short of its file, and no later reply of the same file's range up to its end.
    whole_later = ranged.filter(pl.col("_last") + 1 >= pl.col("_size")).select("run_id", pl.col("seq").alias("_w_seq"), "_size")
    cut = (
        ranged.filter(pl.col("_last") + 1 < pl.col("_size"))
        .join(whole_later, on=["run_id", "_size"], how="left")
        .group_by("run_id", "seq", "_last", "_size")
        .agg((pl.col("_w_seq") > pl.col("seq")).any().alias("_rest"))
        .filter(~pl.col("_rest").fill_null(False))
        .select("run_id", "seq", pl.lit(True).alias("_cut"))
    )
    found = (
        s.filter(acting & pl.col("output").str.contains(f"(?:{PARTIAL_STATUS})|(?:{CAPPED})|(?:{RANGE})").fill_null(False))
        .join(cut, on=["run_id", "seq"], how="left")
        .select(
            "run_id", "span_id", "seq", "t", "call", "output", "kind", "parent_id",
            (pl.col("output").str.contains(PARTIAL_STATUS) | pl.col("_cut").fill_null(False)).alias("_partial"),
            pl.when(pl.col("_cut")).then(size - last - 1).otherwise(largest_count(out, _REFUSED)).alias("_refused"),
            pl.when(pl.col("_cut")).then(last + 1).otherwise(largest_count(out, _LOADED)).alias("_loaded"),
            pl.when(pl.col("_cut")).then(size).otherwise(largest_count(out, _WHOLE)).alias("_whole"),
            largest_count(out, _RETURNED).alias("_returned"),
        )
        .filter((pl.col("_partial") & (pl.col("_refused") > 0)) | (~pl.col("_partial") & pl.col("_returned").is_not_null()))
        .collect()
    )  # fmt: skip
    # A step that holds its own tool's result (a smolagents step's observation, a LangGraph tools
    # node) is that call's: the tool span is kept, the step dropped.
    found = found.join(
        found.filter(pl.col("kind") == "tool").select("run_id", pl.col("parent_id").alias("span_id")), on=["run_id", "span_id"], how="anti"
    )
    if found.height == 0:
        return found.select("run_id", "span_id", "seq", "t", "call", "output", "kind").lazy()
    runs = ctx.runs.lazy().filter(pl.col("reported_outcome") != "error")
    # The run's words: its final answer, and the messages side-effecting calls sent after the result
    # (their arguments kept without whitespace: only the numbers in them are read).
    answers = runs.select("run_id", pl.col("final_output").alias("_said"), pl.lit(True).alias("_prose"))
    sent = (
        s.filter((pl.col("kind") == "tool") & pl.col("succeeded") & pl.col("is_side_effect") & pl.col("args").is_not_null())
        .join(found.lazy().select("run_id", pl.col("seq").alias("_r_seq")), on="run_id")
        .filter(pl.col("seq") > pl.col("_r_seq"))
        .join(runs.select("run_id"), on="run_id", how="semi")
        .select("run_id", pl.col("args").alias("_said"), pl.lit(False).alias("_prose"))
    )
    said = pl.concat([answers, sent]).filter(pl.col("_said").is_not_null()).with_columns(stated_numbers(pl.col("_said")).alias("_nums"))
    nums = pl.col("_nums")
    told = pl.col("_said").str.contains(_TOLD).fill_null(True) & pl.col("_prose")
    partial = pl.col("_partial")
    whole = pl.coalesce("_whole", pl.col("_loaded") + pl.col("_refused"))
    states_split = nums.list.contains(pl.col("_loaded")).fill_null(False) | nums.list.contains(pl.col("_refused")).fill_null(False)
    load_claimed = partial & ~states_split & ~told & (
        nums.list.contains(whole).fill_null(False) | (pl.col("_prose") & pl.col("_said").str.contains(_ALL))
    )
    cap_claimed = ~partial & pl.col("_prose") & ~told & nums.list.contains(pl.col("_returned")).fill_null(False)
    return (
        found.lazy()
        .join(said, on="run_id")
        .filter(load_claimed | cap_claimed)
        .select("run_id", "span_id", "seq", "t", "call", "output", "kind")
        .unique(["run_id", "span_id"], keep="first")
    )
