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
