"""Logfire's OpenAI Agents SDK spans: what each one is, read from the message template Logfire names it by.

``logfire.instrument_openai_agents()`` (pydantic/logfire logfire/_internal/integrations/openai_agents.py;
the route Langfuse's OpenAI Agents cookbook took before OpenInference's, exporting over OTLP) turns each
Agents SDK span into a Logfire span whose name is its message template, with the span data's fields as
plain attributes and nothing that names a kind (no gen_ai.operation.name, no openinference.span.kind).
The templates and fields, as pydantic/logfire tests/otel_integrations/test_openai_agents.py snapshots
them across releases:

* the SDK trace: ``OpenAI Agents trace: {name}`` (earlier ``OpenAI Agents trace {name}``), ``name`` the
  workflow: the run's container, a chain owned by no agent;
* an agent's run (AgentSpanData): ``Agent run: {name!r}`` (earlier ``Agent {name}``) with ``name``,
  ``handoffs``, ``tools``, ``output_type``;
* a function tool's call (FunctionSpanData): ``Function: {name}`` (earlier ``Function {name}``) with
  ``name`` the tool, ``input``, ``output``, ``mcp_data``;
* a handoff (HandoffSpanData): ``Handoff: {from_agent} → {to_agent}`` (earlier with ``->``, or no colon)
  with ``from_agent`` and ``to_agent``;
* a guardrail (GuardrailSpanData): ``Guardrail {name!r} {triggered=}`` (earlier ``Guardrail {name}
  triggered={triggered}``) with ``name`` and ``triggered`` (kept: conventions pauses reads a tripwire
  from a guardrail's ``triggered: true``).

Loaded as they came, they were spans of unknown kind (a Langfuse SPAN: a chain) with no agent, tool,
handoff target, input or output, so no tool or delegation rule saw them. The model calls (``Responses
API with {gen_ai.request.model!r}``, ``Chat completion with ...``) carry gen_ai.operation.name and are
model calls already; their ``events`` attribute is read by semconv_pydantic_ai. The tables below join
semconv's KIND_BY_EVIDENCE and CONDITIONAL_COLUMNS, which the vectorised SQL reads too.
"""

from __future__ import annotations

from typing import Final

#: The attribute Logfire writes a span's message template in.
TEMPLATE: Final = "logfire.msg_template"

_TRACE: Final = ("OpenAI Agents trace: {name}", "OpenAI Agents trace {name}")
_AGENT: Final = ("Agent run: {name!r}", "Agent {name}")
_FUNCTION: Final = ("Function: {name}", "Function {name}")
_HANDOFF: Final = ("Handoff: {from_agent} → {to_agent}", "Handoff: {from_agent} -> {to_agent}",
                   "Handoff {from_agent} -> {to_agent}")  # fmt: skip
_GUARDRAIL: Final = ("Guardrail {name!r} {triggered=}", "Guardrail {name} triggered={triggered}")

#: (kind, conditions) entries for semconv.KIND_BY_EVIDENCE.
KINDS: Final[tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]] = tuple(
    (kind, (("equals", TEMPLATE, template),))
    for kind, templates in (
        ("chain", _TRACE),
        ("agent", _AGENT),
        ("tool", _FUNCTION),
        ("handoff", _HANDOFF),
        ("guardrail", _GUARDRAIL),
    )  # fmt: skip
    for template in templates
)

#: (column, key, conditions) entries for semconv.CONDITIONAL_COLUMNS: the span data's fields, by template.
COLUMNS: Final[tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...]] = tuple(
    (column, key, (("equals", TEMPLATE, template),))
    for column, key, templates in (
        ("agent", "name", _AGENT),
        ("tool", "name", _FUNCTION),
        ("input", "input", _FUNCTION),
        ("output", "output", _FUNCTION),
        ("handoff_to", "to_agent", _HANDOFF),
    )  # fmt: skip
    for template in templates
)
