"""An HTTP client span is named by its request in findings, not "unknown POST".

OTel's HTTP client spans are named ``{method}`` when no low-cardinality target is known (semantic-
conventions docs/http/http-spans.md, Name; the conventions before v1.21 wrote ``HTTP {method}``); the
request is in url.full (http.url), or server.address (http.host, net.peer.name) with url.template,
http.route or url.path (http.target). forensics/detectors/preparation.py ``_http_label`` builds the
label (``call``) from them, the URL's host and path only (no scheme, user info, query or fragment).
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from span_builder import findings, run, span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

ROOT = {"kind": "agent", "name": "refund_bot", "agent": "refund_bot", "output": "Refund done."}


def _call(**attributes: Any) -> str:
    rows = (
        span("root", 0, 10, **ROOT),
        span(
            "h1",
            1,
            2,
            parent_id="root",
            name=attributes.pop("name", "POST"),
            attributes=json.dumps(attributes),
        ),
    )
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return str(ctx.spans.filter(pl.col("span_id") == "h1").get_column("call").item())


def test_an_http_span_is_named_by_its_method_host_and_path() -> None:
    # Stable keys: the URL's host and path, never its credentials, query or fragment.
    assert (
        _call(
            **{
                "http.request.method": "post",
                "url.full": "https://user:pw@api.stripe.com/v1/refunds?key=s3cret#x",
            }
        )
        == "POST api.stripe.com/v1/refunds"
    )
    # Old keys (http.method, http.url), and a span named "HTTP POST".
    assert (
        _call(name="HTTP POST", **{"http.method": "POST", "http.url": "http://ledger:8080/entries"})
        == "POST ledger:8080/entries"
    )
    # No URL: the server's address and the route (a template over the path, the path without its query).
    assert (
        _call(
            **{
                "http.request.method": "GET",
                "server.address": "crm.internal",
                "http.route": "/accounts/{id}",
                "url.path": "/accounts/42",
            }
        )
        == "GET crm.internal/accounts/{id}"
    )
    assert (
        _call(**{"http.method": "GET", "http.host": "crm.internal", "http.target": "/accounts/42?x=1"})
        == "GET crm.internal/accounts/42"
    )


def test_spans_without_an_http_request_keep_their_name() -> None:
    # Near misses: a method and nothing it was sent to, no method at all, and a tool span (its tool
    # name wins) keep the names they had.
    assert _call(**{"http.request.method": "POST"}) == "POST"
    assert _call(name="lookup", **{"url.full": "https://api.x/v1/a"}) == "lookup"
    rows = (
        span("root", 0, 10, **ROOT),
        span(
            "t1",
            1,
            2,
            parent_id="root",
            kind="tool",
            tool="crm.lookup",
            name="crm.lookup",
            attributes=json.dumps({"http.request.method": "GET", "url.full": "https://crm/a"}),
        ),
    )
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    assert ctx.spans.filter(pl.col("span_id") == "t1").get_column("call").item() == "crm.lookup"


def test_a_finding_on_an_http_request_names_it() -> None:
    # A request outside any agent that failed: the finding says which request, not "unknown POST".
    failed = span(
        "h1",
        1,
        2,
        name="POST",
        status="error",
        error_type="500",
        attributes=json.dumps(
            {
                "http.request.method": "POST",
                "url.full": "https://ledger.internal/v2/entries",
                "http.response.status_code": 500,
            }
        ),
    )
    c = run(
        span("root", 0, 10, kind="chain", name="webhook", output="ok"),
        {**failed, "parent_id": "root"},
        span("a1", 3, 4, parent_id="root", kind="agent", name="refund_bot", agent="refund_bot"),
    )
    texts = [f["explanation"] for f in findings(c)]
    assert texts and all("POST ledger.internal/v2/entries failed with HTTP 500" in t for t in texts), texts
