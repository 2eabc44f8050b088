"""OpenTelemetry GenAI semantic-convention names and attributes, shared by the otlp-json and
otel-sdk-json writers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from forensics.synth.model import Run, Span
from forensics.synth.writers.base import _call_id, _messages

_GENAI_NAMES: Final[dict[str, Callable[[Span], str]]] = {
    "agent": lambda s: f"invoke_agent {s.agent}",
    "llm": lambda s: f"chat {s.model}",
    "tool": lambda s: f"execute_tool {s.tool}",
    "retriever": lambda s: f"execute_tool {s.tool}",
    "handoff": lambda s: f"execute_tool {s.tool}",
}


def genai_name(span: Span) -> str:
    """The span name GenAI instrumentations give each kind of span (others keep their own name)."""
    namer = _GENAI_NAMES.get(span.kind)
    return span.name if namer is None else namer(span)


def _agent_attrs(run: Run, s: Span) -> dict[str, Any]:
    a: dict[str, Any] = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": s.agent}
    if run.session_id:
        a["gen_ai.conversation.id"] = run.session_id
    if s.input is not None:
        a["gen_ai.input.messages"] = _messages("user", s.input)
    if s.output is not None:
        a["gen_ai.output.messages"] = _messages("assistant", s.output)
    return a


def _llm_attrs(run: Run, s: Span) -> dict[str, Any]:
    a: dict[str, Any] = {"gen_ai.operation.name": "chat"}
    if s.provider:
        a["gen_ai.provider.name"] = s.provider
    a["gen_ai.request.model"] = s.model
    if s.status != "error":
        a["gen_ai.response.model"] = s.model
    if s.agent:
        a["gen_ai.agent.name"] = s.agent
    if run.session_id:
        a["gen_ai.conversation.id"] = run.session_id
    if s.input_tokens is not None:
        a["gen_ai.usage.input_tokens"] = s.input_tokens
    if s.output_tokens is not None:
        a["gen_ai.usage.output_tokens"] = s.output_tokens
    if s.finish_reason:
        a["gen_ai.response.finish_reasons"] = [s.finish_reason]
    if s.input is not None:
        a["gen_ai.input.messages"] = _messages("user", s.input)
    if s.output is not None:
        a["gen_ai.output.messages"] = _messages("assistant", s.output)
    return a


def _tool_attrs(run: Run, s: Span) -> dict[str, Any]:
    # Retrievers are tools over a data store in the GenAI conventions; handoffs are transfer_to_* tools.
    a: dict[str, Any] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": s.tool,
        "gen_ai.tool.type": "datastore" if s.kind == "retriever" else "function",
        "gen_ai.tool.call.id": _call_id(s),
    }
    if s.agent:
        a["gen_ai.agent.name"] = s.agent
    if s.input is not None:
        a["gen_ai.tool.call.arguments"] = s.input
    if s.output is not None:
        a["gen_ai.tool.call.result"] = s.output
    return a


def _plain_attrs(run: Run, s: Span) -> dict[str, Any]:
    # No GenAI operation for people, guardrails and wrappers: the app records what it has.
    a: dict[str, Any] = {}
    if s.input is not None:
        a["input"] = s.input
    if s.output is not None:
        a["output"] = s.output
    return a


_GENAI_ATTRS: Final[dict[str, Callable[[Run, Span], dict[str, Any]]]] = {
    "agent": _agent_attrs,
    "llm": _llm_attrs,
    "tool": _tool_attrs,
    "retriever": _tool_attrs,
    "handoff": _tool_attrs,
}


def genai_attributes(run: Run, span: Span) -> dict[str, Any]:
    """Flat GenAI semantic-convention attributes for one span (typed values, not yet OTLP-wrapped)."""
    a = _GENAI_ATTRS.get(span.kind, _plain_attrs)(run, span)
    if span.error_type:
        a["error.type"] = span.error_type
    if span.attrs:
        a.update(span.attrs)
    return a


def _exception_attrs(span: Span) -> dict[str, Any]:
    return {
        "exception.type": span.error_type or "Exception",
        "exception.message": span.error_message or "",
        "exception.escaped": False,
    }


# Shared by the OpenTelemetry-shaped writers: the SDK resource every exporter adds, and status names.
_RESOURCE_BASE: Final = {
    "telemetry.sdk.language": "python",
    "telemetry.sdk.name": "opentelemetry",
    "telemetry.sdk.version": "1.37.0",
}
_SDK_STATUS: Final = {"ok": "OK", "error": "ERROR", "unset": "UNSET"}
