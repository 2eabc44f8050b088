"""Tool roles read from names the way frameworks spell them.

* camelCase: the Vercel AI SDK names a tool by its key in ``tools: { issueRefund: tool(...) }`` and
  records it as ``ai.toolCall.name`` (vercel/ai ``packages/ai/core/generate-text/generate-text.ts``:
  ``tools[toolCall.toolName]``, ``'ai.toolCall.name': toolCall.toolName``): ``issueRefund`` refunds.
* a page names the rotation it pages: ``page_security_oncall`` is ``page_oncall``'s escalation.
* a purchase pays: ``purchase_ticket`` buys, ``match_purchase_order`` only reads an order."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

AI = {"source_format": "otlp-json"}


def _vercel(tool: str):
    return run(
        span("g1", 0, 10, kind="agent", name="ai.generateText", **AI),
        span("d1", 0.1, 2, parent_id="g1", kind="llm", name="ai.generateText.doGenerate", **AI),
        span("c1", 2, 3, parent_id="g1", kind="tool", name=tool, **AI,
             input=json.dumps({"paymentId": "pay_7QJ8f9Zt", "amountEur": 4599}),
             output=json.dumps({"refundId": "rf_01", "amount": "4599.00", "status": "outgoing_payment_sent"})),
        span("d2", 3.1, 5, parent_id="g1", kind="llm", name="ai.generateText.doGenerate", **AI),
    )


def test_a_camel_case_refund_tool_is_irreversible() -> None:
    f = one(_vercel("issueRefund"), "unguarded_irreversible")
    assert f["decisive_span_id"] == "c1"
    assert "issueRefund" in f["explanation"]


def test_near_miss_a_camel_case_preview_only_reads() -> None:
    assert "unguarded_irreversible" not in detectors(_vercel("previewRefund"))


def _page(tool: str, *after: dict[str, object]):
    return run(
        span("a1", 0, 5, kind="agent", name="secops_responder"),
        span("m1", 0.1, 1, parent_id="a1", kind="llm", name="chat"),
        span("p1", 1, 2, parent_id="a1", kind="tool", name=tool,
             input=json.dumps({"channel": "#secops-approvals", "summary": "Approve deactivation of key?"}),
             output=json.dumps({"posted": True})),
        span("m2", 2.1, 4, parent_id="a1", kind="llm", name="chat", output="Paged #secops-approvals; waiting."),
        *after,
    )


def test_a_page_to_a_named_rotation_left_unanswered_past_the_sla_is_unacknowledged() -> None:
    # The approval request the page asked about expired 15 minutes later with no responder.
    c = _page("page_security_oncall", span("x1", 5, 905, kind="chain", name="approval_request apr_01",
                                           attributes=json.dumps({"approval.state": "expired"})))
    f = one(c, "unacknowledged_escalation")
    assert f["decisive_span_id"] == "p1"


def test_near_miss_the_rotation_acknowledged() -> None:
    c = _page("page_security_oncall", span("h1", 60, 60.1, kind="human", name="oncall", output="ack, on it"))
    assert "unacknowledged_escalation" not in detectors(c)


def test_a_purchase_is_irreversible_a_purchase_order_read_is_not() -> None:
    def buy(tool: str):
        return run(
            span("a1", 0, 5, kind="agent", name="buyer"),
            span("m1", 0.1, 1, parent_id="a1", kind="llm", name="chat"),
            span("t1", 1, 2, parent_id="a1", kind="tool", name=tool, input=json.dumps({"offer_id": "off_1"}),
                 output=json.dumps({"pnr": "AB12CD"})),
        )

    assert one(buy("purchase_ticket"), "unguarded_irreversible")["decisive_span_id"] == "t1"
    assert "unguarded_irreversible" not in detectors(buy("match_purchase_order"))
