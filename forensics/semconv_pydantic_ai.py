"""pydantic-ai's message events kept as a span attribute, read back into a model call's input and output.

pydantic-ai's instrumentation version 1 (``InstrumentationSettings(version=1)``, the only one before
0.7.5 and Logfire's default for long after) writes a model request's messages as OpenTelemetry
GenAI events, and with ``event_mode='attributes'`` (its default) it does not emit them: it stores
them on the model request span (``chat <model>``) as one attribute, ``events``, the JSON text of a
list of event dicts, each the event's body and attributes flat (pydantic_ai/models/instrumented.py
``InstrumentedModel.event_to_dict``: ``{**body, **event.attributes}``; pydantic/pydantic-ai
tests/test_logfire.py shows them):

* ``{"event.name": "gen_ai.system.message" | "gen_ai.user.message", "role", "content"}``;
* ``{"event.name": "gen_ai.assistant.message", "role": "assistant", "content"?, "tool_calls"?}``, the
  calls as ``[{"id", "type": "function", "function": {"name", "arguments"}}]``;
* ``{"event.name": "gen_ai.tool.message", "role": "tool", "content", "id", "name"}``: a tool's result,
  ``id`` the call it answers;
* ``{"event.name": "gen_ai.choice", "index", "message": {"role": "assistant", "content"?,
  "tool_calls"?}}``: the response.

The span carries no gen_ai.input.messages / gen_ai.output.messages (version 2 and later), so the
model call's input and output were empty, and a tool's result (the ``running tool`` span of those
releases carried none) was nowhere in the columns. The input is the request's messages in the Chat
Completions shape (``role``, ``content``, ``tool_calls``, ``tool_call_id`` for a tool's result,
``name``), in the order written; the output the choice's content, else the assistant message
holding the calls it asked for (the shape semconv_messages gives, which detectors read requests
from). The attribute stays as written. The agent run span's ``all_messages_events`` (the whole
conversation) is left there: its answer is ``final_result`` and its steps are the spans above.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from .normalize import as_text

#: The attribute pydantic-ai stores a model request's events in (event_mode 'attributes').
EVENTS_KEY: Final = "events"
#: The key each event dict names its event by; also the mark that sends a line holding one to the
#: per-record loader (otel_common.PER_RECORD_MARKS): the vectorised SQL does not read it.
EVENT_NAME: Final = "event.name"
_CHOICE: Final = "gen_ai.choice"
_MESSAGE_EVENTS: Final = frozenset(
    ("gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message", "gen_ai.tool.message")
)
#: Event fields kept on a message, and what they are called in the Chat Completions shape.
_FIELDS: Final = (("role", "role"), ("content", "content"), ("tool_calls", "tool_calls"), ("id", "tool_call_id"),
                  ("name", "name"))  # fmt: skip


def event_messages(attrs: dict[str, Any], row: dict[str, Any]) -> None:
    """Fill an empty ``input`` / ``output`` from pydantic-ai's ``events`` attribute (module docstring)."""
    if row.get("input") is not None and row.get("output") is not None:
        return
    events = _events(attrs.get(EVENTS_KEY))
    if not events:
        return
    sent = [_message(e) for e in events if e.get(EVENT_NAME) in _MESSAGE_EVENTS]
    if row.get("input") is None and sent:
        row["input"] = as_text(sent)
    choices = [e.get("message") for e in events if e.get(EVENT_NAME) == _CHOICE]
    answer = next((a for a in map(_answer, choices) if a is not None), None)
    if row.get("output") is None and answer is not None:
        row["output"] = answer


def _events(value: Any) -> list[dict[str, Any]]:
    """The event dicts of an ``events`` attribute, [] when it is not pydantic-ai's list of them."""
    if isinstance(value, str):
        if EVENT_NAME not in value:
            return []
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return []  # not JSON: some other instrumentation's text, kept in attributes as written
    if not isinstance(value, list):
        return []
    return [e for e in value if isinstance(e, dict) and isinstance(e.get(EVENT_NAME), str)]


def _message(event: dict[str, Any]) -> dict[str, Any]:
    return {shaped: event[key] for key, shaped in _FIELDS if event.get(key) is not None}


def _answer(message: Any) -> str | None:
    """A choice's text, else the assistant message holding the calls it asked for."""
    if not isinstance(message, dict):
        return None
    content = message.get("content")
    if content is not None and content != "" and content != []:
        return as_text(content)
    if message.get("tool_calls"):
        return as_text({"role": "assistant", "tool_calls": message["tool_calls"]})
    return None
