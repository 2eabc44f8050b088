"""ungated_low_confidence stands down where the unsure step was done again and came out sure.

An accounts-payable agent on Google ADK function tools: the extraction tool's result states its
``confidence`` (Document AI's per-entity confidence, surfaced in the tool's ``response``); ADK
traces each call as ``execute_tool <name>`` with the function response as the span's output
(google/adk-python src/google/adk/telemetry/tracing.py ``trace_tool_call``; openinference
google_adk ``_wrappers.py``). When the first extraction is unsure, the app's own gate is to extract
again with a stronger processor: the payment then rests on the second, sure, answer. The same
payment with no second extraction, a second one still unsure, or one about another invoice, is
still an action on the unsure answer.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _extract(sid: str, start: float, confidence: float, vendor: str = "V-311", **args: str) -> dict[str, object]:
    out = {"id": f"adk-{sid}", "name": "extract_invoice_fields",
           "response": {"vendor_id": vendor, "invoice_number": "INV-5120", "total": 980.0, "confidence": confidence}}
    return span(sid, start, start + 2, parent_id="root", kind="tool", tool="extract_invoice_fields",
                name="execute_tool extract_invoice_fields", input=json.dumps({"gcs_uri": "gs://ap/inv-5120.pdf", **args}),
                output=json.dumps(out))  # fmt: skip


def _ap(*steps: dict[str, object]):
    return run(
        span("root", 0, 30, kind="agent", agent="invoice_agent", name="invoke_agent invoice_agent",
             input="Process gs://ap/inv-5120.pdf", output="Payment scheduled."),
        *steps,
        span("pay", 20, 21, parent_id="root", kind="tool", tool="schedule_payment", name="execute_tool schedule_payment",
             input='{"vendor_id": "V-311", "invoice_number": "INV-5120", "amount": 980.0}',
             output='{"payment_id": "PAY-77", "status": "SCHEDULED"}'),
    )  # fmt: skip


def test_fires_when_the_payment_follows_the_unsure_extraction() -> None:
    hit = one(_ap(_extract("x1", 1, 0.38)), "ungated_low_confidence")
    assert hit["decisive_span_id"] == "pay"
    assert hit["evidence_span_ids"] == ["x1", "pay"]


def test_near_miss_the_invoice_was_extracted_again_and_came_out_sure() -> None:
    found = detectors(_ap(_extract("x1", 1, 0.38), _extract("x2", 5, 0.96, processor="invoice-parser-highres")))
    assert "ungated_low_confidence" not in found


def test_fires_when_the_second_extraction_is_still_unsure() -> None:
    c = _ap(_extract("x1", 1, 0.38), _extract("x2", 5, 0.44, processor="invoice-parser-highres"))
    assert one(c, "ungated_low_confidence")["evidence_span_ids"] == ["x1", "pay"]


def test_fires_when_the_sure_extraction_is_of_another_invoice() -> None:
    c = _ap(_extract("x1", 1, 0.38), _extract("x2", 5, 0.96, vendor="V-902"))
    assert "ungated_low_confidence" in detectors(c)


def test_fires_when_the_sure_extraction_came_after_the_payment() -> None:
    c = _ap(_extract("x1", 1, 0.38), _extract("x2", 22, 0.96, processor="invoice-parser-highres"))
    assert "ungated_low_confidence" in detectors(c)
