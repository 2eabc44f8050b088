"""A claim is backed by a generic HTTP tool's write to the resource it names.

An agent with only an HTTP tool ({"method": "POST", "url": ".../v1/refunds"}, LangChain's
``requests_post`` with {"url": ..., "data": ...}) issues a refund through Stripe's Create a refund
(``POST /v1/refunds``): "Your refund has been issued" is backed, as it would be by a tool named
create_refund. Near misses: the call was a read (GET of the refund list); the write failed.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

ANSWER = "Your refund of $40.00 has been issued; it will show on your card in 5-10 days."


def _session(tool: str, args: dict[str, Any], ok: bool = True):
    result = {"output": json.dumps({"id": "re_3Nx", "object": "refund", "status": "succeeded"})} if ok else {
        "status": "error", "error_type": "HTTPError", "output": "402 Payment Required: charge_already_refunded"}  # fmt: skip
    return run(
        span("run", 0, 20, kind="chain", name="support-agent"),
        span("u", 0.5, 0.5, parent_id="run", kind="human", output="Please refund order 1182."),
        span("t1", 2, 3, parent_id="run", kind="tool", tool=tool, input=json.dumps(args), **result),
        span("fin", 6, 6.5, parent_id="run", kind="llm", name="final", output=ANSWER),
    )


def test_a_post_to_the_refunds_resource_backs_the_refund_claim() -> None:
    post = {"method": "POST", "url": "https://api.stripe.com/v1/refunds", "data": {"charge": "ch_3Mq"}}
    assert "claimed_but_not_done" not in detectors(_session("http_request", post))
    assert "claimed_but_not_done" not in detectors(_session("requests_post", {"url": "https://api.stripe.com/v1/refunds", "data": {"charge": "ch_3Mq"}}))


def test_near_miss_a_read_or_a_failed_write() -> None:
    get = {"method": "GET", "url": "https://api.stripe.com/v1/refunds?charge=ch_3Mq"}
    assert one(_session("http_request", get), "claimed_but_not_done")["decisive_span_id"] == "fin"
    post = {"method": "POST", "url": "https://api.stripe.com/v1/refunds", "data": {"charge": "ch_3Mq"}}
    assert "claimed_but_not_done" in detectors(_session("http_request", post, ok=False))
