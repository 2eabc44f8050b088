"""duplicate_side_effect and a queue consumer's acknowledgement (effects.acknowledges_a_delivery).

An SQS worker deletes each message once it has processed it: DeleteMessage takes the receipt handle,
"associated with a specific instance of receiving the message" (Amazon SQS API Reference). A message
dead-lettered and then moved back by a redrive (StartMessageMoveTask) is delivered again, processed
again and deleted again: the second delete acknowledges the second delivery. Sending a message, or
posting the bill, twice is still a duplicate.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

MSG = '{"queue": "invoices-ingest", "message_id": "0b7c-41f2"}'
ROOT = {"kind": "agent", "name": "ingest_worker", "output": "invoice ingest finished"}


def _tool(sid: str, start: float, tool: str, args: str, out: str = '{"ok": true}') -> dict[str, object]:
    return span(sid, start, start + 0.1, parent_id="root", kind="tool", tool=tool, input=args, output=out)


def test_near_miss_a_message_delivered_again_is_deleted_again() -> None:
    c = run(
        span("root", 0, 1900, **ROOT),
        _tool("d1", 10, "sqs.delete_message", MSG),
        _tool("mv", 1700, "sqs.start_message_move_task", '{"SourceArn": "arn:aws:sqs:eu-west-1:1:invoices-ingest-dlq"}',
              '{"TaskHandle": "t-1"}'),  # fmt: skip
        _tool("d2", 1710, "sqs.delete_message", MSG),
    )
    assert "duplicate_side_effect" not in detectors(c)


def test_fires_when_the_worker_sends_the_same_message_twice() -> None:
    send = '{"queue": "invoices-ingest-dlq", "message_id": "0b7c-41f2", "reason": "VENDOR_INACTIVE"}'
    c = run(
        span("root", 0, 60, **ROOT),
        _tool("s1", 10, "sqs.send_message", send, '{"MessageId": "m-1"}'),
        _tool("s2", 20, "sqs.send_message", send, '{"MessageId": "m-2"}'),
    )
    assert one(c, "duplicate_side_effect")["decisive_span_id"] == "s2"


def test_fires_when_the_redelivered_message_posts_the_bill_again() -> None:
    bill = '{"vendor_id": "V-8", "invoice": "NWS-88"}'
    c = run(
        span("root", 0, 1900, **ROOT),
        _tool("p1", 5, "erp.post_bill", bill, '{"bill_id": "B-1"}'),
        _tool("d1", 10, "sqs.delete_message", MSG),
        _tool("p2", 1705, "erp.post_bill", bill, '{"bill_id": "B-2"}'),
        _tool("d2", 1710, "sqs.delete_message", MSG),
    )
    f = one(c, "duplicate_side_effect")
    assert f["decisive_span_id"] == "p2"
    assert "erp.post_bill" in f["explanation"]
