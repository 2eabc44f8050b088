"""Refunds of a duplicate charge the run itself read: the merchant's own error put right.

A customer charged twice for one order asks for the second charge back; the agent reads the
order or the customer (its charges listed with their ids and amounts), sees two charges of the
same amount, and refunds one of them giving Stripe's own reason for it. Stripe's refund ``reason``
takes ``duplicate``, ``fraudulent`` or ``requested_by_customer`` (Stripe API, Create a refund;
citizenwallet/pay-checkout ``src/services/stripe/index.ts`` passes it to ``stripe.refunds.create``):
``duplicate`` says the charge should never have been taken. Such a refund gives back what was
taken twice, leaving the customer charged once as the order says: it undoes an error, it loses
the merchant nothing it was owed, and no reviewer is needed for it (TAXONOMY unguarded_action:
an irreversible act with no approval is the risk; precision first).

Read from the run alone: the refund call's arguments name the charge (``charge``, ``charge_id``,
``payment_intent``) and the reason ``duplicate``; an earlier successful tool result of the same run
lists that charge id beside another charge of the same amount (flat JSON objects with ``id`` and
``amount``, in any key order, the same keys: records of one kind, not a charge and its invoice). A refund whose reason is another, a charge the run never read,
a charge with no twin of its amount, or refunds of every charge of the pair (nothing left charged)
is no duplicate put right.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

_EMPTY: Final = {"run_id": pl.String, "span_id": pl.String}
#: A tool named for refunding (refund_charge, issue_refund, stripe.refunds.create).
_REFUNDS: Final = r"(?i)(^|[^a-z])refunds?([^a-z]|$)"
#: The charge the refund is for, by Stripe's argument names (charge, payment_intent) and the usual
#: tool argument names.
_CHARGE_ARG: Final = (
    r"""["'](?:charge|charge_?id|chargeId|payment_intent|payment_intent_id|paymentIntentId|payment_id|paymentId)["']"""
    r"""\s*:\s*["']([^"']+)["']"""
)
#: Stripe's refund reason for a charge taken twice.
_DUPLICATE_REASON: Final = r"""(?i)["']reason["']\s*:\s*["']duplicate["']"""
#: One flat JSON object of a result (a charge in a list of charges).
_FLAT_OBJECT: Final = r"\{[^{}]*\}"
_OBJECT_ID: Final = r"""["']id["']\s*:\s*["']([^"']+)["']"""
_OBJECT_AMOUNT: Final = r"""["']amount["']\s*:\s*["']?(\d+(?:\.\d+)?)"""
_OBJECT_KEY: Final = r"""["']\w+["']\s*:"""


def duplicate_charge_refunds(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the refunds (``acts``: ``run_id, span_id, seq, call``) of a charge an
    earlier result of the run listed beside another charge of the same amount, refunded with the
    reason ``duplicate``, at least one charge of that amount left unrefunded by the run."""
    refunds = (
        acts.select("run_id", "span_id", "seq", "call")
        .filter(pl.col("call").str.contains(_REFUNDS).fill_null(False))
        .join(ctx.spans.lazy().select("run_id", "span_id", "args"), on=["run_id", "span_id"])
        .filter(pl.col("args").str.contains(_DUPLICATE_REASON).fill_null(False))
        .with_columns(pl.col("args").str.extract(_CHARGE_ARG, 1).alias("charge"))
        .filter(pl.col("charge").is_not_null())
        .collect()
    )
    if refunds.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    # The charges each earlier successful tool result of those runs listed, with their amounts.
    listed = (
        ctx.spans.lazy()
        .filter(
            pl.col("run_id").is_in(refunds.get_column("run_id").unique().implode())
            & (pl.col("kind") == "tool")
            & pl.col("succeeded")
            & pl.col("output").str.contains(_OBJECT_AMOUNT).fill_null(False)
        )
        .select("run_id", pl.col("span_id").alias("read_id"), pl.col("seq").alias("read_seq"),
                pl.col("output").str.extract_all(_FLAT_OBJECT).alias("obj"))
        .explode("obj")
        .select("run_id", "read_id", "read_seq",
                pl.col("obj").str.extract(_OBJECT_ID, 1).alias("charge"),
                pl.col("obj").str.extract(_OBJECT_AMOUNT, 1).cast(pl.Float64, strict=False).alias("amount"),
                # The object's keys: twins are records of one kind (two charges), not a charge and
                # the invoice it paid, which share its amount.
                pl.col("obj").str.extract_all(_OBJECT_KEY).list.eval(pl.element().str.replace_all(r"\W", "")).list.sort()
                .list.join(",").alias("shape"))
        .drop_nulls(["charge", "amount"])
        .unique()
        .collect()
    )  # fmt: skip
    # Charges of one result sharing an amount: a twin pair (or more), and how many of them the
    # run refunded as duplicates.
    refunded = refunds.select("run_id", "charge").unique().with_columns(pl.lit(True).alias("refunded"))
    twins = (
        listed.join(refunded, on=["run_id", "charge"], how="left")
        .group_by("run_id", "read_id", "amount", "shape")
        .agg("charge", "read_seq", pl.col("charge").n_unique().alias("n"), pl.col("refunded").fill_null(False).sum().alias("gone"))
        .filter((pl.col("n") >= 2) & (pl.col("gone") < pl.col("n")))
        .explode("charge", "read_seq")
        .select("run_id", "charge", "read_seq")
    )
    return (
        refunds.join(twins, on=["run_id", "charge"])
        .filter(pl.col("read_seq") < pl.col("seq"))
        .select("run_id", "span_id")
        .unique()
        .lazy()
    )
