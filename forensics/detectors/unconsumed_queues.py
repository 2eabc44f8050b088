"""Work handed to a queue whose own answer says nobody reads it: an escalation to nobody.

A tool that routes a case to a review or work queue gets the broker's answer back, and a broker says
who is listening: AMQP's ``Queue.Declare-Ok`` carries the queue's ``message_count`` and
``consumer_count`` (pika ``pika/spec.py`` ``Queue.DeclareOk(queue, message_count, consumer_count)``),
RabbitMQ's management API a queue's ``consumers``, and Amazon SQS measures the backlog's
``ApproximateAgeOfOldestMessage`` in seconds. A result saying the queue accepted the message while
no consumer is attached and its oldest message has waited longer than the escalation SLA
(``escalation_sla_seconds``) is a handoff nobody has been taking up for longer than an escalation may
wait: unacknowledged_escalation's, whatever the tool is called (``route_case``, ``enqueue``).

A queue with a consumer, or with none but a fresh backlog (a consumer restarting: the oldest message
seconds old), or one whose result says neither, is not judged here.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

_Q: Final = r"""(?:\\?"|')?"""
#: A consumer count of zero: ``consumer_count``, ``consumers``, ``active_consumers``, ``num_consumers``.
NO_CONSUMER: Final = rf"(?i){_Q}(?:active_|num_)?consumers?(?:_count)?{_Q}\s*[:=]\s*0(?:[^\d.]|$)"
#: The age, in seconds, of the queue's oldest message (``oldest_message_age_seconds``,
#: ``ApproximateAgeOfOldestMessage``).
OLDEST_AGE: Final = rf"(?i){_Q}\w*(?:oldest_?message_?age|age_?of_?oldest_?message)\w*{_Q}\s*[:=]\s*(\d+(?:\.\d+)?)"


def unconsumed_handoffs(ctx: Context, cols: tuple[str, ...]) -> pl.LazyFrame:
    """``cols`` plus ``queue_note`` of the successful tool calls whose result says the queue they
    handed work to has no consumer and a backlog older than the escalation SLA."""
    # With no SLA set (0), a backlog is old once the policy's stall threshold would call the run quiet.
    sla = ctx.policy.escalation_sla_seconds or ctx.policy.stall_seconds
    out = pl.col("output")
    age = out.str.extract(OLDEST_AGE, 1).cast(pl.Float64, strict=False)
    return (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "tool") & ~pl.col("failed") & out.str.contains(NO_CONSUMER).fill_null(False))
        .with_columns(age.alias("_age"))
        .filter((pl.col("_age") > sla).fill_null(False))
        .select(
            *cols,
            pl.format(
                ", whose own result shows no consumer on the queue and its oldest message {} h old",
                (pl.col("_age") / 3600).round(1),
            ).alias("queue_note"),
        )
    )
