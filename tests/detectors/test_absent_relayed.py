"""A lookup that found nothing (HTTP 404, "not found"), relayed to the user as finding nothing, was told.

Strands (strands-agents/sdk-python src/strands/tools/executors: a tool's exception or error result
becomes a toolResult with status "error", handed back to the model) and the OpenAI Agents SDK
(failure_error_function) give the model the tool's error; an honest agent answers "UPS has no record
of that number". The answer has no fault word (TELLS_OF_FAULT) but says the one thing the failure
meant, so nothing was swallowed. Near miss: the same words after a 500 are an error read as data:
the server failed, and the answer tells the user the thing does not exist.
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, one, run, span

A = {"agent": "shipping_helpdesk", "parent_id": "root"}
ANSWER = ("Your DHL parcel is out for delivery today in Leipzig. For 1Z999AA10123456784 UPS has no record of "
          "that number - it may be mistyped or not yet scanned. Could you double-check it?")


def _rows(status_code: str, body: str, answer: str = ANSWER) -> list[dict[str, Any]]:
    return [
        span("root", 0, 10, kind="agent", agent="shipping_helpdesk", name="invoke_agent shipping_helpdesk",
             input="Where are my parcels?", output=answer),
        span("l1", 1, 2, kind="llm", model="claude-sonnet", **A, output='[{"toolUse": {"name": "track_ups"}}]'),
        span("t1", 2, 4, kind="tool", tool="track_ups", **A, input='{"tracking_number": "1Z999AA10123456784"}',
             status="error", output=f"Error: {body}"),
        span("g1", 2, 3, kind="unknown", name="GET", agent="shipping_helpdesk", parent_id="t1", status="error",
             error_type=status_code),
        span("t2", 2, 4, kind="tool", tool="track_dhl", **A, input='{"tracking_number": "00340434161094042557"}',
             output='{"status": "out_for_delivery", "location": "Leipzig"}'),
        span("l2", 6, 7, kind="llm", model="claude-sonnet", **A, output=answer),
    ]  # fmt: skip


def test_a_404_relayed_as_no_record_was_told() -> None:
    rows = _rows("404", "UPS Tracking API 404: Tracking number not found (1Z999AA10123456784)")
    assert "swallowed_error" not in detectors(run(*rows))


def test_doesnt_exist_relays_a_not_found_error_text_without_a_code() -> None:
    rows = [r for r in _rows("", "order ORD-88 does not exist",
                             answer="Order ORD-88 doesn't exist in our system; could you check the number on your receipt?")
            if r["span_id"] != "g1"]  # a tool that raised, with no HTTP request under it
    assert "swallowed_error" not in detectors(run(*rows))


def test_near_miss_the_same_words_after_a_500_are_an_error_read_as_data() -> None:
    rows = _rows("500", "UPS Tracking API 500: Internal Server Error")
    assert one(run(*rows), "swallowed_error")["decisive_span_id"] in {"t1", "g1"}


# A conversation (OpenAI Chat Completions messages, as the chat-messages loader reads them: a tool
# message's content is the function's return value, openai-python types/chat
# chat_completion_tool_message_param.py). The shop's API answers a lookup of a mistyped order with
# an error code as one token (``order_not_found``); the assistant tells the customer in the turn
# that answers the lookup, and the conversation goes on past it, so the last message is a
# pleasantry.
def _chat(told: str, code: str = "order_not_found") -> list[dict[str, Any]]:
    C = {"agent": "assistant", "parent_id": "root"}
    error = f'{{"error": {{"code": "{code}", "message": "No order 4471-22819 for customer cus_88f1a0"}}}}'
    return [
        span("root", 0, 9, kind="agent", agent="assistant", name="conversation",
             output="Great. You'll get a UPS notification when it's out for delivery. Anything else?"),
        span("m1", 1, 1.5, kind="human", parent_id="root", output="Where is my order 4471-22819?"),
        span("m2", 2, 2.5, kind="llm", **C, output=""),
        span("t1", 2.5, 2.6, kind="tool", tool="get_order_status", **C,
             input='{"order_number": "4471-22819"}', output=error),
        span("m4", 4, 4.5, kind="llm", **C, output=""),
        span("t2", 4.5, 4.6, kind="tool", tool="list_recent_orders", **C, input='{"customer_id": "cus_88f1a0"}',
             output='{"orders": [{"order_number": "4417-22819", "status": "in_transit"}]}'),
        span("m6", 6, 6.5, kind="llm", **C, output=told),
        span("m7", 7, 7.5, kind="human", parent_id="root", output="yes that's the one, thanks"),
        span("m8", 8, 8.5, kind="llm", **C,
             output="Great. You'll get a UPS notification when it's out for delivery. Anything else?"),
    ]  # fmt: skip


def test_an_order_not_found_told_in_the_turn_that_answered_it_was_told() -> None:
    told = ("I couldn't find an order numbered 4471-22819 on your account, but you do have order 4417-22819 "
            "from Nov 18 - is that the one?")
    assert "error_as_data" not in detectors(run(*_chat(told)))


def test_near_miss_a_turn_that_answers_as_if_the_order_were_found_read_the_error_as_data() -> None:
    told = "Your order 4471-22819 is in transit with UPS and should arrive Friday."
    assert "error_as_data" in detectors(run(*_chat(told)))


def test_near_miss_a_server_error_relayed_as_not_found_is_still_an_error_read_as_data() -> None:
    told = "I couldn't find an order numbered 4471-22819 on your account."
    assert "error_as_data" in detectors(run(*_chat(told, code="internal_error")))
