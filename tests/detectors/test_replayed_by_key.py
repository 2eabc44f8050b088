"""A create sent with an idempotency key, answered 409, whose object a later read by that key found.

Stripe answers a request whose idempotency key another request is still using with HTTP 409,
``idempotency_key_in_use`` ("There is currently another in-progress request using this idempotent
key ... Please try again later": Stripe API docs, error codes); the IETF Idempotency-Key header
draft (draft-ietf-httpapi-idempotency-key-header, section 2.7) gives 409 Conflict to a request whose
key's first request is still being processed, and 422 to a key reused with another payload. A
smolagents ``ToolCallingAgent`` tool that returns the error body records it as the tool's output
with status OK (openinference-instrumentation-smolagents ``_ToolCallWrapper``: output.value is the
tool's return value); a LangChain tool that let requests' ``HTTPError("409 Client Error: Conflict
for url: ...")`` escape (psf/requests ``Response.raise_for_status``) is a tool run in error
(LangSmith run ``error``), which LangGraph's ToolNode hands back to the model. An agent that then
read the object by the key, or listed the objects and found the one carrying the key, has the
object the create was for: the first request did the act, and not doing it twice is what the key
is for. Without that read, or with a read that found another key, or with a key reused with other
parameters (whatever the key finds is another request's), the 409 stays an error read as data.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, run, span

_KEY = "payout-acct_1Q2w3E4r-2025-W41"
_PAYOUT = {"account": "acct_1Q2w3E4r", "amount": 98000, "currency": "eur", "idempotency_key": _KEY}
_IN_USE = json.dumps({
    "http_status": 409,
    "error": {
        "code": "idempotency_key_in_use",
        "message": "There is currently another in-progress request using this idempotent key (that probably "
        f"means you submitted twice, and the other request is still going through): {_KEY}. Please try again later.",
        "type": "invalid_request_error",
    },
})
_MISUSED = json.dumps({
    "http_status": 409,
    "error": {
        "type": "idempotency_error",
        "message": "Keys for idempotent requests can only be used with the same parameters they were first used "
        f"with. Try using a key other than '{_KEY}' if you meant to execute a different request.",
    },
})


def _listed(key: str) -> str:
    return json.dumps({"object": "list", "has_more": False, "data": [
        {"id": "po_1Zx8Yw7Vu6", "object": "payout", "amount": 98000, "currency": "eur", "status": "in_transit",
         "metadata": {"idempotency_key": key}},
    ]})


def _smol_payout(create_output: str, read: dict[str, Any] | None, answer: str) -> list[dict[str, Any]]:
    rows = [
        span("run", 0, 30, kind="agent", agent="payouts", name="ToolCallingAgent.run", output=answer),
        span("m1", 0.1, 1, parent_id="run", kind="llm", name="OpenAIServerModel.generate", model="gpt-4o"),
        span("c", 1.1, 2, parent_id="run", kind="tool", tool="create_payout", name="PayoutTool",
             input=json.dumps(_PAYOUT), output=create_output),
        span("m2", 2.1, 3, parent_id="run", kind="llm", name="OpenAIServerModel.generate", model="gpt-4o"),
    ]
    if read is not None:
        rows.append(span("l", 3.1, 4, parent_id="run", kind="tool", tool=read["tool"], name="ListPayoutsTool",
                         input=json.dumps(read["args"]), output=read["output"]))
    rows += [
        span("m3", 4.1, 5, parent_id="run", kind="llm", name="OpenAIServerModel.generate", model="gpt-4o"),
        span("f", 5.1, 5.5, parent_id="run", kind="tool", tool="final_answer", name="FinalAnswerTool",
             input=json.dumps({"answer": answer}), output=answer),
    ]
    return rows


_FOUND = "The payout exists: po_1Zx8Yw7Vu6, EUR 980.00, in transit; no second payout was made."
_LIST = {"tool": "list_payouts", "args": {"account": "acct_1Q2w3E4r", "created_gte": 1760000000}}


def test_409_key_in_use_then_the_payout_found_under_the_key_is_handled() -> None:
    found = detectors(run(*_smol_payout(_IN_USE, {**_LIST, "output": _listed(_KEY)}, _FOUND)))
    assert not found & {"error_as_data", "swallowed_error", "unhandled_error"}, found


def test_409_with_no_read_or_another_key_found_or_key_misused_is_still_an_error_read_as_data() -> None:
    # Near-misses: nothing looked the payout up (the answer names the key: an answer is no read);
    # the read found a payout under another key; the key was reused with other parameters.
    told = f"Payout of EUR 980.00 created (idempotency key {_KEY}); funds arrive in 1-2 business days."
    for create, read, answer in (
        (_IN_USE, None, told),
        (_IN_USE, {**_LIST, "output": _listed("payout-acct_1Q2w3E4r-2025-W40")}, _FOUND),
        (_MISUSED, {**_LIST, "output": _listed(_KEY)}, _FOUND),
    ):
        found = detectors(run(*_smol_payout(create, read, answer)))
        assert "error_as_data" in found, (create[:60], read, found)


def _langgraph_order(read_key: str | None) -> list[dict[str, Any]]:
    order = {"customer_id": "cus_77Hq", "items": [{"sku": "FLT-02", "qty": 2}], "idempotency_key": "reorder-cus_77Hq-ORD-5510"}
    rows = [
        span("root", 0, 20, kind="chain", name="LangGraph"),
        span("m1", 0.1, 1, parent_id="root", kind="llm", name="ChatOpenAI", model="gpt-4o"),
        # LangChain keeps the tool input as the Python repr of its arguments.
        span("c", 1.1, 2, parent_id="root", kind="tool", tool="create_order", name="create_order",
             input=json.dumps({"input": str(order)}), status="error", error_type="HTTPError",
             error_message="HTTPError('409 Client Error: Conflict for url: https://api.shop.example/v2/orders')"),
        span("m2", 2.1, 3, parent_id="root", kind="llm", name="ChatOpenAI", model="gpt-4o"),
    ]
    if read_key is not None:
        rows.append(span("g", 3.1, 4, parent_id="root", kind="tool", tool="get_order_by_key", name="get_order_by_key",
                         input=json.dumps({"input": str({"idempotency_key": read_key})}),
                         output=json.dumps({"order_id": "ORD-6021", "status": "confirmed"})))
    rows.append(span("m3", 4.1, 5, parent_id="root", kind="llm", name="ChatOpenAI", model="gpt-4o",
                     output="Your reorder went through on the first attempt: order ORD-6021 is confirmed."))
    return rows


def test_requests_409_then_the_order_read_by_its_key_is_handled() -> None:
    found = detectors(run(*_langgraph_order("reorder-cus_77Hq-ORD-5510")))
    assert not found & {"swallowed_error", "unhandled_error"}, found


def test_requests_409_with_no_read_or_a_read_by_another_key_is_still_swallowed() -> None:
    for key in (None, "reorder-cus_77Hq-ORD-5498"):
        found = detectors(run(*_langgraph_order(key)))
        assert "swallowed_error" in found, (key, found)
