"""silent_failure: a list result that said more pages remained, and an answer that counted the page as the whole.

A list or search API answers one page at a time and says so in the body: Stripe's list objects
``{"object": "list", "data": [...], "has_more": true}`` (Stripe API reference, "Pagination":
``starting_after`` the last id to go on); Zendesk's Search API ``{"results": [...], "count": 412,
"next_page": "https://.../search.json?page=2..."}`` (Zendesk developer docs, "Pagination": offset
pagination's ``next_page``, cursor pagination's ``meta.has_more`` / ``meta.after_cursor``); Google
APIs' ``nextPageToken`` (AIP-158); Microsoft Graph's ``@odata.nextLink`` ("Paging Microsoft Graph
data in your app"); Salesforce's query ``{"totalSize": 512, "done": false, "nextRecordsUrl": ...}``
(REST API Developer Guide, "Execute a SOQL Query"); JSON:API's ``links.next``; Slack's
``response_metadata.next_cursor`` (empty on the last page). The agent frameworks hand the tool's
return to the model as it is and record it on the tool span: the Vercel AI SDK's ``ai.toolCall.result``
(vercel/ai ``packages/ai/src/generate-text/run-tools-transformation.ts``, telemetry docs "Collected
data"), LangChain's tool run ``outputs`` (langchain_core ``tools/base.py``), smolagents' tool span
``output.value`` (openinference-instrumentation-smolagents ``_wrappers.py`` ``_ToolCallWrapper``).

When no later call of the same tool reads on, the run saw one page. That alone is no failure: a
question about the first few results is answered by them. It is one when the final answer reports
the page as the whole: it states the page's count, or the total the result announced, as the number
done or found, without the other and without saying the read was partial ("the first 10 of 137",
"more remain"). "I closed all 10 tickets" over page 1 of 137, "closed all 412" over the 100 it
read, "25 staff" over 25 of 61: the answer claims what the run never read (TAXONOMY silent_failure:
it reports success, and the evidence, the result's own page metadata, says otherwise). Not
``claimed_but_not_done`` (a matching call did succeed, on part of the set) nor ``error_as_data``
(the page is no error): its own signal. The decisive span is the tool call whose partial result was
taken as whole (DETECTORS.md: the span whose output was misread).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import QP as _Q
from forensics.detectors.base import Context, Detector, finding, hms, txt
from forensics.detectors.batch_results import stated_numbers
from forensics.detectors.registry import register

#: The result's own word that another page follows: a flag set, or a cursor, token or link that is
#: there (a non-empty string or a number; null, "" and false are the last page).
MORE_PAGES: Final = (
    rf"(?i){_Q}(?:has_more|hasMore|has_next_page|hasNextPage|more_results|moreResults){_Q}\s*:\s*true\b"
    rf"|{_Q}(?:next_cursor|nextCursor|after_cursor|afterCursor|next_page|nextPage|next_page_token|nextPageToken"
    rf"|next_token|nextToken|@odata\.nextLink|nextLink|next_link|nextRecordsUrl|next_offset|nextOffset|next_url|nextUrl)"
    rf"{_Q}\s*:\s*(?:{_Q}[^\"'\\\s]|[1-9])"
    rf"|{_Q}links{_Q}\s*:\s*\{{[^{{}}]*{_Q}next{_Q}\s*:\s*{_Q}[^\"'\\\s]"
    # Django REST framework's PageNumberPagination / LimitOffsetPagination: "next" the next page's
    # URL (null on the last); HubSpot CRM v3's "paging": {"next": {"after": ...}} (absent on the last).
    rf"|{_Q}next{_Q}\s*:\s*{_Q}https?://"
    rf"|{_Q}paging{_Q}\s*:\s*\{{\s*{_Q}next{_Q}\s*:\s*\{{"
)
#: The total the result announces (the whole set, not the page): its value is group 1.
TOTAL: Final = (
    rf"(?i){_Q}(?:total|total_count|totalCount|total_results|totalResults|total_size|totalSize|@odata\.count"
    rf"|total_hits|totalHits|estimatedTotalHits|count){_Q}\s*:\s*([0-9]+)\b"
)
#: The first key of the page's first record (``[{"id": ...``): the records are counted by it.
_FIRST_KEY: Final = rf"\[\s*\{{\s*{_Q}([A-Za-z_@$][\w.@$-]*){_Q}\s*:"
#: Words of an answer that says it read part of the set: "the first 10", "only page 1", "10 of 137
#: shown", "more remain", "at least". Any of them, and the answer is not read as claiming the whole.
PARTIAL_TOLD: Final = (
    r"(?i)\b(?:first|only|page[sd]?|paginat\w*|more|remain\w*|rest|partial\w*|at\s+least|so\s+far|truncat\w*|"
    r"additional|further|incomplete|subset|sample|showing|shown|top|next|cursor|limit\w*|capped|up\s+to)\b"
)


def unread_pages(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, t, call, page_n, total_n, answer_id``: tool results that said another
    page followed (MORE_PAGES) where no later call of the same tool in the run read on, in runs
    whose final answer states the page's record count or the announced total as its count, not both,
    and does not say it read part of the set (PARTIAL_TOLD)."""
    s = ctx.spans.lazy()
    paged = s.filter(
        (pl.col("kind") == "tool")
        & pl.col("succeeded")
        & pl.col("output").str.contains(MORE_PAGES).fill_null(False)
    ).select("run_id", "span_id", "seq", "t", "call", "output")
    later = s.filter(pl.col("kind") == "tool").select("run_id", "call", pl.col("seq").alias("_later_seq"))
    read_on = (
        paged.join(later, on=["run_id", "call"])
        .filter(pl.col("_later_seq") > pl.col("seq"))
        .select("run_id", "span_id")
    )
    key = pl.col("output").str.extract(_FIRST_KEY, 1)
    counted = (
        paged.join(read_on.unique(), on=["run_id", "span_id"], how="anti")
        .with_columns(
            pl.col("output")
            .str.count_matches(pl.format(r"""(?:\\?"|'){}(?:\\?"|')\s*:""", key))
            .cast(pl.Int64)
            .alias("page_n"),
            pl.col("output")
            .str.extract_all(TOTAL)
            .list.eval(pl.element().str.extract(r"([0-9]+)\s*$", 1).cast(pl.Int64, strict=False))
            .list.max()
            .alias("total_n"),
        )
        .filter(pl.col("page_n") > 0)
        # A total no larger than the page: the page was the whole set, whatever the flag said.
        .filter(pl.col("total_n").is_null() | (pl.col("total_n") > pl.col("page_n")))
    )
    answers = (
        ctx.runs.lazy()
        .filter(
            (pl.col("reported_outcome") != "error").fill_null(True) & pl.col("final_output").is_not_null()
        )
        .select(
            "run_id",
            pl.coalesce("answer_span_id", "final_span_id").alias("answer_id"),
            stated_numbers(pl.col("final_output")).alias("_said"),
            pl.col("final_output").str.contains(PARTIAL_TOLD).fill_null(False).alias("_partial_told"),
        )
    )
    says_page = pl.col("_said").list.contains(pl.col("page_n"))
    says_total = pl.col("total_n").is_not_null() & pl.col("_said").list.contains(pl.col("total_n")).fill_null(
        False
    )
    return (
        counted.join(answers, on="run_id")
        .filter(~pl.col("_partial_told") & (says_page ^ says_total))
        .select("run_id", "span_id", "seq", "t", "call", "page_n", "total_n", "answer_id")
    )


@register
class UnreadPages(Detector):
    name = "unread_pages"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "weak"
    description = (
        "A tool's result said another page followed (has_more true, a next cursor, page token, "
        "@odata.nextLink, nextRecordsUrl or links.next), no later call of that tool read on, and the "
        "final answer states the page's record count or the total the result announced as its count "
        "(not both), without saying it read part of the set: the page was reported as the whole."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        rows = unread_pages(ctx).sort("run_id", "seq").group_by("run_id").agg(pl.all().first())
        total = (
            pl.when(pl.col("total_n").is_not_null())
            .then(pl.format(" of {}", pl.col("total_n")))
            .otherwise(pl.lit(""))
        )
        return rows.select(
            finding(
                "run_id",
                pl.concat_list("span_id"),
                "span_id",
                pl.format(
                    "tool {} returned {} record(s){} at {} with more pages to read; no later call read on, "
                    "and the final answer reports the page as the whole",
                    txt(pl.col("call")),
                    pl.col("page_n"),
                    total,
                    hms("t"),
                ),
            )
        )
