"""A bot that told its user, on its own span, that the run they cancelled was stopped.

Semantic Kernel (Python) traces an agent call as ``invoke_agent <name>`` and the model call under
it (semantic_kernel/utils/telemetry/agent_diagnostics/decorators.py ``trace_agent_invocation``,
model_diagnostics/decorators.py); a cancelled task leaves both with asyncio's CancelledError
(opentelemetry-sdk ``Span.__exit__``: status ERROR, ``exception.type``
``asyncio.exceptions.CancelledError``). The Teams bot around it traces its turn on a span of its
own and records the message it sent as an attribute of that span: the text of the message
activity it sent (botbuilder's ``TelemetryLoggerMiddleware`` logs BotMessageSend with the sent
activity's ``text``, microsoft/botbuilder-dotnet libraries/Microsoft.Bot.Builder/
TelemetryLoggerMiddleware.cs). That message is the run's answer: a run whose answer says the user
stopped it swallowed nothing; one whose bot answered as if the work was done did.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from span_builder import detectors, one, run, span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

CANCELLED = {"status": "error", "error_type": "asyncio.exceptions.CancelledError", "error_message": "CancelledError: "}
ASK = "Draft the Q3 board summary from the finance folder."


def _turn(sent: str | None, key: str = "bot.activity.text") -> list[dict[str, Any]]:
    attrs: dict[str, Any] = {"conversation.id": "a:1Xz9", "channel.id": "msteams"}
    if sent is not None:
        attrs[key] = sent
    return [
        span("turn", 0, 6, kind="unknown", name="bot.on_message_activity", input=ASK, attributes=json.dumps(attrs)),
        span("a1", 0.1, 4, kind="agent", agent="BoardWriter", name="invoke_agent BoardWriter", parent_id="turn",
             **CANCELLED),
        span("l1", 0.2, 4, kind="llm", model="gpt-4o", name="chat.completions gpt-4o", parent_id="a1", **CANCELLED),
    ]  # fmt: skip


def _output(rows: list[dict[str, Any]], span_id: str = "turn") -> str | None:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    out = ctx.spans.filter(pl.col("span_id") == span_id).get_column("output").to_list()[0]
    return None if out is None else str(out)


def test_near_miss_the_bot_told_the_user_their_cancel_stopped_the_work() -> None:
    for said in ("OK, I've stopped drafting the board summary as you asked. Nothing was saved.",
                 "You cancelled the request, so the summary was not written.",
                 "Stopped: the request was cancelled by the user."):  # fmt: skip
        assert detectors(run(*_turn(said))) == set(), said
    assert _output(_turn('He said "stop".')) == 'He said "stop".'


def test_a_bot_that_answered_as_if_done_or_said_nothing_swallowed_the_cancel() -> None:
    done = _turn("Here is your Q3 board summary: revenue grew 12% on the quarter.")
    assert one(run(*done), "swallowed_error")["decisive_span_id"] == "l1"
    assert "swallowed_error" in detectors(run(*_turn(None)))


def test_other_outgoing_keys_and_what_is_no_sent_message() -> None:
    for key in ("reply.text", "app.response.message", "teams.outgoing.content"):
        assert _output(_turn("Cancelled at your request.", key)) == "Cancelled at your request.", key
    # The way in: the user's message, under any name, is no answer.
    for key in ("bot.user.message", "bot.request.text", "incoming.activity.text", "http.response.body.text"):
        assert _output(_turn("Cancelled at your request.", key)) is None, key
    # The incoming activity logged under the bot's name: the user's own words repeated.
    assert _output(_turn(ASK)) is None
    # A model call's output is its own: only app spans with none take a sent message.
    rows = _turn(None)
    rows[2] = {**rows[2], "attributes": json.dumps({"bot.activity.text": "Hello"})}
    assert _output(rows, "l1") is None


def test_the_second_person_is_read_in_the_answer_only() -> None:
    """A person's own message saying 'you stopped' speaks of the agent, not of a cancel of theirs."""
    human = span("h1", 5, 5.2, kind="human", parent_id="turn", output="Why have you stopped? Go on.")
    assert "swallowed_error" in detectors(run(*_turn(None), human))


def _server_turn(sent: str) -> list[dict[str, Any]]:
    """The bot's turn as a FastAPI server span (opentelemetry-instrumentation-fastapi: ``POST
    /api/messages``, no output), the agent's call under it cancelled mid-tool, and the message the
    bot then sent on a span of its own after the agent (its ``send_activity``)."""
    tool = {**CANCELLED, "error_message": "CancelledError"}
    return [
        span("srv", 0, 46, kind="unknown", name="POST /api/messages",
             attributes=json.dumps({"http.request.method": "POST", "http.route": "/api/messages"})),
        span("a1", 0.04, 45, kind="agent", agent="PayslipExporter", name="invoke_agent PayslipExporter", parent_id="srv",
             **tool),
        span("l1", 0.05, 2, kind="llm", model="gpt-4o", name="chat.completions gpt-4o", parent_id="a1"),
        span("t1", 2.2, 13, kind="tool", tool="PayrollPlugin-export_payslip", parent_id="a1",
             input='{"employee_id": "E1042"}'),
        span("t2", 36.4, 45, kind="tool", tool="PayrollPlugin-export_payslip", parent_id="a1",
             input='{"employee_id": "E1101"}', **tool),
        span("send", 45.1, 45.3, kind="unknown", name="send_activity", parent_id="srv",
             attributes=json.dumps({"bot.activity.type": "message", "bot.activity.text": sent})),
    ]  # fmt: skip


def test_near_miss_the_message_sent_after_the_agent_says_the_user_stopped_it() -> None:
    said = "Stopped as you asked. 1 of 12 payslips was exported; E1101 was interrupted and not written."
    assert "swallowed_error" not in detectors(run(*_server_turn(said)))


def test_a_message_sent_after_the_agent_as_if_done_swallowed_the_cancel() -> None:
    assert "swallowed_error" in detectors(run(*_server_turn("All 12 payslips were exported to SharePoint.")))
