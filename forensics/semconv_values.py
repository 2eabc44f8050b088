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


def haystack_usage(attrs: dict[str, Any], row: dict[str, Any]) -> None:
    """Token counts from the usage a Haystack model component returned, for a span that carries no
    usage attribute of its own (the caller checks). A generator returns ``{"replies": [...], "meta":
    [{..., "usage": {...}}]}`` (haystack/components/generators/openai.py), a chat generator replies
    whose ChatMessage meta holds ``usage`` (haystack/components/generators/chat/openai.py
    ``_convert_chat_completion_to_chat_message``; ``to_dict()`` writes ``meta``, releases 2.9-2.11
    ``_meta``: haystack/dataclasses/chat_message.py), an embedder ``{"embedding"|"documents": ...,
    "meta": {"model": ..., "usage": {...}}}`` (haystack/components/embedders/openai_text_embedder.py,
    openai_document_embedder.py). Every choice of one completion repeats that completion's usage, so
    the first usage is the call's: summing the replies would count one call n times."""
    text = attrs.get(HAYSTACK_OUTPUT)
    if not isinstance(text, str) or '"usage"' not in text:
        return
    try:
        output = orjson.loads(text)
    except orjson.JSONDecodeError:
        return
    usage = _first_usage(output) if isinstance(output, dict) else None
    if usage is None:
        return
    for column, keys in _HAYSTACK_USAGE_KEYS:
        for key in keys:
            value = usage.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                row[column] = value
                break


def _first_usage(output: dict[str, Any]) -> dict[str, Any] | None:
    metas: list[Any] = []
    meta = output.get("meta")
    metas.extend(meta if isinstance(meta, list) else [meta])
    replies = output.get("replies")
    if isinstance(replies, list):
        metas.extend(reply.get("meta", reply.get("_meta")) for reply in replies if isinstance(reply, dict))
    for entry in metas:
        usage = entry.get("usage") if isinstance(entry, dict) else None
        if isinstance(usage, dict):
            return usage
    return None


def map_costs(rest: dict[str, Any], row: dict[str, Any]) -> None:
    # any-agent splits cost into input and output parts.
    if row.get("cost_usd") is None and ("gen_ai.usage.input_cost" in rest or "gen_ai.usage.output_cost" in rest):
        parts = [as_float(rest.pop(k)) for k in ("gen_ai.usage.input_cost", "gen_ai.usage.output_cost") if k in rest]
        numbers = [p for p in parts if p is not None]
        row["cost_usd"] = sum(numbers) if numbers else None


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
