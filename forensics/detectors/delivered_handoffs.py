"""A handoff carried by a message queue, taken by the agent the consumer ran: no dangling handoff.

An agent that hands work over a queue publishes a message inside its handoff call and the receiving
agent runs in another service, under the consumer's span. OpenTelemetry's messaging conventions
(open-telemetry/semantic-conventions docs/messaging/messaging-spans.md) name the publish a
``PRODUCER`` span (``{destination} send``, ``messaging.operation.type`` send or publish) and the
delivery a ``CONSUMER`` span (``{destination} process`` or ``receive``), every one carrying
``messaging.system``; when the producer's context is propagated with the message, the consumer's
span is the producer span's child (its "trace structure" section), so the receiving agent's span sits
below the handoff, one or two messaging spans down. botocore's SQS instrumentation
(opentelemetry-python-contrib instrumentation/opentelemetry-instrumentation-botocore, extensions/sqs.py)
writes both. The handoff's target is whatever agent that consumer ran, whatever the handoff tool was
named (``transfer_to_billing`` taken by ``billing_specialist``).

Only messaging spans are crossed: a message published and never processed (no consumer span below
it) is still a handoff nobody took.
"""

from __future__ import annotations

from typing import Final

import polars as pl

_EMPTY: Final = {"run_id": pl.String, "span_id": pl.String}
#: A consumer's agent is looked for this many messaging spans down (send, then process or receive).
MAX_HOPS: Final = 3


def delivered_by_message(s: pl.LazyFrame, handoffs: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``handoffs`` (``run_id, span_id, agent``) below which, through
    messaging spans only, an agent span of another agent than the one handing off runs."""
    # Walked upward from the few agent spans whose parent is a messaging span, not down from every handoff.
    hops = (
        s.filter(pl.col("messaging_span"))
        .select("run_id", pl.col("span_id").alias("_up"), pl.col("parent_id").alias("_next"))
        .collect()
    )
    if hops.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    walk = (
        s.filter(pl.col("kind") == "agent")
        .select("run_id", pl.col("agent").alias("_n_agent"), pl.col("parent_id").alias("_up"))
        .collect()
        .join(hops, on=["run_id", "_up"])
        .select("run_id", "_n_agent", pl.col("_next").alias("_up"))
    )
    reached: list[pl.DataFrame] = []
    for _ in range(MAX_HOPS):
        if walk.height == 0:
            break
        reached.append(walk)
        walk = walk.join(hops, on=["run_id", "_up"]).select("run_id", "_n_agent", pl.col("_next").alias("_up"))
    if not reached:
        return pl.LazyFrame(schema=_EMPTY)
    return (
        pl.concat(reached)
        .lazy()
        .rename({"_up": "span_id"})
        .join(handoffs.select("run_id", "span_id", "agent"), on=["run_id", "span_id"])
        .filter(pl.col("_n_agent").ne_missing(pl.col("agent")))
        .select("run_id", "span_id")
        .unique()
    )
