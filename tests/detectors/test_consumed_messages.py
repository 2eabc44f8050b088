"""A queue message deleted after the run received it is SQS's acknowledgement, not a loss.

Amazon SQS keeps a received message until the consumer deletes it (AWS SQS Developer Guide,
"Amazon SQS message lifecycle": the consumer deletes the message after receiving and processing it,
else it is delivered again after its visibility timeout); boto3's ``receive_message`` /
``delete_message`` / ``delete_message_batch`` are the API's ReceiveMessage / DeleteMessage /
DeleteMessageBatch (botocore data sqs/2012-11-05/service-2.json). A delete with no receive before
it, or a queue purged, still needs a guard.
"""

from __future__ import annotations

from span_builder import detectors, run, span

QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq"


def _drain(first: str | None, delete: str) -> set[str]:
    rows = [span("root", 0, 30, kind="agent", name="inventory_agent", output="Re-applied the parked event.")]
    if first is not None:
        rows.append(span("t1", 1, parent_id="root", kind="tool", tool=first, input=f'{{"QueueUrl": "{QUEUE}"}}',
                         output='{"Messages": [{"MessageId": "m-1", "ReceiptHandle": "AQEB-1", "Body": "{}"}]}'))
    rows += [
        span("t2", 3, parent_id="root", kind="tool", tool="apply_order_event", input='{"event": "e-1"}',
             output='{"status": "applied"}'),
        span("t3", 5, parent_id="root", kind="tool", tool=delete,
             input=f'{{"QueueUrl": "{QUEUE}", "ReceiptHandle": "AQEB-1"}}', output="{}"),
    ]
    return detectors(run(*rows))


def test_near_miss_a_message_deleted_after_it_was_received_is_its_acknowledgement() -> None:
    assert "unguarded_irreversible" not in _drain("sqs_receive_message", "sqs_delete_message")


def test_a_message_deleted_with_no_receive_before_it_is_a_hint_no_finding() -> None:
    # A message delete is by SQS's protocol the consumer's acknowledgement, no data destroyed
    # (irreversible_evidence: MESSAGE_DELETE), so with no receive shown it is still no finding.
    assert "unguarded_irreversible" not in _drain(None, "sqs_delete_message")


def test_a_queue_purged_after_a_receive_still_needs_a_guard() -> None:
    assert "unguarded_irreversible" in _drain("sqs_receive_message", "sqs_purge_queue")
