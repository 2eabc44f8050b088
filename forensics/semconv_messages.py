"""OpenLLMetry's indexed prompt and completion attributes, read back into a model call's input and output.

Traceloop's OpenLLMetry instrumentations flatten the messages of a model call into one attribute
a field (an OTel attribute holds no object):

* the prompt as ``gen_ai.prompt.<i>.role`` / ``.content``, a tool message's ``.tool_call_id`` and an
  assistant message's requests as ``.tool_calls.<j>.id`` / ``.name`` / ``.arguments``
  (traceloop/openllmetry packages/opentelemetry-instrumentation-openai/.../shared/chat_wrappers.py
  ``_set_prompts``; opentelemetry-instrumentation-langchain span_utils.py ``set_chat_request``;
  opentelemetry-instrumentation-anthropic span_utils.py ``aset_input_attributes``, which writes a
  legacy completion prompt as ``gen_ai.prompt.0.user``);
* the completion as ``gen_ai.completion.<i>.role`` / ``.content`` / ``.finish_reason`` (``.refusal``
  in place of the content when the model refused), its tool calls as ``.tool_calls.<j>.id`` /
  ``.name`` / ``.arguments`` (chat_wrappers.py ``_set_completions``: ``<i>`` is the choice's index;
  langchain ``set_chat_response``; anthropic ``_set_span_completions``, which writes an extended
  thinking block as a completion of its own with the role ``thinking`` before the answer's).

Every value is written only when it is neither None nor "" (``_set_span_attribute``), so a turn that
only calls tools has no content key, except through LangChain: ``set_chat_response`` tests
``generation.message.content is str`` (always false) and writes ``json.dumps(content)``, which is
``""`` (two quote characters) for the empty content of a tool-calling AIMessage, ``[]`` for an empty
block list. Those are no content.

The span's ``input`` is the prompt's messages as JSON in index order, in the Chat Completions message
shape (``{"role", "content", "tool_calls": [{"id", "type": "function", "function": {"name",
"arguments"}}], "tool_call_id"}``, each field only where written); its ``output`` the first content of
a completion that is not thinking, else the refusal, else the tool calls asked for, as an assistant
message holding them (the shape the detectors read requests from: claim_pronouns._REQUESTED,
interrupted_calls._requests). The attributes stay as written: nothing is taken from them.
"""

from __future__ import annotations

import re
from typing import Any, Final

from .normalize import as_text

#: One of these is on every span an OpenLLMetry instrumentation wrote messages on (a message's role is
#: written for every prompt message; a choice's finish reason or role for every completion; the
#: anthropic legacy prompt's ``.0.user``). A dict lookup each, so spans without them cost nothing more.
MARKS: Final = ("gen_ai.prompt.0.role", "gen_ai.prompt.0.content", "gen_ai.prompt.0.user", "gen_ai.completion.0.role",
                "gen_ai.completion.0.content", "gen_ai.completion.0.finish_reason")
#: The texts that mark such a line for the vectorised readers (otel_common.PER_RECORD_MARKS): the
#: rebuild below is not mirrored in SQL, so such a line is read record by record.
LINE_MARKS: Final = ("gen_ai.prompt.0.", "gen_ai.completion.0.")

_INDEXED: Final = re.compile(r"gen_ai\.(prompt|completion)\.(\d+)\.(.+)")
_CALL: Final = re.compile(r"tool_calls\.(\d+)\.(id|name|arguments)")
#: Message fields kept as written (``user``: anthropic's legacy prompt, the user's text).
_FIELDS: Final = frozenset(("role", "content", "tool_call_id", "finish_reason", "refusal", "user"))
#: LangChain's json.dumps of an empty content (module docstring): no content.
_NO_CONTENT: Final = frozenset(("", '""', "[]"))
_THINKING: Final = "thinking"


def indexed_messages(attrs: dict[str, Any], row: dict[str, Any]) -> None:
    """Fill an empty ``input`` / ``output`` from OpenLLMetry's indexed message keys (module docstring)."""
    if row.get("input") is not None and row.get("output") is not None:
        return
    if not any(mark in attrs for mark in MARKS):
        return
    prompts: dict[int, dict[str, Any]] = {}
    completions: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        if value is None or not key.startswith("gen_ai."):
            continue
        found = _INDEXED.fullmatch(key)
        if found is None:
            continue
        side, index, field = found.groups()
        message = (prompts if side == "prompt" else completions).setdefault(int(index), {})
        if field in _FIELDS:
            message[field] = as_text(value)
        elif (call := _CALL.fullmatch(field)) is not None:
            message.setdefault("_calls", {}).setdefault(int(call.group(1)), {})[call.group(2)] = as_text(value)
    if row.get("input") is None and prompts:
        row["input"] = as_text([_prompt_message(prompts[i]) for i in sorted(prompts)])
    if row.get("output") is None and completions:
        answer = _answer([completions[i] for i in sorted(completions)])
        if answer is not None:
            row["output"] = answer


def _tool_calls(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A message's tool calls in the Chat Completions shape, in index order."""
    calls = message.get("_calls") or {}
    out = []
    for j in sorted(calls):
        call = calls[j]
        shaped: dict[str, Any] = {"id": call["id"]} if "id" in call else {}
        shaped["type"] = "function"
        shaped["function"] = {"name": call.get("name"), "arguments": call.get("arguments")}
        out.append(shaped)
    return out


def _prompt_message(message: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "user" in message and "content" not in message:  # anthropic's legacy completion prompt
        out["role"], out["content"] = message.get("role", "user"), message["user"]
    else:
        out["role"] = message.get("role")
        if "content" in message:
            out["content"] = message["content"]
    if calls := _tool_calls(message):
        out["tool_calls"] = calls
    if "tool_call_id" in message:
        out["tool_call_id"] = message["tool_call_id"]
    return out


def _answer(completions: list[dict[str, Any]]) -> str | None:
    """The first content of a completion that is not thinking, else its refusal, else the tool calls."""
    said = [c for c in completions if c.get("role") != _THINKING]
    for field in ("content", "refusal"):
        for completion in said:
            text = completion.get(field)
            if text is not None and text.strip() not in _NO_CONTENT:
                return str(text)
    calls = [call for completion in said for call in _tool_calls(completion)]
    if not calls:
        return None
    return as_text({"role": "assistant", "tool_calls": calls})
