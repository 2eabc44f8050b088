"""Attribute values a framework writes in its own way, read after the keys are mapped (semconv.py).

Google ADK's call_llm output tokens (sometimes the response's total), any-agent's cost split into
input and output parts, Monocle's numbered entities whose meaning depends on ``span.type``,
Haystack's token usage inside a component's traced output.
"""

from __future__ import annotations

import re
from typing import Any, Final

import orjson

from .normalize import as_float, as_text

#: An OpenAI Agents SDK handoff tool's name (``transfer_to_<agent>``), as Monocle records the target.
TRANSFER_RE: Final = re.compile(r"^transfer_to_(.+)$")

#: gen_ai.system on Google ADK's call_llm span (trace_call_llm).
ADK_SYSTEM: Final = "gcp.vertex.agent"


def adk_output_tokens(row: dict[str, Any]) -> None:
    """ADK's trace_call_llm wrote the response's total_token_count (prompt and answer) as
    gen_ai.usage.output_tokens (google/adk-python src/google/adk/telemetry.py at 0e5175a:
    ``set_attribute('gen_ai.usage.output_tokens', usage_metadata.total_token_count)``); later versions
    write candidates_token_count (telemetry/tracing.py). The span's captured llm_response holds the
    usage_metadata: when output_tokens equals its total and the answer's own count is there, the
    answer's count is the output."""
    output = row.get("output")
    if not isinstance(output, str) or "usage_metadata" not in output:
        return
    try:
        usage = orjson.loads(output).get("usage_metadata")
    except (orjson.JSONDecodeError, AttributeError):
        return
    if not isinstance(usage, dict):
        return
    total, answer = usage.get("total_token_count"), usage.get("candidates_token_count")
    if row["output_tokens"] == total and isinstance(answer, int) and not isinstance(answer, bool) and answer != total:
        row["output_tokens"] = answer


#: The attribute Haystack traces a component's return value in (haystack/core/pipeline/base.py
#: ``_COMPONENT_OUTPUT``, written by ``span.set_content_tag``; haystack/tracing/utils.py
#: ``coerce_tag_value`` turns the dict into JSON text, ``to_dict()`` first for a ChatMessage).
HAYSTACK_OUTPUT: Final = "haystack.component.output"
#: The usage's keys per column: OpenAI's ``prompt_tokens``/``completion_tokens`` (the OpenAI
#: components' ``_serialize_usage(completion.usage)`` / ``dict(response.usage)``), or an integration's
#: ``input_tokens``/``output_tokens``.
_HAYSTACK_USAGE_KEYS: Final = (("input_tokens", ("prompt_tokens", "input_tokens")),
                               ("output_tokens", ("completion_tokens", "output_tokens")))


#: The attributes Haystack tags a component's class and traced arguments with (pipeline.py
#: ``_run_component``: ``haystack.component.type`` = ``instance.__class__.__name__``; base.py ``_COMPONENT_INPUT``).
HAYSTACK_TYPE: Final = "haystack.component.type"
HAYSTACK_INPUT: Final = "haystack.component.input"
#: Haystack's model components by their class's suffix (haystack/components/generators/, embedders/), the
#: ones whose traced output names the model that answered; and its component running tool calls.
HAYSTACK_MODEL_TYPES: Final = ("Generator", "Embedder")
HAYSTACK_TOOL_INVOKER: Final = "ToolInvoker"


def haystack_output(attrs: dict[str, Any], row: dict[str, Any]) -> None:
    """The token counts (``haystack_usage``) and the model a Haystack model component's traced output
    holds, for a span whose attributes gave neither (the caller checks one is missing). A chat
    generator's reply meta carries ``model`` beside ``usage`` (haystack/components/generators/chat/openai.py
    ``_convert_chat_completion_to_chat_message``: ``meta={"model": completion.model, ...}``), a generator's
    ``meta`` list the same (generators/openai.py), an embedder's ``meta`` dict ``{"model", "usage"}``
    (embedders/openai_text_embedder.py): the model of the call, as the provider answered it. Only a
    model component's (HAYSTACK_MODEL_TYPES) output names its model so; another component passing
    replies on names none of its own."""
    text = attrs.get(HAYSTACK_OUTPUT)
    if not isinstance(text, str) or not ('"usage"' in text or '"model"' in text):
        return
    try:
        output = orjson.loads(text)
    except orjson.JSONDecodeError:
        return
    if not isinstance(output, dict):
        return
    if row.get("input_tokens") is None and row.get("output_tokens") is None:
        haystack_usage(output, row)
    kind = attrs.get(HAYSTACK_TYPE)
    if row.get("model") is None and isinstance(kind, str) and kind.endswith(HAYSTACK_MODEL_TYPES):
        model = next((entry["model"] for entry in _metas(output)
                      if isinstance(entry, dict) and isinstance(entry.get("model"), str) and entry["model"]), None)
        if model is not None:
            row["model"] = model


def haystack_tool(attrs: dict[str, Any], row: dict[str, Any]) -> None:
    """The tool a Haystack ToolInvoker span ran, for its ``tool`` column. The component runs the tool
    calls of the messages it is given (haystack/components/tools/tool_invoker.py ``run(messages)``: one
    per ``message.tool_calls``, each a ToolCall ``{tool_name, arguments, id}``) and its span names none:
    the traced input (HAYSTACK_INPUT, ``{"messages": [ChatMessage.to_dict()...]}``: each content part a
    ``{"tool_call": {...}}``; ``_content`` in releases 2.9-2.11) does. One tool called, once or more, names
    the span's tool; calls of several tools name no single one, and the column stays empty."""
    text = attrs.get(HAYSTACK_INPUT)
    if not isinstance(text, str) or '"tool_name"' not in text:
        return
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list):
        return
    names = set()
    for message in messages:
        parts = message.get("content", message.get("_content")) if isinstance(message, dict) else None
        for part in parts if isinstance(parts, list) else ():
            call = part.get("tool_call") if isinstance(part, dict) else None
            if isinstance(call, dict) and isinstance(call.get("tool_name"), str) and call["tool_name"]:
                names.add(call["tool_name"])
    if len(names) == 1:
        row["tool"] = names.pop()


def haystack_usage(output: dict[str, Any], row: dict[str, Any]) -> None:
    """Token counts from the usage a Haystack model component returned, for a span that carries no
    usage attribute of its own (the caller checks). A generator returns ``{"replies": [...], "meta":
    [{..., "usage": {...}}]}`` (haystack/components/generators/openai.py), a chat generator replies
    whose ChatMessage meta holds ``usage`` (haystack/components/generators/chat/openai.py
    ``_convert_chat_completion_to_chat_message``; ``to_dict()`` writes ``meta``, releases 2.9-2.11
    ``_meta``: haystack/dataclasses/chat_message.py), an embedder ``{"embedding"|"documents": ...,
    "meta": {"model": ..., "usage": {...}}}`` (haystack/components/embedders/openai_text_embedder.py,
    openai_document_embedder.py). Every choice of one completion repeats that completion's usage, so
    the first usage is the call's: summing the replies would count one call n times."""
    usage = next((entry["usage"] for entry in _metas(output)
                  if isinstance(entry, dict) and isinstance(entry.get("usage"), dict)), None)
    if usage is None:
        return
    for column, keys in _HAYSTACK_USAGE_KEYS:
        for key in keys:
            value = usage.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                row[column] = value
                break


def _metas(output: dict[str, Any]) -> list[Any]:
    """The meta entries of a model component's output: its own ``meta`` (a list or one dict), then each
    reply's (``meta``, ``_meta`` in 2.9-2.11)."""
    metas: list[Any] = []
    meta = output.get("meta")
    metas.extend(meta if isinstance(meta, list) else [meta])
    replies = output.get("replies")
    if isinstance(replies, list):
        metas.extend(reply.get("meta", reply.get("_meta")) for reply in replies if isinstance(reply, dict))
    return metas


#: pydantic-ai's price of a model request (genai-prices), in USD: ``attributes_to_set['operation.cost'] =
#: float(price_calculation.total_price)`` on the ``chat {model}`` span, and the run's total on the agent
#: run span (pydantic_ai/models/instrumented.py; pydantic_ai/agent/__init__.py _run_span_end_attributes),
#: which conventions.rollups then counts once. The key is generic (apps write ``operation.cost: "high"``),
#: so it is read only as a number on a span that carries GenAI attributes.
PYDANTIC_AI_COST: Final = "operation.cost"


def map_costs(rest: dict[str, Any], row: dict[str, Any]) -> None:
    # any-agent splits cost into input and output parts.
    if row.get("cost_usd") is None and ("gen_ai.usage.input_cost" in rest or "gen_ai.usage.output_cost" in rest):
        parts = [as_float(rest.pop(k)) for k in ("gen_ai.usage.input_cost", "gen_ai.usage.output_cost") if k in rest]
        numbers = [p for p in parts if p is not None]
        row["cost_usd"] = sum(numbers) if numbers else None
    cost = rest.get(PYDANTIC_AI_COST)
    if (row.get("cost_usd") is None and isinstance(cost, int | float) and not isinstance(cost, bool)
            and not {"gen_ai.operation.name", "gen_ai.system", "gen_ai.provider.name", "gen_ai.agent.name"}.isdisjoint(rest)):
        row["cost_usd"] = float(rest.pop(PYDANTIC_AI_COST))


def map_monocle(rest: dict[str, Any], row: dict[str, Any]) -> None:
    """Monocle keeps names in numbered entities whose meaning depends on span.type."""
    span_type = rest.get("span.type")
    if not isinstance(span_type, str):
        return
    if span_type == "agentic.invocation" and row.get("agent") is None and "entity.1.name" in rest:
        row["agent"] = as_text(rest.pop("entity.1.name"))
    elif span_type in ("agentic.tool.invocation", "agentic.mcp.invocation"):
        if row.get("tool") is None and "entity.1.name" in rest:
            row["tool"] = as_text(rest.pop("entity.1.name"))
        if row.get("agent") is None and "entity.2.name" in rest:
            row["agent"] = as_text(rest.pop("entity.2.name"))
    elif span_type.startswith("inference"):
        if row.get("model") is None and str(rest.get("entity.2.type", "")).startswith("model.") and "entity.2.name" in rest:
            row["model"] = as_text(rest.pop("entity.2.name"))
        if rest.get("span.subtype") == "delegation" and row.get("handoff_to") is None:
            target = rest.get("entity.3.name")
            match = TRANSFER_RE.match(target) if isinstance(target, str) else None
            row["handoff_to"] = match.group(1) if match else as_text(target)
