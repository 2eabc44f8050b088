"""A messaging span: a message published to, or taken from, a queue or topic.

OpenTelemetry's messaging conventions (open-telemetry/semantic-conventions
docs/messaging/messaging-spans.md) make every messaging operation span carry ``messaging.system``
(``aws_sqs``, ``kafka``, ``rabbitmq`` ...) and give it a span kind: ``PRODUCER`` for the publish
(``{destination} send`` / ``publish`` / ``create``), ``CONSUMER`` for the delivery (``{destination}
process`` / ``receive``). When the producer's context travels with the message, the consumer's span
is the producer span's child, in another service: the work the message carried continues below it.
botocore's SQS extension (open-telemetry/opentelemetry-python-contrib
instrumentation/opentelemetry-instrumentation-botocore src/opentelemetry/instrumentation/botocore/extensions/sqs.py)
writes ``messaging.system`` ``aws_sqs`` on SendMessage and ReceiveMessage spans; the OTLP loaders keep the
span kind as ``@span_kind``. ``messaging_span`` marks them; ``dangling_handoff`` follows a handoff
through them to the agent the consumer ran (``forensics/detectors/delivered_handoffs.py``).

A span with a messaging attribute but an INTERNAL or CLIENT kind (a receive poll, an application's own
span that copied the attribute) is no hop of the message.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, published, register

#: The OTel span kinds of a message's publish and delivery, as the OTLP JSON and OTel SDK JSON
#: loaders keep them (``PRODUCER``; the SDK's ``SpanKind.PRODUCER`` and the proto's ``SPAN_KIND_PRODUCER``).
_HOP_KIND: Final = r'"@span_kind"\s*:\s*"(?:SPAN_KIND_|SpanKind\.)?(?:PRODUCER|CONSUMER)"'


def _extract() -> list[pl.Expr]:
    """``_cv_messaging_span``: a span carrying ``messaging.system`` exported as a producer or consumer."""
    attrs = pl.col("attributes")
    carries = attrs.str.contains("messaging.system", literal=True).fill_null(False)
    return [on_rows(carries, attrs, lambda a: a.str.contains(_HOP_KIND)).fill_null(False).alias("_cv_messaging_span")]


register(
    Convention(
        name="messaging_spans",
        signals=(
            Signal(
                "a span carrying messaging.system (aws_sqs, kafka, rabbitmq ...) with span kind PRODUCER ('{destination} send', "
                "messaging.operation.type send / publish) or CONSUMER ('{destination} process' / 'receive'); the consumer span is "
                "the producer span's child when the context travels with the message. INTERNAL or CLIENT spans with a messaging "
                "attribute are no hop",
                "OpenTelemetry messaging semantic conventions; botocore SQS instrumentation (any OTLP export)",
                "open-telemetry/semantic-conventions docs/messaging/messaging-spans.md (span kinds, trace structure); "
                "open-telemetry/opentelemetry-python-contrib instrumentation/opentelemetry-instrumentation-botocore "
                "src/opentelemetry/instrumentation/botocore/extensions/sqs.py (messaging.system aws_sqs)",
                "messaging_span (dangling_handoff: a handoff published to a queue whose consumer ran another agent was taken: "
                "forensics/detectors/delivered_handoffs.py)",
            ),
        ),
        extract=_extract,
        status=published("_cv_messaging_span", "messaging_span"),
        columns={"messaging_span": "a message's publish (PRODUCER) or delivery (CONSUMER) span: it carries messaging.system"},
    )
)
