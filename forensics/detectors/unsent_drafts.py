"""A message, envelope or document only saved as a draft, reported sent: read by
``unbacked_claims.claimed_but_not_done``.

The Gmail API keeps a draft and a sent message apart. ``users.drafts.create`` stores a draft and
answers the Draft resource, ``{"id": "r-...", "message": {"id", "threadId", "labelIds": ["DRAFT"]}}``;
nothing leaves the mailbox until ``users.drafts.send`` (or ``users.messages.send``) answers the
sent Message, ``{"id", "threadId", "labelIds": ["SENT"]}`` (Gmail API reference, users.drafts
"create" and "send"; the DRAFT and SENT system labels, users.labels). A tool that wraps either
hands that resource back as its result (a LangChain Gmail toolkit's ``create_gmail_draft``, an MCP
Gmail server's tool, an application's own ``gmail_create_draft``), so the draft's DRAFT label is in
the run as the call's output whatever the tool is named.

Other APIs keep the same line in their own words, which the result carries as they wrote it:

* DocuSign eSignature: ``Envelopes:create`` takes the envelope's ``status``, "sent - The envelope is
  sent to the recipients. created - The envelope is saved as a draft and can be modified and sent
  later", and answers the EnvelopeSummary ``{"envelopeId", "uri", "statusDateTime", "status"}``
  (docusign/docusign-esign-node-client ``src/model/EnvelopeSummary.js``); a draft is sent by
  ``Envelopes:update`` with ``status: "sent"``, and an envelope read afterwards says ``sent``,
  ``delivered`` or ``completed``;
* Microsoft Graph mail: ``POST /me/messages`` (and ``createReply``, ``createForward``) saves a draft,
  sent only by ``/send``; "to distinguish between a draft and a sent message programmatically,
  check the isDraft property" (microsoftgraph/microsoft-graph-docs-contrib
  ``concepts/outlook-create-send-messages.md``);
* an object whose own ``status`` is ``draft`` (a Stripe invoice before ``finalize`` and
  ``send_invoice``, a SendGrid Single Send, a WordPress or Ghost post before ``publish``, Xero's
  ``DRAFT`` invoice, PandaDoc's ``document.draft``).

A draft is a silent failure only where the run then says the message went out: the run reported
success, no later call's result carries the SENT label (a send of the draft, or of a message), and
the final answer says it sent, e-mailed or delivered, not that it saved a draft or that the message
is not sent yet ("I've saved a draft for your review" is the truth). A later successful call settles
the draft where its result says the thing went out (the SENT label, ``isDraft`` false, a status of
sent, delivered, completed, published), where its request asked for that status (DocuSign's update to
``sent``, whose answer need not repeat it), or where its tool is named to send, publish or finalise
(Graph's ``/send`` answers 202 with no body). Decisive: the model call right after the draft was made,
which went on without sending it; the draft call itself where its own request asked for the draft
status (DocuSign's ``status: "created"``, ``isDraft: true``: one word away from sending, that call chose
not to send), or where the log has no model call after it.
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
#: A Microsoft Graph message still a draft.
_GRAPH_DRAFT: Final = rf"(?i){_QP}isDraft{_QP}\s*:\s*true\b"
#: An object whose own status is draft (Stripe, SendGrid, WordPress, Ghost, Xero, PandaDoc's document.draft).
_STATUS_DRAFT: Final = rf"(?i){_QP}status{_QP}\s*:\s*{_QP}(?:document\.)?draft{_QP}"
#: A DocuSign envelope: its ``envelopeId``, and the status ``created`` (saved as a draft).
_ENVELOPE: Final = rf"{_QP}envelopeId{_QP}\s*:"
_CREATED: Final = rf"{_QP}status{_QP}\s*:\s*{_QP}created{_QP}"
#: A request asking for the draft status (DocuSign's ``status: "created"``, Graph's ``isDraft: true``,
#: a ``status: "draft"``), read on the call's input.
_ASKED_DRAFT: Final = rf"(?i){_QP}status{_QP}\s*:\s*{_QP}(?:created|draft){_QP}|{_QP}isDraft{_QP}\s*:\s*true\b"
#: A result or a request saying the thing went out: the SENT label, ``isDraft`` false, a status past
#: the draft (DocuSign's sent, delivered, completed; a post's publish or published; an invoice open or paid).
_WENT_OUT: Final = (
    rf"{SENT_LABEL}|(?i:{_QP}isDraft{_QP}\s*:\s*false\b)"
    rf"|(?i:{_QP}status{_QP}\s*:\s*{_QP}(?:document\.)?(?:sent|sending|delivered|completed|signed|publish|published|open|paid|scheduled){_QP})"
)
#: A tool named to send, publish or finalise what a draft holds (Graph's ``/send``, Gmail's drafts.send,
#: Stripe's finalize and send_invoice).
_SENDS: Final = r"(?i)send|publish|finali[sz]e|dispatch"
#: An answer saying the message went out.
_SAYS_SENT: Final = r"(?i)\b(?:sent|e-?mailed|mailed|delivered|published)\b|\b(?:is|went)\s+out\b"
#: An answer telling it is a draft, or not sent (yet), or waiting for someone to send or review it.
_TOLD_UNSENT: Final = (
    r"(?i)\bdraft|\bunsent\b|\bnot\s+(?:yet\s+)?(?:been\s+)?sent\b|n'?t\s+(?:yet\s+)?(?:been\s+)?sent\b"
    r"|\b(?:ready|waiting)\s+(?:for\s+\w+\s+)?to\s+(?:send|review)\b|\bbefore\s+(?:it\s+is\s+)?sen(?:t|ding)\b"
    r"|\bfail\w*|\berror\w*|could\s*n[o']?t\s+send|unable\s+to\s+send"
)


def _is_draft(out: pl.Expr) -> pl.Expr:
    """A result holding a draft, in any of the vocabularies above."""
    envelope_draft = out.str.contains(_ENVELOPE) & out.str.contains(_CREATED)
    forms = out.str.contains(DRAFT_LABEL) | out.str.contains(_GRAPH_DRAFT) | out.str.contains(_STATUS_DRAFT) | envelope_draft
    return forms.fill_null(False)


def unsent_drafts(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, t, call, asked_draft``: successful tool calls whose result is a draft
    (module docstring) in runs where no later successful call settled it (its result or request says
    the thing went out, or its tool sends); ``asked_draft`` where the call's own request asked for
    the draft status."""
    s = ctx.spans.lazy().filter((pl.col("kind") == "tool") & pl.col("succeeded"))
    drafts = s.filter(_is_draft(pl.col("output"))).select(
        "run_id", "span_id", "seq", "t", "call", pl.col("args").str.contains(_ASKED_DRAFT).fill_null(False).alias("asked_draft")
    )
    went_out = (
        pl.col("output").str.contains(_WENT_OUT).fill_null(False)
        | pl.col("args").str.contains(_WENT_OUT).fill_null(False)
        | pl.col("call_tool").str.contains(_SENDS).fill_null(False)
    )
    sent = s.filter(went_out).group_by("run_id").agg(pl.col("seq").max().alias("_sent_seq"))
    return (
        drafts.join(sent, on="run_id", how="left")
        .filter(pl.col("_sent_seq").is_null() | (pl.col("_sent_seq") < pl.col("seq")))
        .drop("_sent_seq")
    )


def drafted_claims(ctx: Context, besides: pl.LazyFrame) -> pl.LazyFrame:
    """Findings (``finding`` columns): an unsent draft (:func:`unsent_drafts`) under a success whose
    final answer says the message was sent and tells no draft (module docstring), in the runs with
    no finding in ``besides`` (one claim, one finding). Evidence: the draft call, the model call
    after it and the answer; decisive: the draft call where its request asked for the draft,
    else that model call, else the draft call."""
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
            pl.when(pl.col("asked_draft")).then(pl.col("span_id")).otherwise(pl.coalesce("_next", "span_id")),
            pl.format(
                "tool {} at {} only saved it as a draft (its result says so: the DRAFT label, isDraft, an envelope "
                "created, a status of draft) and no later call sent it, yet the final answer at {} says it was sent",
                txt(pl.col("call")), hms("t"), hms("answer_t"),
            ),
        )
    )  # fmt: skip
