"""Work parked in a dead-letter queue that nothing in the log reads: an escalation to nobody.

A dead-letter queue holds the messages their consumer could not process, set aside so that someone
can find out why: Amazon SQS moves a message there after ``maxReceiveCount`` receives and keeps it
until a person or a job redrives it (``StartMessageMoveTask``) or its retention period ends; Azure
Service Bus keeps it in the entity's ``$DeadLetterQueue`` sub-queue until something receives it
there ("there's no automatic cleanup of the DLQ"); Kafka Connect writes failed records to the topic
``errors.deadletterqueue.topic.name`` names, which nothing consumes unless someone set a consumer up.
No broker hands the message back by itself. An agent that sends a failed item there "for follow-up"
hands the failure to a queue: an escalation (TAXONOMY unacknowledged_escalation: "an escalation to
a human or queue ... with no acknowledgement ... before the log ends").

It was taken up where a later call of the run or its session names the same queue and is no other
send to it (a receive, a redrive, a drain: another agent working the queue), where a later call
escalated the failure on (a ticket, a page: that escalation is judged on its own), or where a call
of the run reports the queue has a consumer (a ``ConsumerCount`` above zero).

The queue is read from the call's arguments, or, where the instrumentation records none on the tool
span (autogen-core's tool span carries the tool's name and call id only, the arguments being in the
model's tool call), from the model call just before it under the same parent: the request the call
was made from. A queue is a dead-letter queue by its name: ``dlq``, ``dead-letter``/``deadletter``
as a word of it, or Service Bus's ``$DeadLetterQueue``; a tool named for sending to one
(``send_to_dead_letter``) parks what it sends whatever its queue is called.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: A queue named in a call's (or its request's) arguments, quotes plain or escaped: SQS's
#: ``QueueUrl`` / ``QueueName``, a ``queue`` / ``queue_name`` / ``topic`` / ``entity_path``.
_QUEUE_ARG: Final = (
    r"""(?i)\\*["'](?:queue_?url|queue_?name|queue|topic(?:_?name)?|entity_?path|dead_?letter_?queue)\\*["']"""
    r"""\s*:\s*\\*["']([^"'\\]{1,300})"""
)
#: A dead-letter queue by its name (the last segment of a URL or entity path).
_DEAD_LETTER_NAME: Final = r"(?i)(?:^|[^a-z0-9])(?:dlq|dead[-_.]?letter(?:queue)?)(?:[^a-z0-9]|$)|\$deadletterqueue"
#: A tool named for sending to a dead-letter queue (any spelling: SendToDeadLetter, send_to_dlq).
_DEAD_LETTER_TOOL: Final = r"(?i)dead[-_]?letter|(?:^|[^a-z0-9])dlq(?:[^a-z0-9]|$)|to_?dlq"
#: A tool that puts messages on a queue (the park), as opposed to one that reads or moves them.
_SENDS: Final = r"(?i)send|put|publish|enqueue|push|produce|park|dead[-_]?letter"
_READS: Final = r"(?i)receive|read|peek|drain|redrive|move|replay|consume|poll|process|fetch|get_?messages"
#: The key of a dead-letter queue a call sends to without naming it.
_UNNAMED: Final = "(dead-letter queue)"
#: A queue with someone reading it: a consumer count above zero.
_HAS_CONSUMER: Final = r"""(?i)["']?(?:active_|num_)?consumers?_?(?:count)?["']?\s*[:=]\s*[1-9]"""


def _named_queues(spans: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, session_id, seq, call, _queue`` for each queue a tool call names: in its
    arguments, else in the model call just before it under the same parent (its request)."""
    request = pl.when(pl.col("kind") == "llm").then(pl.col("output"))
    # The request read only where it asked for this one call (its name, a single set of arguments):
    # a model turn calling two tools does not say which queue is whose.
    asked = pl.col("_request").str.contains(pl.col("call"), literal=True) & (
        pl.col("_request").str.count_matches(r"""\\?"arguments\\?"\s*:""") <= 1
    )
    text = pl.coalesce(pl.col("args"), pl.when(asked.fill_null(False)).then(pl.col("_request")))
    # The run's order is the window's own (order_by), not a sort of the table: sorting every span
    # with its texts cost 0.6 of parked_unread's 1.2 CPU s at the bench night's 584k spans. The
    # 64-bit keys (prepare's run_key, parent_k) stand for (run_id, parent_id), one for one.
    return (
        _may_park(spans)
        .with_columns(
            request.shift(1).forward_fill().over(["run_key", "parent_k"], order_by="seq").alias("_request")
        )
        .filter(pl.col("kind") == "tool")
        .with_columns(text.str.extract_all(_QUEUE_ARG).alias("_queue"))
        # A call naming no queue is kept (its tool's name may say which queue), as one row.
        .with_columns(pl.when(pl.col("_queue").list.len() > 0).then(pl.col("_queue")))
        .explode("_queue")
        .with_columns(
            pl.col("_queue").str.extract(_QUEUE_ARG, 1).str.extract(r"([^/\s]+)/*$", 1).str.to_lowercase()
        )
        .select("run_id", "span_id", "session_id", "seq", "call", "failed", "output", "_queue")
    )


#: Text a dead-letter queue's name or tool needs (_DEAD_LETTER_NAME, _DEAD_LETTER_TOOL: "dlq" or
#: "dead", in any ASCII letter case: no other letter folds to these).
_DEAD_HINT: Final = r"(?i-u)dlq|dead"


def _may_park(spans: pl.LazyFrame) -> pl.LazyFrame:
    """The spans of the sessions (else runs) where a tool call may send to a dead-letter queue: a
    tool named for one, or a queue named in a call's arguments or a model call's request. Everything
    read here joins a park in its session or run, so the others (nearly every run) are left out
    before the queue names are taken out of every call (parked_unread 0.16 -> 0.04 CPU s at 5k runs)."""
    scope = pl.coalesce("session_id", "run_id")
    hint = (
        (pl.col("kind") == "tool")
        & (
            pl.col("call").str.contains(_DEAD_HINT).fill_null(False)
            | pl.col("args").str.contains(_DEAD_HINT).fill_null(False)
        )
    ) | ((pl.col("kind") == "llm") & pl.col("output").str.contains(_DEAD_HINT).fill_null(False))
    in_play = spans.filter(hint).select(scope.alias("_scope")).unique()
    # Whole runs (the request window reads each run's order), every run of each such session.
    runs = spans.join(in_play, left_on=scope, right_on="_scope", how="semi").select("run_key").unique()
    return spans.join(runs, on="run_key", how="semi")


_CALL: Final = pl.col("call").fill_null("")
_DEAD_LETTER: Final = pl.col("_queue").str.contains(_DEAD_LETTER_NAME).fill_null(False) | _CALL.str.contains(_DEAD_LETTER_TOOL)
_SENDING: Final = _CALL.str.contains(_SENDS) & ~_CALL.str.contains(_READS)


def _parks(named: pl.LazyFrame) -> pl.LazyFrame:
    """The successful sends to a dead-letter queue among ``named``, with the queue as ``_queue``.
    A queue no argument names (the tool's own name says it is the dead-letter queue: SendToDeadLetter
    with arguments the trace does not hold) is matched as "the dead-letter queue" (_UNNAMED)."""
    return named.filter(~pl.col("failed") & _SENDING & _DEAD_LETTER).with_columns(pl.col("_queue").fill_null(_UNNAMED))


def dead_letter_parks(spans: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the successful tool calls that sent work to a dead-letter queue: the
    failure passed on to the queue, an escalation (handling reads it so: the failure was handed
    over, and whether anyone took it is unacknowledged_escalation's)."""
    return _parks(_named_queues(spans)).select("run_id", "span_id").unique()


def parked_unread(spans: pl.LazyFrame, cols: tuple[str, ...]) -> pl.LazyFrame:
    """``cols`` plus ``queue_note`` of the successful tool calls that sent work to a dead-letter
    queue that no later call of the run or session reads, no later escalation took on, and no call
    reports a consumer on (module docstring)."""
    named = _named_queues(spans).collect().lazy()
    dead_letter, sends = _DEAD_LETTER, _SENDING
    parks = _parks(named)
    scope = pl.coalesce("session_id", "run_id")
    reads = named.filter(~sends)
    later = pl.concat([
        reads.filter(pl.col("_queue").is_not_null()),
        reads.filter(dead_letter).with_columns(pl.lit(_UNNAMED).alias("_queue")),
    ]).select(scope.alias("_scope"), pl.col("seq").alias("_r_seq"), "_queue", pl.col("run_id").alias("_r_run"))
    parks_s = parks.with_columns(scope.alias("_scope"))
    read = (
        parks_s.join(later, on=["_scope", "_queue"])
        .filter((pl.col("_r_run") != pl.col("run_id")) | (pl.col("_r_seq") > pl.col("seq")))
        .select("run_id", "span_id")
    )
    consumed = (
        named.filter(pl.col("output").str.contains(_HAS_CONSUMER).fill_null(False))
        .select("run_id", "_queue")
        .unique()
    )
    escalated_on = (
        spans.filter(pl.col("is_escalation") & ~pl.col("failed"))
        .select("run_id", pl.col("seq").alias("_e_seq"))
        .join(parks.select("run_id", "span_id", "seq"), on="run_id")
        .filter(pl.col("_e_seq") > pl.col("seq"))
        .select("run_id", "span_id")
    )
    unread = (
        parks.join(read, on=["run_id", "span_id"], how="anti")
        .join(escalated_on, on=["run_id", "span_id"], how="anti")
        .join(consumed, on=["run_id", "_queue"], how="anti")
        .group_by("run_id", "span_id")
        .agg(pl.col("_queue").first())
    )
    return spans.join(unread, on=["run_id", "span_id"]).select(
        *cols,
        pl.when(pl.col("_queue") == _UNNAMED)
        .then(pl.lit(", parking work in a dead-letter queue that nothing in the log reads"))
        .otherwise(pl.format(", parking work in the dead-letter queue {} that nothing in the log reads", pl.col("_queue")))
        .alias("queue_note"),
    )
