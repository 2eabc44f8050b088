"""An agent span that returned with no reply for the user.

The OpenTelemetry GenAI agent span (``invoke_agent <name>``) records the run's messages as
``gen_ai.output.messages``, each ``{"role", "parts"}`` (semantic-conventions
gen-ai-output-messages.json). Microsoft Agent Framework writes every message of the response there,
the tool calls and their results included (``AgentTelemetryLayer.run`` -> ``_capture_messages``,
``_to_otel_part``: text ``{"type": "text", "content"}``, ``tool_call``, ``tool_call_response``;
microsoft/agent-framework python/packages/core/agent_framework/observability.py), so an answer that
came back empty is the *last* message of a longer list: an assistant message with no text and no
call in it (``reply_missing`` ``empty``), or a tool result with no assistant message after it
(``after_tool``). It
writes the output only when the response held a message (``if ... and response.messages``), under
the same sensitive-data switch as the input: an ``invoke_agent`` span of the tracer
``agent_framework`` (get_tracer's default ``instrumenting_module_name``) that recorded its input and
no output returned a response with no message at all (``none``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, register

#: Microsoft Agent Framework's tracer, as the OTLP loaders keep the scope (``@scope``).
AGENT_FRAMEWORK_SCOPE: Final = r'"@scope"\s*:\s*\{\s*"name"\s*:\s*"agent_framework"'
def _last_message_gap(output: pl.Expr) -> pl.Expr:
    """What ``output`` (GenAI messages, already narrowed to the agent spans that hold them) ends
    with, where it gives the user nothing: ``empty``, an assistant message with no part but empty
    text (a call, an approval request, a file or reasoning is something: a step or a pause);
    ``after_tool``, a tool result (the model asked after it answered nothing, or a middleware ended
    the loop on the result on purpose: the detector tells them apart by the model call after it)."""
    # The last message as compact JSON (null where the text is no JSON list: a path match never
    # raises, a typed decode of an unexpected shape would); its parts read by pattern.
    last = output.str.json_path_match("$[-1]")
    parts = last.str.json_path_match("$.parts")
    # Something other than text (a call, an approval request, a file, reasoning), or text with
    # something in it.
    other = parts.str.extract_all(r'"type":"[^"]*"').list.eval(pl.element() != '"type":"text"').list.any()
    said = (other | parts.str.contains(r'"content":"\s*[^"\s]')).fill_null(False)
    role = last.str.json_path_match("$.role")
    listed = parts.str.starts_with("[").fill_null(False)
    return pl.when(~listed).then(None).when((role == "assistant") & ~said).then(pl.lit("empty")).when(role == "tool").then(pl.lit("after_tool"))


def _extract() -> list[pl.Expr]:
    # Agent spans whose input messages were recorded (the sensitive-data switch was on).
    asked = (pl.col("kind") == "agent") & pl.col("input").str.contains('"parts"', literal=True).fill_null(False)
    held = asked & pl.col("output").str.contains('"parts"', literal=True).fill_null(False)
    none = asked & pl.col("output").is_null() & pl.col("attributes").str.contains(AGENT_FRAMEWORK_SCOPE).fill_null(False)
    return [
        pl.when(held)
        .then(_last_message_gap(pl.when(held).then(pl.col("output"))))
        .when(none)
        .then(pl.lit("none"))
        .alias("reply_missing")
    ]


register(
    Convention(
        name="reply_missing",
        signals=(
            Signal(
                "an invoke_agent span whose gen_ai.output.messages end with an assistant message with no text or call, or a tool result; of the tracer agent_framework: gen_ai.input.messages and no gen_ai.output.messages",
                "Microsoft Agent Framework (OpenTelemetry GenAI agent spans)",
                "microsoft/agent-framework python/packages/core/agent_framework/observability.py (AgentTelemetryLayer.run: _capture_messages of response.messages only when there are any; _to_otel_part; get_tracer 'agent_framework')",
                "reply_missing (empty / after_tool / none)",
            ),
        ),
        extract=_extract,
        columns={"reply_missing": "an agent span returned no reply for the user: its output messages end with none ('empty') or with a tool result ('after_tool'), or it recorded its input and no output ('none', Agent Framework)"},
    )
)
