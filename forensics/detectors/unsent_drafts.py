"""An e-mail only saved as a draft, reported sent: read by ``unbacked_claims.claimed_but_not_done``.

The Gmail API keeps a draft and a sent message apart. ``users.drafts.create`` stores a draft and
answers the Draft resource, ``{"id": "r-...", "message": {"id", "threadId", "labelIds": ["DRAFT"]}}``;
nothing leaves the mailbox until ``users.drafts.send`` (or ``users.messages.send``) answers the
sent Message, ``{"id", "threadId", "labelIds": ["SENT"]}`` (Gmail API reference, users.drafts
"create" and "send"; the DRAFT and SENT system labels, users.labels). A tool that wraps either
hands that resource back as its result (a LangChain Gmail toolkit's ``create_gmail_draft``, an MCP
Gmail server's tool, an application's own ``gmail_create_draft``), so the draft's DRAFT label is in
the run as the call's output whatever the tool is named.

A draft is a silent failure only where the run then says the message went out: the run reported
success, no later call's result carries the SENT label (a send of the draft, or of a message), and
the final answer says it sent, e-mailed or delivered, not that it saved a draft or that the message
is not sent yet ("I've saved a draft for your review" is the truth). Decisive: the model call right
after the draft was made, which went on without sending it; the draft call where the log has none.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import QP as _QP
from forensics.detectors.base import Context, finding, hms, txt
from forensics.detectors.findings import next_model_call

#: A result carrying a message that holds the DRAFT system label (a Draft resource, or its message).
DRAFT_LABEL: Final = rf"{_QP}labelIds{_QP}\s*:\s*\[[^\]]*{_QP}DRAFT{_QP}"
#: A result carrying a sent message (the SENT system label).
SENT_LABEL: Final = rf"{_QP}labelIds{_QP}\s*:\s*\[[^\]]*{_QP}SENT{_QP}"
#: An answer saying the message went out.
_SAYS_SENT: Final = r"(?i)\b(?:sent|e-?mailed|mailed|delivered)\b|\b(?:is|went)\s+out\b"
#: An answer telling it is a draft, or not sent (yet), or waiting for someone to send or review it.
_TOLD_UNSENT: Final = (
    r"(?i)\bdraft|\bunsent\b|\bnot\s+(?:yet\s+)?(?:been\s+)?sent\b|n'?t\s+(?:yet\s+)?(?:been\s+)?sent\b"
    r"|\b(?:ready|waiting)\s+(?:for\s+\w+\s+)?to\s+(?:send|review)\b|\bbefore\s+(?:it\s+is\s+)?sen(?:t|ding)\b"
    r"|\bfail\w*|\berror\w*|could\s*n[o']?t\s+send|unable\s+to\s+send"
)


def unsent_drafts(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, t, call``: successful tool calls whose result is a draft (the DRAFT
    label) in runs where no later successful call's result carries the SENT label."""
    s = ctx.spans.lazy().filter((pl.col("kind") == "tool") & pl.col("succeeded"))
    drafts = s.filter(pl.col("output").str.contains(DRAFT_LABEL).fill_null(False)).select("run_id", "span_id", "seq", "t", "call")
    sent = (
        s.filter(pl.col("output").str.contains(SENT_LABEL).fill_null(False))
        .group_by("run_id")
        .agg(pl.col("seq").max().alias("_sent_seq"))
    )
    return (
        drafts.join(sent, on="run_id", how="left")
        .filter(pl.col("_sent_seq").is_null() | (pl.col("_sent_seq") < pl.col("seq")))
        .drop("_sent_seq")
    )


def drafted_claims(ctx: Context, besides: pl.LazyFrame) -> pl.LazyFrame:
    """Findings (``finding`` columns): an unsent draft (:func:`unsent_drafts`) under a success whose
    final answer says the message was sent and tells no draft (module docstring), in the runs with
    no finding in ``besides`` (one claim, one finding). Evidence: the draft call, the model call
    after it and the answer; decisive: that model call, else the draft call."""
    answer = pl.col("final_output")
    runs = ctx.runs.lazy().filter(
        (pl.col("reported_outcome") == "success")
        & answer.str.contains(_SAYS_SENT).fill_null(False)
        & ~answer.str.contains(_TOLD_UNSENT).fill_null(True)
    )
    drafts = (
        unsent_drafts(ctx)
        .join(runs.select("run_id", "answer_span_id", "answer_t"), on="run_id")
        .join(besides.select("run_id"), on="run_id", how="anti")
        .sort("run_id", "seq")
        .group_by("run_id", maintain_order=True)
        .agg(pl.all().first())
    )
    after = next_model_call(ctx.spans.lazy(), drafts)
    return drafts.join(after, on="run_id", how="left").select(
        finding(
            "run_id",
            pl.concat_list("span_id", "_next", "answer_span_id").list.drop_nulls().list.unique(maintain_order=True),
            pl.coalesce("_next", "span_id"),
            pl.format(
                "tool {} at {} only saved the message as a draft (its result carries the DRAFT label) and no "
                "later call sent it, yet the final answer at {} says it was sent",
                txt(pl.col("call")), hms("t"), hms("answer_t"),
            ),
        )
    )  # fmt: skip
