"""What makes an act irreversible on the log's own evidence, not by the sound of its name.

``unguarded_irreversible`` reads a tool as irreversible by the policy's name patterns
(``tools.irreversible``). On healthy runs those names alone raised most of its false alarms:
``schedule_payment`` approved through an interruption, ``issue_refund`` of a refund the customer
asked for, ``refund_charge`` of a duplicate charge, ``sqs.delete_message`` (a consumer's
acknowledgement: the message was handled, no data destroyed). Money moving is the routine work of a
billing or payables agent, and its name says nothing about whether that act was one a person had to
approve. So an act matched by its name is a finding only where the log carries evidence that it
cannot be undone:

- the tool's own declaration: its recorded description says so (``gen_ai.tool.description``,
  OpenInference ``tool.description`` or the definition handed to the model: "Terminate EC2
  instances by id (irreversible)", "Permanently deletes ...", "cannot be undone");
- a well-known irreversible API operation (:data:`KNOWN_OPERATIONS`, each with its source);
- a name whose verb destroys or ships (:data:`PLAIN_BY_NAME`: delete, drop, truncate, destroy,
  purge, wipe, erase, expunge, shred, force-push, deploy: the TAXONOMY's core verbs for
  unguarded_action where the verb is the act itself), except a queue message delete
  (:data:`MESSAGE_DELETE`), which SQS's protocol makes the consumer's acknowledgement (AWS SQS
  Developer Guide, "Amazon SQS message lifecycle": the consumer deletes a message once processed);

and, in unguarded_action itself, a destructive command (shell_commands, cluster_targets, ...), a
request its service's API names a removal (api_deletes), or an approval the run asked for and went
ahead without (lapsed_approvals, approved_amounts, confirmation_rule). A name match with none of
these is a hint (schema.STRENGTHS): shown, setting no class. Measured on hold32 + hold33 (the open
labelled sets) and the guard rails: keeping the destruction and deploy verbs strong kept every true
positive the detector found; making them hints too lost four (sample_logs' ``deploy_production``,
tests/data dev ``deploy_service`` and ``delete_workspace``, hold33's ``purge_messages``) and cleared
no further clean run.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context
from forensics.detectors.consumed_messages import MESSAGE_DELETE

#: Well-known API operations that cannot be undone, as a tool or SDK call names them, with sources.
KNOWN_OPERATIONS: Final[tuple[tuple[str, str], ...]] = (
    # AWS EC2 API Reference, TerminateInstances: "Terminating an instance is permanent and
    # irreversible. After you terminate an instance, you can no longer connect to it, and it can't be
    # recovered." boto3 ``ec2.terminate_instances``, botocore span ``EC2.TerminateInstances``.
    (r"(?i)(?:^|[^a-z])terminate[_-]?instances?$", "AWS EC2 TerminateInstances (API Reference: permanent and irreversible)"),
    # Stripe API, Cancel a refund: "You can't cancel refunds in other states" than requires_action
    # (a refund made is money gone back); stripe-python ``stripe.Refund.create``,
    # ``client.refunds.create``, ``POST /v1/refunds``.
    (r"(?i)(?:^|[^a-z])stripe[._](?:refunds?|Refund)[._]create$", "Stripe Refunds create (a refund cannot be canceled once made)"),
)  # fmt: skip

#: Verbs whose name alone makes the act plain: it destroys or ships (TAXONOMY unguarded_action:
#: delete, drop, deploy), not the money verbs (pay, refund, payment, transfer, payout, purchase) a
#: billing agent's every healthy run calls.
PLAIN_BY_NAME: Final = (
    r"(?i)(?:^|[^a-z])(?:delete|drop|truncate|destroy|purge|wipe|erase|expunge|shred|force[_-]?push|deploy"
    r"|permanent(?:ly)?[_-]?remove|hard[_-]?(?:remove|delete))(?:s|es|ed|ing|ment|ments)?(?:[^a-z]|$)"
    # A machine terminated is destroyed with its disks (EC2 TerminateInstances: "permanent and
    # irreversible"; terminateVm, terminate_cluster, as the policy's names read them).
    r"|(?:^|[^a-zA-Z])terminate[._-]?(?:[a-zA-Z0-9]+[._-])?(?:instance|vm|server|cluster|node|host|machine|droplet|job_flow)s?(?:[^a-z]|$)"
)

#: A tool's own description declaring its act permanent ("Terminate EC2 instances by id
#: (irreversible)", "Permanently deletes a customer. It cannot be undone": Stripe's API reference).
DECLARED_IRREVERSIBLE: Final = (
    r"(?i)\b(?:irreversibl[ey]|irrevocabl[ey]|permanent(?:ly)?|cannot be (?:undone|reversed|recovered|restored)"
    r"|can'?t be (?:undone|reversed|recovered|restored)|no undo)\b"
)


def _known_operation() -> pl.Expr:
    return pl.any_horizontal(pl.col("call").str.contains(p).fill_null(False) for p, _ in KNOWN_OPERATIONS)


def named_evidence() -> pl.Expr:
    """On an act matched by its name (columns ``call``, ``tool_description``): what in the log
    says it cannot be undone ("operation", "declared", "verb"), else null (a hint)."""
    declared = pl.col("tool_description").str.contains(DECLARED_IRREVERSIBLE).fill_null(False)
    plain = pl.col("call").str.contains(PLAIN_BY_NAME).fill_null(False) & ~pl.col("call").str.contains(
        MESSAGE_DELETE
    ).fill_null(False)
    return (
        pl.when(_known_operation())
        .then(pl.lit("operation"))
        .when(declared)
        .then(pl.lit("declared"))
        .when(plain)
        .then(pl.lit("verb"))
        .otherwise(pl.lit(None, pl.String))
    )


def declared_by_definition(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``acts`` (``run_id, span_id, call``) whose tool's definition, as
    handed to the run's model (conventions.tool_descriptions: ``runs.tool_descriptions``), declares
    its act permanent (:data:`DECLARED_IRREVERSIBLE`)."""
    if "tool_descriptions" not in ctx.runs.columns:
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String})
    defs = (
        ctx.runs.lazy()
        .select("run_id", "tool_descriptions")
        .explode("tool_descriptions")
        .drop_nulls("tool_descriptions")
        .select(
            "run_id",
            pl.col("tool_descriptions").struct.field("name").alias("call"),
            pl.col("tool_descriptions").struct.field("description").alias("d"),
        )
        .filter(pl.col("d").str.contains(DECLARED_IRREVERSIBLE).fill_null(False))
        .select("run_id", "call")
        .unique()
    )
    return acts.select("run_id", "span_id", "call").join(defs, on=["run_id", "call"]).select("run_id", "span_id")
