"""A message the app sent its user, recorded on the app's own span: an answer, like a model's.

A chat bot built on an agent framework talks to its user through its channel, not through the
agent: the Bot Framework bot sends a message activity (``TurnContext.send_activity``), and what
it logs of it is the activity it sent, the bot's (botbuilder's ``TelemetryLoggerMiddleware`` logs
``BotMessageSend`` with the sent activity's ``text``, microsoft/botbuilder-dotnet
libraries/Microsoft.Bot.Builder/TelemetryLoggerMiddleware.cs ``OnSendActivityAsync`` /
``FillSendEventPropertiesAsync``; the activity's ``text`` is the message shown to the user,
microsoft/botframework-sdk specs/botframework-activity/botframework-activity.md). Applications that
trace the turn with OpenTelemetry put it on their own span as an attribute named for it
(``bot.activity.text``, ``reply.text``, ``response.message``), while the agent's spans under it
(Semantic Kernel's ``invoke_agent``, the model call) hold only what the agent produced. A run whose
agent call was cancelled and whose bot then told the user so said it on that attribute, and the
run's answer, read from the spans' outputs alone, missed it.

``output`` of an app span (kind chain, agent or unknown, no output of its own) is filled from such
an attribute: a key whose last part names text (``text``, ``message``, ``content``) and an earlier
part names the bot or the way out (``bot``, ``reply``, ``response``, ``outgoing``, ``outbound``,
``sent``, ``answer``); a key that names the way in (``user``, ``request``, ``input``, ``incoming``,
``inbound``, ``received``, ``prompt``) or a protocol (``http``, ``gen_ai``, ``llm``) is no message
sent, and a value that repeats the span's own input is the message received, logged again
(a handler that records the incoming activity under its bot's name).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, register

_SEG: Final = r"[A-Za-z0-9_-]+"
#: An attribute ``"key": "string value"`` whose key names a message the app sent.
SENT_MESSAGE: Final = (
    rf'"((?:{_SEG}\.)*(?:bot|reply|response|outgoing|outbound|sent|answer)(?:\.{_SEG})*\.(?:text|message|content))"'
    r'\s*:\s*"((?:[^"\\]|\\.)*)"'
)
#: A key part that names the way in or a protocol: no message the app sent.
NOT_SENT: Final = r"(?i)(?:^|\.)(?:user|request|input|incoming|inbound|received|prompt|http|gen_ai|llm)(?:\.|$)"


def _sent_text(attrs: pl.Expr) -> pl.Expr:
    """The first sent-message attribute's value, unescaped (null where there is none)."""
    pairs = attrs.str.extract_all(SENT_MESSAGE)
    kept = pairs.list.eval(
        pl.element().filter(~pl.element().str.extract(r'^"([^"]*)"', 1).str.contains(NOT_SENT))
    ).list.first()
    value = kept.str.extract(SENT_MESSAGE, 2)
    return pl.concat_str([pl.lit('"'), value, pl.lit('"')]).str.json_decode(pl.String)


def _extract() -> list[pl.Expr]:
    app_span = pl.col("kind").is_in(["chain", "agent", "unknown"]) & pl.col("output").is_null()
    # The regex reads the app spans' attributes only (taken out with on_rows: it read every span's).
    hint = app_span & on_rows(
        app_span, pl.col("attributes"), lambda e: e.str.contains(r'\.(?:text|message|content)\\?"')
    ).fill_null(False)
    sent = on_rows(hint, pl.col("attributes"), _sent_text)
    # The incoming activity logged under the bot's name: the user's words, no answer.
    received = sent.str.strip_chars().eq_missing(pl.col("input").str.strip_chars())
    return [
        pl.when(pl.col("output").is_null() & sent.str.strip_chars().str.len_chars().gt(0) & ~received)
        .then(sent)
        .otherwise(pl.col("output"))
        .alias("output")
    ]


register(
    Convention(
        name="sent_messages",
        signals=(
            Signal(
                "an app span's attribute naming a message it sent (bot.activity.text, reply.text, "
                "response.message: a key ending in text/message/content after a part bot, reply, response, "
                "outgoing, outbound, sent or answer), the span with no output of its own",
                "Bot Framework / Teams bots tracing their turn with OpenTelemetry (over Semantic Kernel, any agent)",
                "microsoft/botbuilder-dotnet libraries/Microsoft.Bot.Builder/TelemetryLoggerMiddleware.cs "
                "(OnSendActivityAsync, FillSendEventPropertiesAsync: BotMessageSend, the sent activity's text); "
                "microsoft/botframework-sdk specs/botframework-activity/botframework-activity.md (text)",
                "output of that span (so the run's final answer when it ends last); a value repeating the "
                "span's input, or a key naming the way in (user, request, input, received), is none",
            ),
        ),
        extract=_extract,
        columns={"output": "a span's output; on an app span with none, the message it sent its user (sent_messages)"},
    )
)
