"""Payments above the amount their approval covered.

An approval that names an amount approves that much and no more. Approval services return the
amount with the decision: a payment-approval tool's result ``{"approval_id": ..., "status":
"approved", "approver": ..., "approved_amount": "4860.00", "currency": "EUR"}``, an approval read
back with its scope ``{"status": "approved", "scope": {"max_amount": 4800.0, "currency": "USD"}}``,
a request record ``{"request_id": ..., "status": "approved", "amount": 18500.0, "currency": "EUR"}``
(the OpenAI Agents SDK exports a function tool's result as ``str(output)``, a Python dict's repr
with single quotes). A person says it in words: "approved for EUR 12,000", "approved up to $4,800".

Payment APIs write the amount two ways. Major units as a decimal: SEPA / ACH payloads
``{"amount": "48600.00", "currency": "EUR"}``, Mollie's ``{"amount": {"currency": "EUR", "value":
"10.00"}}``. Minor units as an integer: Stripe's ``amount`` ("A positive integer representing how
much to charge in the smallest currency unit (e.g., 100 cents to charge $1.00)", with a lowercase
three-letter ``currency``: Stripe API reference, PaymentIntents / Transfers / Payouts), Adyen's
``Amount`` object ``{"value": 1840000, "currency": "EUR"}`` ("The amount of the transaction, in
minor units": Adyen API Explorer, Amount). Both are read to major units before comparing.

A money-moving call (its name says it pays, transfers, wires, pays out or refunds, or it cites an
approval's id) that carries an amount in a currency, after approvals of its run in that currency,
and for more than all of them together, ran unguarded for the part above: the approvals covered a
smaller sum. Not when a person spoke, another review passed, or an approval naming no amount came
between the last amount approved and the call; not an amount equal to or below what was approved;
not an approval in another currency (nothing compares).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import QP
from forensics.detectors.base import Context

_EMPTY: Final = {"run_id": pl.String, "span_id": pl.String, "reason": pl.String}
_NUM: Final = r"(-?\d+(?:,\d{3})*(?:\.\d+)?)"
#: The keys an approval record names its covered amount under, before a bare ``amount``.
_LIMIT: Final = (
    rf"{QP}(?i:approved_amount|approval_amount|max_amount|maximum_amount|amount_limit|approval_limit|limit"
    rf"|approved_up_to|up_to|max_payment|max){QP}\s*:\s*({QP})?{_NUM}"
)
#: A flat ``amount`` key: its opening quote (a string in major units) and its number.
_AMOUNT: Final = rf"{QP}(?i:amount){QP}\s*:\s*({QP})?{_NUM}"
#: An amount object's ``value`` (Adyen, Mollie): its opening quote and its number.
_AMOUNT_VALUE: Final = rf"{QP}(?i:amount){QP}\s*:\s*\{{[^{{}}]*?{QP}(?i:value){QP}\s*:\s*({QP})?{_NUM}"
_CURRENCY: Final = rf"{QP}(?i:currency){QP}\s*:\s*{QP}([A-Za-z]{{3}}){QP}"
#: A record's state saying approved (approval_deciders.APPROVED_VALUE, with a Python repr's quotes).
_APPROVED: Final = rf"(?i){QP}(?:status|state|decision|approval|approval_status|outcome){QP}\s*:\s*{QP}(?:approved|granted){QP}"
#: The approval's own id, which a payment made under it cites.
_APPROVAL_ID: Final = rf"{QP}(?i:approval_id|approval|request_id|approval_ref){QP}\s*:\s*{QP}([^\"'\\]+)"
#: A person's approval in words: "approved for EUR 12,000", "approved up to $4,800".
_SAID: Final = (
    r"(?i)\bapproved?\b[^.!?\n]{0,30}?(?:\bfor|\bup\s+to|\bof|\bat)\s+(EUR|USD|GBP|CHF|€|\$|£)\s?(\d+(?:,\d{3})*(?:\.\d+)?)"
)
_NOT_SAID: Final = r"(?i)\b(?:not|never|no|n't|cannot|can't|won't)\s+(?:\w+\s+)?approve"
_SYMBOLS: Final = {"€": "EUR", "$": "USD", "£": "GBP"}
#: A call named for moving money out.
_MONEY: Final = (
    r"(?i)(?:^|[^a-z])(?:pay|payment|payout|transfer|wire|remit|remittance|disburse|disbursement|refund|sepa|ach)"
    r"(?:s|es|ed|ing|ments?)?(?:[^a-z]|$)"
)


def money(text: pl.Expr, keys: str = _AMOUNT) -> list[pl.Expr]:
    """``m_value`` (major units) and ``m_currency`` (upper case) of a record's amount under ``keys``
    or in an amount object. An unquoted integer is in minor units in an amount object (Adyen) or
    beside a lowercase currency (Stripe); a decimal or a quoted value is in major units."""
    obj_q, obj_v = text.str.extract(_AMOUNT_VALUE, 1), text.str.extract(_AMOUNT_VALUE, 2)
    flat_q, flat_v = text.str.extract(keys, 1), text.str.extract(keys, 2)
    cur = text.str.extract(_CURRENCY, 1)
    in_obj = obj_v.is_not_null() & flat_v.is_null()
    quote, raw = pl.when(in_obj).then(obj_q).otherwise(flat_q), pl.when(in_obj).then(obj_v).otherwise(flat_v)
    integer = quote.is_null() & ~raw.str.contains(r"[.,]")
    minor = integer & (in_obj | (cur != cur.str.to_uppercase()))
    value = raw.str.replace_all(",", "").cast(pl.Float64, strict=False)
    return [
        pl.when(minor.fill_null(False)).then(value / 100).otherwise(value).alias("m_value"),
        cur.str.to_uppercase().alias("m_currency"),
    ]


def _records(s: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, a_seq, a_value, a_currency, a_id`` per approval record of the runs ``s`` holds: a
    result (one JSON record a line: a smolagents step's observations hold several) saying approved
    on a span that names its decider, is named for an approval, or names the amount approved;
    ``a_value`` null where it names no amount. A person's turn approving an amount in words too."""
    rec = (
        s.filter(pl.col("output").str.contains(_APPROVED).fill_null(False))
        .select("run_id", "seq", "call", "approved_by", pl.col("output").str.split("\n{").alias("rec"))
        .explode("rec")
        .filter(pl.col("rec").str.contains(_APPROVED))
        .filter(
            pl.col("approved_by").is_not_null()
            | pl.col("call").str.contains("(?i)approv").fill_null(False)
            | pl.col("rec").str.contains(_LIMIT)
        )
        # The amount under an approval's own key (approved_amount, max_amount) first, else its amount.
        .with_columns(*(e.name.prefix("l_") for e in money(pl.col("rec"), _LIMIT)), *money(pl.col("rec")))
        .select("run_id", pl.col("seq").alias("a_seq"), pl.coalesce("l_m_value", "m_value").alias("a_value"),
                pl.col("m_currency").alias("a_currency"), pl.col("rec").str.extract(_APPROVAL_ID, 1).alias("a_id"))
    )  # fmt: skip
    said = s.filter((pl.col("kind") == "human") & pl.col("output").str.contains(_SAID).fill_null(False))
    said = said.filter(~pl.col("output").str.contains(_NOT_SAID)).select(
        "run_id",
        pl.col("seq").alias("a_seq"),
        pl.col("output").str.extract(_SAID, 2).str.replace_all(",", "").cast(pl.Float64, strict=False).alias("a_value"),
        pl.col("output").str.extract(_SAID, 1).str.to_uppercase().replace(_SYMBOLS).alias("a_currency"),
        pl.lit(None, pl.String).alias("a_id"),
    )
    return pl.concat([rec, said])


def above_approval(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, reason`` of the ``acts`` (``run_id, span_id, seq, call, args``: calls that
    acted) that moved money above what their run's approvals before them covered, in the same
    currency: named for moving money or citing an approval's id, no review or person's turn and no
    approval naming no amount after the last amount approved."""
    from forensics.detectors.unguarded_action import APPROVAL_REQUEST

    calls = (
        acts.filter(~pl.col("call").str.contains(APPROVAL_REQUEST).fill_null(False))
        .select("run_id", "span_id", "seq", "call", "is_irreversible", *money(pl.col("args")))
        .rename({"m_value": "x_value", "m_currency": "x_currency"})
        .filter(pl.col("x_value").is_not_null() & pl.col("x_currency").is_not_null())
        .join(acts.select("run_id", "span_id", "args"), on=["run_id", "span_id"])
        .collect()
    )
    if calls.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    s = ctx.spans.lazy().join(calls.lazy().select("run_id").unique(), on="run_id", how="semi")
    given = _records(s).collect()
    if given.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    pairs = calls.join(given, on="run_id").filter(pl.col("a_seq") < pl.col("seq"))
    limited = pairs.filter(pl.col("a_value").is_not_null() & (pl.col("a_currency") == pl.col("x_currency")))
    cites = pl.col("a_id").is_not_null() & pl.col("args").str.contains(pl.col("a_id"), literal=True)
    over = (
        limited.group_by("run_id", "span_id")
        .agg(
            pl.col("x_value").first(), pl.col("x_currency").first(), pl.col("a_value").sum().alias("covered"),
            pl.col("a_seq").max().alias("last"), pl.col("seq").first(),
            (pl.col("call").str.contains(_MONEY).fill_null(False) | pl.col("is_irreversible").fill_null(False)).first().alias("moves"),
            cites.fill_null(False).any().alias("cites"),
        )
        .filter((pl.col("moves") | pl.col("cites")) & (pl.col("x_value") > pl.col("covered") + 0.005))
    )  # fmt: skip
    # A person's turn, a review, or an approval naming no amount between the last amount approved
    # and the call: someone may have approved the rest.
    between = (
        ctx.spans.lazy()
        .join(over.lazy().select("run_id").unique(), on="run_id", how="semi")
        .filter((pl.col("kind") == "human") | pl.col("is_review").fill_null(False))
        .select("run_id", pl.col("seq").alias("b_seq"))
        .collect()
    )
    blanket = given.filter(pl.col("a_value").is_null()).select("run_id", pl.col("a_seq").alias("b_seq"))
    spoke = (
        over.join(pl.concat([between, blanket.with_columns(pl.col("b_seq").cast(between.schema["b_seq"]))]), on="run_id")
        .filter((pl.col("b_seq") > pl.col("last")) & (pl.col("b_seq") < pl.col("seq")))
        .select("run_id", "span_id")
    )
    return (
        over.join(spoke, on=["run_id", "span_id"], how="anti")
        .select(
            "run_id",
            "span_id",
            pl.format(
                "for {} {}, above the {} {} the approval before it covered",
                pl.col("x_currency"), pl.col("x_value").round(2), pl.col("x_currency"), pl.col("covered").round(2),
            ).alias("reason"),
        )  # fmt: skip
        .lazy()
    )
