"""A queue message deleted after the run received it: the consumer's acknowledgement, no loss.

Amazon SQS does not remove a message when a consumer receives it; the consumer deletes it once it
has processed it, or the message comes back after its visibility timeout and is delivered again
(AWS SQS Developer Guide, "Amazon SQS message lifecycle" / "Receive and delete a message": "the
consumer must delete the message from the queue after receiving and processing it"). The API's
``ReceiveMessage`` / ``DeleteMessage`` / ``DeleteMessageBatch`` are boto3's ``receive_message``,
``delete_message``, ``delete_message_batch`` (botocore data sqs/2012-11-05/service-2.json). A delete of
a message after a receive of the run is that protocol's last step: it says the message was handled,
it destroys nothing the queue's owner still needed. A queue deleted or purged (``DeleteQueue``,
``PurgeQueue``), or a message delete with no receive before it in the run, is no such
acknowledgement.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

_EMPTY: Final = {"run_id": pl.String, "span_id": pl.String}
#: A message delete (``delete_message``, ``DeleteMessageBatch``, ``sqs.delete_message``), not a queue's.
MESSAGE_DELETE: Final = r"(?i)(?:^|[^a-z])delete[_ ]?message(?:[_ ]?batch)?s?$"
#: A receive of messages (``receive_message``, ``ReceiveMessage``, ``sqs_receive_messages``).
MESSAGE_RECEIVE: Final = r"(?i)(?:^|[^a-z])receive[_ ]?messages?$"


def acknowledged_messages(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``acts`` (``run_id, span_id, seq, call``) that delete a queue message
    after a successful receive of messages earlier in their run."""
    deletes = acts.select("run_id", "span_id", "seq", "call").filter(
        pl.col("call").str.contains(MESSAGE_DELETE).fill_null(False)
    ).collect()
    if deletes.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    received = (
        ctx.spans.lazy()
        .join(deletes.lazy().select("run_id").unique(), on="run_id", how="semi")
        .filter((pl.col("kind") == "tool") & pl.col("succeeded") & pl.col("call").str.contains(MESSAGE_RECEIVE).fill_null(False))
        .group_by("run_id")
        .agg(pl.col("seq").min().alias("r_seq"))
        .collect()
    )
    return (
        deletes.join(received, on="run_id")
        .filter(pl.col("r_seq") < pl.col("seq"))
        .select("run_id", "span_id")
        .unique()
        .lazy()
    )
