"""Which calls changed the world, and what a side-effecting call's own result says it changed."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import EXISTING_RETURNED, Context


def side_effects(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, t, call, args, output, pause_kind, kind`` of every successful
    side-effecting call (or one that failed after its own write got through): a tool span the policy names side-effecting (``args`` one spelling per call,
    ``tool_calls.call_values``), and a step that is no tool span but acts
    (``ungated_confidence.acting_components``: a Langfuse v2 program's own function, recorded as a
    plain SPAN, ``create_article``; a Haystack custom component). Langfuse v2 has no tool
    observation type: the low-level ``trace.span(name=..., input=..., output=...)`` and
    ``@observe()`` record a function the agent called as a SPAN named by it (langfuse/langfuse-python
    v2 ``langfuse/client.py`` ``StatefulClient.span``, ``langfuse/decorators/langfuse_decorator.py``),
    so a create done twice there is two such steps, not two tool spans."""
    from forensics.detectors.tool_calls import tool_calls
    from forensics.detectors.ungated_confidence import acting_components

    cols = ("run_id", "span_id", "seq", "t", "call", "args", "output", "pause_kind", "kind")
    tools = (
        tool_calls(ctx)
        .lazy()
        .filter(pl.col("is_side_effect") & pl.col("succeeded"))
        .with_columns(pl.col("call_values").alias("args"))
        .select(cols)
    )
    # A step is the same act again only by what it was given: a framework's own messaging span
    # (Microsoft Agent Framework's ``message.send``, which records the message's type and source,
    # never its content: agent_framework/observability.py MESSAGE_SEND_SPAN) records no input, and
    # two of them are not the same call, as nothing is not the same as nothing.
    steps = acting_components(ctx, ctx.policy.side_effecting).filter(pl.col("args").is_not_null()).select(cols)
    # A call that failed after its own write got through (:func:`written_then_failed`) acted too.
    failed = (
        tool_calls(ctx)
        .lazy()
        .filter(pl.col("is_side_effect") & ~pl.col("succeeded"))
        .join(written_then_failed(ctx), on=["run_id", "span_id"], how="semi")
        .with_columns(pl.col("call_values").alias("args"))
        .select(cols)
    )
    return pl.concat([tools, steps, failed], how="vertical_relaxed")


#: The methods that change a resource (RFC 9110 9.3: POST, PUT, PATCH, DELETE).
_WRITES: Final = ("POST", "PUT", "PATCH", "DELETE")


def written_then_failed(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the calls whose own HTTP write (a client span right under them:
    ``http_method`` POST / PUT / PATCH / DELETE) the service accepted, whatever the call did
    after: the effect happened (an SMS sent, Twilio's 201 Created). A tool that raises on the
    response's shape fails with its effect done: pydantic-ai's ``ModelRetry`` raised in a tool
    (pydantic_ai_slim/pydantic_ai/_tool_manager.py: the tool span records the exception, the model
    gets a retry prompt and may call the tool again), a parse error after the request."""
    if "http_method" not in ctx.spans.columns:
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String})
    # Accepted: the request span did not fail (an HTTP client span's status is Error for a 4xx or
    # 5xx answer: OpenTelemetry HTTP semantic conventions, "Status"; preparation also fails a 429
    # and a 5xx by their code).
    return (
        ctx.spans.lazy()
        .filter(pl.col("http_method").str.to_uppercase().is_in(_WRITES) & ~pl.col("failed") & pl.col("parent_id").is_not_null())
        .select("run_id", pl.col("parent_id").alias("span_id"))
        .unique()
    )


def created_nothing_new() -> pl.Expr:
    """A create whose result returns the object that was already there (get-or-create's "created":
    false beside the object's id: base.EXISTING_RETURNED, Django's QuerySet.get_or_create, upserts):
    the call changed nothing, so doing it again is no duplicate effect. Nor did a call that never
    ran (:func:`did_not_run`)."""
    created_false, object_id = EXISTING_RETURNED
    returned_existing = (pl.col("output").str.contains(created_false) & pl.col("output").str.contains(object_id)).fill_null(False)
    return returned_existing | did_not_run() | replayed_by_key() | overwrites_a_file() | acknowledges_a_delivery()


#: A queue consumer's acknowledgement of one delivery of a message: SQS ``DeleteMessage`` /
#: ``DeleteMessageBatch`` (boto3 ``delete_message``), Pub/Sub ``acknowledge``, RabbitMQ ``basic_ack``,
#: Azure Service Bus ``complete_message``.
_DELIVERY_ACK: Final = r"(?i)(?:^|[^a-z])(?:delete_?message(?:_?batch)?|basic_ack|acknowledge|ack|complete_?message)$"


def acknowledges_a_delivery() -> pl.Expr:
    """A consumer's acknowledgement of a message it received: it removes that delivery from the
    queue. SQS deletes by the receipt handle, "associated with a specific instance of receiving the
    message. If you receive a message more than once, the receipt handle you get each time you
    receive the message is different" (Amazon SQS API Reference, DeleteMessage): a message delivered
    again (a redrive from the dead-letter queue, StartMessageMoveTask; a visibility timeout that ran
    out) is deleted again once processed, by design, and the same message id deleted twice changes
    nothing twice. What the consumer did with the message (the bill posted) is judged on its own call."""
    return pl.col("call").str.contains(_DELIVERY_ACK).fill_null(False)


#: A tool that writes a whole file at a path (write_file, overwrite_file, save_to_file): the file
#: is opened for writing and truncated (open(path, "w"), O_TRUNC; fs.writeFile replaces the file
#: if it exists), so the file holds what the last write gave it. Appends are not this.
_FILE_OVERWRITE: Final = r"(?i)^(?:write|overwrite|save)[_-]?(?:to[_-])?file$"


def overwrites_a_file() -> pl.Expr:
    """A whole-file write: doing it again with the same path leaves one file, as the last write
    made it (the same content: nothing changed; new content: an edit, as a fix after a failing
    test is). Nothing is made twice, unlike a charge or an e-mail sent again."""
    return pl.col("call").str.contains(_FILE_OVERWRITE).fill_null(False)


#: An idempotency key among a call's arguments (Stripe's ``Idempotency-Key`` header / the SDKs'
#: ``idempotency_key`` / ``idempotencyKey`` request option, the IETF Idempotency-Key header draft).
#: (Quotes may be escaped: a LangChain tool's input recorded as a JSON string inside {"input": ...}.)
_IDEMPOTENCY_KEY: Final = r"""(?i)\\?["']?idempotency[_-]?key\\?["']?\s*[:=]\s*\\?["']?[A-Za-z0-9]"""
#: A result the server says it replayed (``Idempotent-Replayed: true``).
_REPLAYED: Final = r"""(?i)\\?["']?idempotent[_-]?replayed\\?["']?\s*[:=]\s*\\?["']?true"""


def replayed_by_key() -> pl.Expr:
    """A call sent with an idempotency key, or answered as a replay: the server saved the first
    response for that key and answers a repeat of the same request with it, without running it again
    (Stripe, docs.stripe.com/api/idempotent_requests: "Subsequent requests with the same key return
    the same result"; a replay carries ``Idempotent-Replayed: true``). Two successes of the same call
    with the same arguments, the key among them, are one effect; a repeat with a new key (other
    arguments) is not the same call."""
    return (
        pl.col("args").str.contains(_IDEMPOTENCY_KEY).fill_null(False)
        | pl.col("output").str.contains(_REPLAYED).fill_null(False)
    )


def did_not_run() -> pl.Expr:
    """A call stopped before it ran, waiting for a person (conventions.pauses: ``pause_kind``
    approval or interrupt: an OpenAI Agents SDK call awaiting approval, a LangGraph interrupt):
    nothing was changed, so the approved call that runs later is the only effect."""
    return pl.col("pause_kind").is_in(["approval", "interrupt"]).fill_null(False)
