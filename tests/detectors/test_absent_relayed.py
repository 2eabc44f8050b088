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
