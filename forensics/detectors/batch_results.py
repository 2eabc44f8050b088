"""A batch result whose items partly failed, and an answer that claimed the whole batch.

Bulk and batch APIs answer HTTP 200 (or 207 Multi-Status) for the request and report each item in
the body. Elasticsearch's ``_bulk`` answers ``{"took": 30, "errors": true, "items": [{"index":
{"_id": ..., "status": 400, "error": {"type": ..., "reason": ...}}}, ...]}``: "errors" is true when
one or more operations failed, each failure sits in its item (Elasticsearch reference, "Bulk API",
response body: ``errors``, ``items``, ``status``, ``error``; the official clients return that body
as the call's result, elasticsearch-py ``helpers.bulk`` raising only when asked to). The tool span
ends OK; the body's own flag is the only evidence (TAXONOMY error_as_data). :data:`BULK_ERRORS`
reads it on a tool's result, and on a step's that is not a model call (a Langfuse ``@observe``
function's SPAN that made the request: kind chain), since the body is the API's, whoever returned it.
A tool that hands back the body summarised keeps ES's own first keys (``{"took": 4121, "errors":
true, "indexed": 37, "failed": 13, ...}``): ``took`` then ``errors`` true, with no list before them, is
the same flag. A GraphQL mutation reports the input it refused in its payload's ``userErrors`` list,
beside whatever it did (Shopify Admin API: every mutation payload carries ``userErrors: [UserError!]!``,
each ``{field, message, code}``, empty when all went through; ``productVariantsBulkUpdate`` returns
the variants it updated and a ``userErrors`` entry per variant it did not): a non-empty list is that
call failing in part (:data:`USER_ERRORS`). A GraphQL request refused as a whole answers HTTP 200
too, with ``data`` null (or the mutation's own field null) beside a non-empty ``errors`` list, each
error an object with its ``message`` (GraphQL spec, "Response": "If the errors entry is present it
must be a non-empty list", a field error leaves that field null; Shopify Admin API: THROTTLED,
ACCESS_DENIED in ``errors[].extensions.code``), in either order (the spec suggests ``errors``
first, Shopify writes ``data`` first): :data:`GRAPHQL_ERRORS`. A response with data and no
errors, or with an empty ``errors`` list, is a success.

Either body may be wrapped as the tool hands it on: under the tool's own fields (``{"http_status":
200, "body": {...}}``), or as the string of a text content block (a Strands tool result's
``[{"text": "{\"took\": ...}"}]``, an MCP ``{"content": [{"type": "text", "text": ...}]}``):
:data:`BODY_START` is where the body's object may open.

Batch APIs with a summary say how many items failed beside how many succeeded (``{"succeeded": 36,
"failed": 4}``; Chargebee-, Zendesk-job- and billing-style batch replies). Such a result is
already error-shaped by its failed items (``"status": "failed"``); what is judged here is whether
the run told anyone (:func:`whole_batch_claimed`): an answer that states the batch's whole size
(succeeded + failed: "All 40 invoices now carry the credit") and neither how many succeeded nor
how many failed reported the batch as done whole, whatever other fault word it holds ("the
October outage list" names the task's cause, not the four credits that failed). An answer that
gives the split ("22 of 25 enrolled; 3 need fixing") told it.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Q

#: Where an API's body may open: the result's start, or the start of the string of a text content
#: block the result is (Strands ``[{"text": "..."}]``, MCP ``{"content": [{"type": "text", "text":
#: "..."}]}``).
BODY_START: Final = (
    rf"^\s*(?:(?:\{{\s*{Q}content{Q}\s*:\s*)?\[\s*\{{\s*(?:{Q}type{Q}\s*:\s*{Q}text{Q}\s*,\s*)?{Q}text{Q}\s*:\s*{Q})?"
)
#: Elasticsearch's ``_bulk`` body with failed operations: ``"errors": true`` before the item list,
#: and the list (``"items": [``) after it.
BULK_ERRORS: Final = (
    rf"(?s){BODY_START}\{{[^\[]*?{Q}errors{Q}\s*:\s*true\b.*?{Q}items{Q}\s*:\s*\["
    # The body summarised by the tool: ES's ``took`` first, then ``errors`` true, no list before them.
    rf"|{BODY_START}\{{\s*{Q}took{Q}\s*:\s*[0-9]+\s*,[^\[]*?{Q}errors{Q}\s*:\s*true\b"
)
#: GraphQL's ``data`` null, or its one top-level field null (the mutation refused).
_NO_DATA: Final = rf"{Q}data{Q}\s*:\s*(?:null|\{{\s*{Q}\w+{Q}\s*:\s*null\s*\}})"
#: A non-empty GraphQL ``errors`` list: its first error object with its ``message``.
_GQL_ERROR: Final = rf"{Q}errors{Q}\s*:\s*\[\s*\{{\s*(?:{Q}\w+{Q}\s*:[^\[\]{{}}]*?,\s*)?{Q}message{Q}\s*:"
#: A GraphQL response refused: no data beside errors, in either order, in one object (no other
#: object opened between them but the errors' own).
GRAPHQL_ERRORS: Final = rf"(?s){_NO_DATA}\s*,\s*{_GQL_ERROR}|{_GQL_ERROR}.*?\]\s*,\s*{_NO_DATA}\s*[,}}]"
#: A GraphQL mutation payload's ``userErrors`` holding at least one error object (Shopify Admin API).
USER_ERRORS: Final = rf"{Q}userErrors{Q}\s*:\s*\[\s*\{{"
#: A batch reply's count of the items that failed, and of those that succeeded (group 1: the count).
_FAILED_COUNT: Final = (
    rf"(?i){Q}(?:failed|failures|failed_count|failure_count|failedCount|failureCount|num_failed|error_count|errorCount){Q}"
    r"\s*:\s*([0-9]+)\b"
)
_SUCCEEDED_COUNT: Final = (
    rf"(?i){Q}(?:succeeded|successful|success_count|succeeded_count|successCount|succeededCount|num_succeeded){Q}"
    r"\s*:\s*([0-9]+)\b"
)


def bulk_error_rows(spans: pl.DataFrame) -> pl.Series:
    """The row numbers of ``spans`` whose output is an Elasticsearch ``_bulk`` body with failed
    operations (BULK_ERRORS), a GraphQL payload with user errors (USER_ERRORS) or a GraphQL response
    refused with errors and no data (GRAPHQL_ERRORS), whoever returned
    it: a tool, or a step that made the request (a Langfuse ``@observe`` function's SPAN, kind
    chain). Not a model call or an agent's answer: a model writing such JSON is text. For
    ``preparation``'s ``error_shaped``."""
    return (
        spans.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "kind", "output")
        .filter(
            ~pl.col("kind").is_in(["llm", "agent"])
            & pl.col("output").str.contains(f"(?:{BULK_ERRORS})|(?:{USER_ERRORS})|(?:{GRAPHQL_ERRORS})").fill_null(False)
        )
        .get_column("_row")
    )


def largest_count(text: pl.Expr, pattern: str) -> pl.Expr:
    """The largest count ``pattern`` reads in ``text`` (null where none): the last number of each
    match, a closing quote after it allowed (a count written as a JSON string, BigQuery's int64)."""
    return (
        text.str.extract_all(pattern)
        .list.eval(pl.element().str.extract(r"([0-9]+)\D*$", 1).cast(pl.Int64))
        .list.max()
    )


def stated_numbers(text: pl.Expr) -> pl.Expr:
    """The whole numbers written in ``text`` (thousands commas dropped), as a list of integers: the
    counts an answer states (also ``unread_pages``')."""
    return text.str.extract_all(r"\d[\d,]*\d|\d").list.eval(
        pl.element().str.replace_all(",", "").cast(pl.Int64, strict=False)
    )


def whole_batch_claimed(runs: pl.LazyFrame, failures: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``failures`` (``run_id, span_id, output``) that are batch replies
    with items failed (a failed count above zero beside a succeeded count) whose run's final answer
    (``runs``: ``run_id, final_output``) states the batch's whole size and neither the succeeded nor
    the failed count: the batch reported as done whole."""
    batches = (
        failures.select(
            "run_id",
            "span_id",
            largest_count(pl.col("output"), _FAILED_COUNT).alias("_failed"),
            largest_count(pl.col("output"), _SUCCEEDED_COUNT).alias("_succeeded"),
        )
        .filter((pl.col("_failed") > 0) & pl.col("_succeeded").is_not_null())
        .with_columns((pl.col("_failed") + pl.col("_succeeded")).alias("_whole"))
    )
    said = runs.filter(pl.col("final_output").is_not_null()).select(
        "run_id", stated_numbers(pl.col("final_output")).alias("_said")
    )
    return (
        batches.join(said, on="run_id")
        .filter(
            pl.col("_said").list.contains(pl.col("_whole"))
            & ~pl.col("_said").list.contains(pl.col("_succeeded"))
            & ~pl.col("_said").list.contains(pl.col("_failed"))
        )
        .select("run_id", "span_id")
    )
