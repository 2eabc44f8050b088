"""unread_pages (silent_failure): a list result said more pages followed, nothing read on, and the
answer reported the page as the whole.

Spans in the Vercel AI SDK's telemetry shape (vercel/ai docs "Telemetry", "Collected data":
``ai.generateText`` with ``ai.response.text``, ``ai.toolCall`` with ``ai.toolCall.name``,
``ai.toolCall.args``, ``ai.toolCall.result``), written as OpenTelemetry Python SDK
``ReadableSpan.to_json()`` lines. The tool results are the list APIs' own page bodies: Stripe's list
object (``{"object": "list", "data": [...], "has_more": true}``, Stripe API reference
"Pagination"), Zendesk's Search API (``{"results": [...], "next_page": ..., "count": N}``:
developer.zendesk.com ticket-management/search, "count ... the actual number of results"), Microsoft
Graph's ``@odata.nextLink`` ("Paging Microsoft Graph data in your app"). Near misses: the cursor
followed, the answer saying it read part of the set, the last page, an answer that states no count
of the set, an answer that gives both the page and the total.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from sdk_spans import sdk_span

import forensics


def _tool(i: int, name: str, args: dict[str, object], result: dict[str, object]) -> dict[str, object]:
    """Tool call ``i`` (span id ``i + 1``) under the ``ai.generateText`` root, at 09:30:(10 + 4i)."""
    return sdk_span(i, "ai.toolCall", {
        "ai.operationId": "ai.toolCall", "operation.name": "ai.toolCall", "ai.toolCall.name": name,
        "ai.toolCall.id": f"call_{i}", "ai.toolCall.args": json.dumps(args), "ai.toolCall.result": json.dumps(result),
    }, step=4, day="2026-11-12T09:30", service="support-bot")  # fmt: skip


def _findings(tmp_path: Path, tools: list[dict[str, object]], answer: str) -> pl.DataFrame:
    root = sdk_span(0, "ai.generateText", {
        "ai.operationId": "ai.generateText", "operation.name": "ai.generateText", "ai.model.id": "gpt-4o",
        "ai.prompt": json.dumps({"prompt": "How many customers are delinquent? Flag them for the dunning run."}),
        "ai.response.finishReason": "stop", "ai.response.text": answer,
    }, None, step=4, day="2026-11-12T09:30", service="support-bot")  # fmt: skip
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in [*tools, root]))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings


def _customers(first: int, n: int) -> list[dict[str, object]]:
    return [{"id": f"cus_{first + i:04d}", "object": "customer", "delinquent": True} for i in range(n)]


#: Stripe's list object: page 1 of the delinquent customers, more to come.
STRIPE_PAGE = {"object": "list", "url": "/v1/customers", "has_more": True, "data": _customers(0, 3)}
LIST_ARGS = {"delinquent": True, "limit": 3}


def test_a_stripe_page_reported_as_all_fires_on_the_list_call(tmp_path: Path) -> None:
    tools = [_tool(1, "listCustomers", LIST_ARGS, STRIPE_PAGE)]
    f = _findings(tmp_path, tools, "All 3 delinquent customers are flagged for the dunning run.")
    hit = f.filter(pl.col("detector") == "unread_pages")
    assert hit["failure_class"].to_list() == ["silent_failure"]
    assert hit["decisive_span_id"].to_list() == ["0000000000000002"]
    assert "tool listCustomers returned 3 record(s) at 09:30:14" in hit["explanation"].item()


def test_a_zendesk_search_page_reported_with_its_total_fires(tmp_path: Path) -> None:
    results = [{"id": 7700 + i, "result_type": "ticket", "status": "solved"} for i in range(4)]
    page = {"results": results, "facets": None, "previous_page": None, "count": 9,
            "next_page": "https://acme.zendesk.com/api/v2/search.json?page=2&query=status%3Asolved"}  # fmt: skip
    tools = [_tool(1, "searchTickets", {"query": "status:solved"}, page)]
    f = _findings(tmp_path, tools, "Closed the 9 solved tickets.")
    hit = f.filter(pl.col("detector") == "unread_pages")
    assert hit["decisive_span_id"].to_list() == ["0000000000000002"]
    assert "returned 4 record(s) of 9" in hit["explanation"].item()


def test_a_graph_next_link_left_unread_fires(tmp_path: Path) -> None:
    page = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "value": [{"id": "u1", "displayName": "Ann"}, {"id": "u2", "displayName": "Bo"}],
            "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$top=2&$skiptoken=X8a"}  # fmt: skip
    tools = [_tool(1, "listUsers", {"top": 2}, page)]
    f = _findings(tmp_path, tools, "There are 2 users without MFA: Ann and Bo.")
    assert f.filter(pl.col("detector") == "unread_pages").height == 1


def test_near_miss_the_cursor_followed_to_the_last_page(tmp_path: Path) -> None:
    last = {"object": "list", "url": "/v1/customers", "has_more": False, "data": _customers(3, 2)}
    tools = [
        _tool(1, "listCustomers", LIST_ARGS, STRIPE_PAGE),
        _tool(2, "listCustomers", {**LIST_ARGS, "starting_after": "cus_0002"}, last),
    ]
    f = _findings(tmp_path, tools, "All 5 delinquent customers are flagged for the dunning run.")
    assert f.filter(pl.col("detector") == "unread_pages").height == 0


def test_near_miss_the_answer_says_it_read_one_page(tmp_path: Path) -> None:
    tools = [_tool(1, "listCustomers", LIST_ARGS, STRIPE_PAGE)]
    f = _findings(
        tmp_path, tools, "I flagged the first 3 delinquent customers; the list has more I have not read yet."
    )
    assert f.filter(pl.col("detector") == "unread_pages").height == 0


def test_near_miss_the_last_page_an_answer_with_no_count_or_with_both(tmp_path: Path) -> None:
    whole = {**STRIPE_PAGE, "has_more": False}
    tools = [_tool(1, "listCustomers", LIST_ARGS, whole)]
    assert _findings(tmp_path, tools, "All 3 delinquent customers are flagged.").filter(
        pl.col("detector") == "unread_pages").height == 0  # fmt: skip
    tools = [_tool(1, "listCustomers", LIST_ARGS, STRIPE_PAGE)]
    assert _findings(tmp_path, tools, "Ann Lee owes the most; I flagged her account.").filter(
        pl.col("detector") == "unread_pages").height == 0  # fmt: skip
    page = {
        "results": [{"id": 7700 + i} for i in range(4)],
        "count": 9,
        "next_page": "https://acme.zendesk.com/api/v2/search.json?page=2",
    }
    tools = [_tool(1, "searchTickets", {"query": "status:solved"}, page)]
    assert _findings(tmp_path, tools, "9 tickets match; I closed 4 of them.").filter(
        pl.col("detector") == "unread_pages").height == 0  # fmt: skip


MORE = [
    '{"object": "list", "data": [{"id": "ch_1"}], "has_more": true}',  # Stripe list object
    '{"results": [{"id": 1}], "next_page": "https://acme.zendesk.com/api/v2/search.json?page=2", "count": 9}',  # Zendesk
    '{"files": [{"id": "1Ab"}], "nextPageToken": "~!!~AI9FV7Q"}',  # Google AIP-158
    '{"value": [{"id": "u1"}], "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=X"}',  # Graph
    '{"totalSize": 512, "done": false, "nextRecordsUrl": "/services/data/v61.0/query/01gD-2000", "records": []}',  # Salesforce
    '{"data": [{"id": "1"}], "links": {"self": "/a?page[number]=1", "next": "/a?page[number]=2"}}',  # JSON:API
    '{"count": 40, "next": "https://api.example.org/accounts/?page=2", "previous": null, "results": []}',  # DRF
    '{"results": [{"id": "51"}], "paging": {"next": {"after": "NTI1Cg", "link": "?after=NTI1Cg"}}}',  # HubSpot CRM v3
    '{"ok": true, "members": ["U1"], "response_metadata": {"next_cursor": "dXNlcjpVMEc5V0ZYTlo="}}',  # Slack
]
LAST = [
    '{"object": "list", "data": [{"id": "ch_1"}], "has_more": false}',
    '{"results": [{"id": 1}], "next_page": null, "count": 1}',
    '{"files": [{"id": "1Ab"}]}',
    '{"totalSize": 2, "done": true, "records": []}',
    '{"count": 2, "next": null, "previous": null, "results": []}',
    '{"ok": true, "members": ["U1"], "response_metadata": {"next_cursor": ""}}',
    '{"title": "Chapter 2", "next": "chapter-3"}',  # a record's own "next" field, no URL
]


def test_more_pages_reads_each_apis_own_page_metadata() -> None:
    from forensics.detectors.unread_pages import MORE_PAGES

    said = pl.Series([*MORE, *LAST]).str.contains(MORE_PAGES).to_list()
    assert said == [True] * len(MORE) + [False] * len(LAST)
