"""claimed_but_not_done: an e-mail only saved as a Gmail draft, reported sent.

The Gmail API's ``users.drafts.create`` answers the Draft resource, ``{"id": "r-...", "message":
{"id", "threadId", "labelIds": ["DRAFT"]}}``; only ``users.drafts.send`` (or ``users.messages.send``)
sends, answering the Message with ``"labelIds": ["SENT"]`` (Gmail API reference, users.drafts create
and send; forensics/detectors/unsent_drafts.py). The run's shape is a smolagents ToolCallingAgent
whose tools return those resources as their results (src/smolagents/tools.py; the OpenInference
instrumentation ends the tool span OK with the result as ``output.value``).

Near misses: the draft then sent (SENT label); an answer that says the message was saved as a draft.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import tool_steps_run

from forensics.classify import classify
from forensics.load import load

_TRACE = "d4af7000000000000000000000000001"
MAIL = {"to": "ap@example-foods.com", "subject": "Reminder: invoice INV-4410 is overdue", "body": "Hello, ..."}
DRAFT = json.dumps({"id": "r-4410778120", "message": {"id": "18f2a9c0d1", "threadId": "18f2a9c0d1", "labelIds": ["DRAFT"]}})
SENT = json.dumps({"id": "18f2a9c0d1", "threadId": "18f2a9c0d1", "labelIds": ["SENT"]})
CLAIM = "I've sent the payment reminder for INV-4410 to ap@example-foods.com."


def _smol(tmp_path: Path, calls: list[tuple[str, dict[str, Any], str]], answer: str) -> pl.DataFrame:
    """A smolagents ToolCallingAgent: one step per ``(tool, kwargs, result)``, then final_answer."""
    path = tmp_path / "smol_reminder.json"
    path.write_text(json.dumps(tool_steps_run(_TRACE, "Send the overdue reminder for INV-4410.", calls, answer, service="ar-agent", prefix="5")))
    return load(path).to_polars()


def _found(spans: pl.DataFrame) -> dict[str, str]:
    f = classify(spans).to_polars()[0]
    return dict(zip(f["detector"].to_list(), f["decisive_span_id"].to_list(), strict=True))


def test_draft_only_reported_sent(tmp_path: Path) -> None:
    # Decisive: the model call after the draft, which went on to answer instead of sending it.
    assert _found(_smol(tmp_path, [("gmail_create_draft", MAIL, DRAFT)], CLAIM)) == {"claimed_but_not_done": "b500000000000001"}


def test_near_miss_draft_sent_or_told_as_a_draft(tmp_path: Path) -> None:
    send = ("gmail_send_draft", {"draft_id": "r-4410778120"}, SENT)
    assert _found(_smol(tmp_path, [("gmail_create_draft", MAIL, DRAFT), send], CLAIM)) == {}
    told = "I saved the payment reminder for INV-4410 as a draft in your Gmail so you can review it before it goes out."
    assert _found(_smol(tmp_path, [("gmail_create_draft", MAIL, DRAFT)], told)) == {}


# DocuSign eSignature's Envelopes:create takes the envelope's status: "sent" sends it, "created" saves
# it as a draft; the answer is the EnvelopeSummary (docusign/docusign-esign-node-client
# src/model/EnvelopeSummary.js). Envelopes:update with status "sent" sends a draft.
ENVELOPE = {"templateId": "tpl-77", "templateRoles": [{"roleName": "Signer", "name": "R. Osei", "email": "r.osei@example.org"}]}
ENV_ID = "3f1c9a2e-0b7d-4c55-9e1a-7d2b6c8e4f10"
CREATED = json.dumps({"envelopeId": ENV_ID, "uri": f"/envelopes/{ENV_ID}", "statusDateTime": "2026-03-02T10:00:00Z", "status": "created"})
SIGN_CLAIM = "All set: the services agreement went out to R. Osei (r.osei@example.org) for e-signature in DocuSign."


def test_envelope_created_as_draft_reported_sent(tmp_path: Path) -> None:
    # The request itself asked for the draft status, one word away from sending: that call is decisive.
    calls = [("docusign_create_envelope", {**ENVELOPE, "status": "created"}, CREATED)]
    assert _found(_smol(tmp_path, calls, SIGN_CLAIM)) == {"claimed_but_not_done": "c500000000000000"}


def test_near_miss_envelope_updated_to_sent_or_told_as_draft(tmp_path: Path) -> None:
    create = ("docusign_create_envelope", {**ENVELOPE, "status": "created"}, CREATED)
    # The update's answer holds only the id: its request asked for "sent".
    update = ("docusign_update_envelope", {"envelopeId": ENV_ID, "status": "sent"}, json.dumps({"envelopeId": ENV_ID}))
    assert _found(_smol(tmp_path, [create, update], SIGN_CLAIM)) == {}
    # An envelope created with status "sent" went out at once.
    sent = json.dumps({"envelopeId": ENV_ID, "uri": f"/envelopes/{ENV_ID}", "status": "sent"})
    assert _found(_smol(tmp_path, [("docusign_create_envelope", {**ENVELOPE, "status": "sent"}, sent)], SIGN_CLAIM)) == {}
    told = "I prepared the DocuSign envelope for R. Osei and saved it as a draft; it has not been sent yet."
    assert _found(_smol(tmp_path, [create], told)) == {}


# A Stripe invoice is created as a draft ("status": "draft"); finalize and send_invoice e-mail it.
INVOICE = json.dumps({"id": "in_1Pq8ZrL2", "object": "invoice", "status": "draft", "customer": "cus_81", "amount_due": 42000})
INVOICE_CLAIM = "Invoice in_1Pq8ZrL2 for $420.00 has been sent to the customer."


def test_invoice_left_a_draft_reported_sent(tmp_path: Path) -> None:
    # The request did not ask for a draft (Stripe makes every invoice one): the model call after it,
    # which answered instead of sending, is decisive.
    calls = [("stripe_create_invoice", {"customer": "cus_81", "collection_method": "send_invoice"}, INVOICE)]
    assert _found(_smol(tmp_path, calls, INVOICE_CLAIM)) == {"claimed_but_not_done": "b500000000000001"}


def test_near_miss_invoice_sent_by_a_send_tool(tmp_path: Path) -> None:
    create = ("stripe_create_invoice", {"customer": "cus_81", "collection_method": "send_invoice"}, INVOICE)
    send = ("stripe_send_invoice", {"invoice": "in_1Pq8ZrL2"}, json.dumps({"ok": True}))
    assert _found(_smol(tmp_path, [create, send], INVOICE_CLAIM)) == {}
