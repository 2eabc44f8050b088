"""Pieces every OpenTelemetry-shaped loader shares: typed values, status, events, one row."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import orjson

from ..normalize import as_int, as_text, norm_id, to_ns
from ..semconv import map_attributes
from ..semconv_messages import LINE_MARKS as INDEXED_MESSAGE_MARKS
from ..semconv_pydantic_ai import EVENT_NAME as PYDANTIC_AI_EVENT_MARK
from .base import duplicate_detail, exact_numbers, find_duplicate_key, may_have_duplicate_keys


class RecordError(ValueError):
    """A record that cannot become a row; carries its quarantine reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def field_value(reason: str, label: str, convert: Callable[..., Any], value: Any, *args: Any) -> Any:
    """Convert one field, turning a ``ValueError`` into a :class:`RecordError` naming the field."""
    try:
        return convert(value, *args)
    except RecordError:
        raise
    except ValueError as exc:
        raise RecordError(reason, f"`{label}`: {exc}") from None


def trace_id(value: Any, label: str = "trace id") -> str | None:
    return field_value("invalid-id", label, norm_id, value, "trace")


def span_id(value: Any, label: str = "span id") -> str | None:
    return field_value("invalid-id", label, norm_id, value, "span")


def json_text(text: str | bytes, label: str) -> Any:
    """JSON held in a string field (MLflow attributes, a Langfuse ``metadata`` string, a ClickHouse
    map, a SQL JSON column), parsed with the same duplicate-key check as a record: a repeated key
    is ``duplicate-key``. Text that is not JSON raises ``orjson.JSONDecodeError`` as before."""
    value = orjson.loads(text)
    if may_have_duplicate_keys(text, value):
        try:
            found = find_duplicate_key(text)
        except RecursionError:
            raise RecordError("too-deep", f"`{label}`: the JSON text nests too deep to check it for duplicate keys") from None
        if found is not None:
            raise RecordError("duplicate-key", f"`{label}`: " + duplicate_detail(found[0], found[1], "JSON text in a field"))
    return exact_numbers(text, value)


def id_text(value: Any, label: str) -> str | None:
    """An id kept as written (a run or message id that is not hex): text or a whole number, else
    ``invalid-id`` rather than a list or an object turned into an id."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise RecordError("invalid-id", f"`{label}`: an id must be a string or an integer, found {type(value).__name__} {value!r:.60}")


def time_ns(value: Any, label: str) -> int | None:
    return field_value("invalid-time", label, to_ns, value)


# --- OTLP/JSON typed values ---------------------------------------------------------------------

def any_value(value: Any) -> Any:
    """Decode an OTLP ``AnyValue`` ({stringValue|intValue|doubleValue|boolValue|arrayValue|kvlistValue|bytesValue})."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        raw = value["intValue"]
        if not isinstance(raw, str | int):
            return raw
        try:  # proto3 JSON writes an int64 as a decimal string; anything else is no whole number
            return as_int(raw)
        except ValueError as exc:
            raise RecordError("invalid-attribute", f"`intValue`: {exc} (OTLP/JSON writes an int64 as a decimal "
                              "string, e.g. \"200\")") from None
    if "doubleValue" in value:
        return value["doubleValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "arrayValue" in value:
        return [any_value(v) for v in _values_of(value["arrayValue"], "arrayValue")]
    if "kvlistValue" in value:
        return key_values(_values_of(value["kvlistValue"], "kvlistValue"))
    if "bytesValue" in value:
        raw = value["bytesValue"]
        try:
            return base64.b64decode(raw).hex() if isinstance(raw, str) else raw
        except ValueError:
            return raw
    if not value:
        return None
    return value


def _values_of(container: Any, kind: str) -> list[Any]:
    """The ``values`` list of an OTLP ``arrayValue``/``kvlistValue`` (absent or null: empty)."""
    if container is None:
        return []
    values = container.get("values") if isinstance(container, dict) else container
    if values is None:
        return []
    if not isinstance(values, list):
        raise RecordError("invalid-attribute", f"an OTLP {kind} must be {{\"values\": [...]}}, found "
                          f"{type(container).__name__} {str(container)[:60]!r}. Hint: the exporter wrote a "
                          "malformed AnyValue")
    return values


def key_values(items: Any, limit: int | None = None) -> dict[str, Any]:
    """Decode an OTLP attribute list ``[{key, value}]`` into a flat dict; over ``limit`` entries is
    ``too-many-attributes`` before any is decoded (a million of them would cost seconds)."""
    if limit is not None and isinstance(items, list | dict) and len(items) > limit:
        raise RecordError("too-many-attributes",
                          f"the record has {len(items):,} attributes, over max_attributes={limit:,}; "
                          "Hint: raise Limits.max_attributes if the record is genuine")
    if isinstance(items, dict):  # some writers emit a plain object already
        return dict(items)
    if items.__class__ is list:
        try:  # every item a {key, value} object: one comprehension; else the loop below says which is not
            return {str(item["key"]): (value["stringValue"] if (value := item.get("value")).__class__ is dict
                                       and "stringValue" in value else any_value(value))
                    for item in items if (item.__class__ is dict and "key" in item) or _not_an_item()}
        except _NotAnItem:
            pass
    out: dict[str, Any] = {}
    for item in items or []:
        if isinstance(item, dict) and "key" in item:
            value = item.get("value")
            # A string value, the commonest, decoded here rather than by a call (any_value's first case).
            out[str(item["key"])] = value["stringValue"] if value.__class__ is dict and "stringValue" in value \
                else any_value(value)
        else:
            raise RecordError("invalid-attribute", f"expected attributes as {{key, value}} objects, found {item!r:.80}")
    return out


class _NotAnItem(Exception):
    """Leaves key_values' comprehension for its loop, which reports the bad item."""


def _not_an_item() -> bool:
    raise _NotAnItem


# --- status and kind -------------------------------------------------------------------------------

_STATUS = {
    0: "unset", 1: "ok", 2: "error",
    "STATUS_CODE_UNSET": "unset", "STATUS_CODE_OK": "ok", "STATUS_CODE_ERROR": "error",
    "UNSET": "unset", "OK": "ok", "ERROR": "error",
    "unset": "unset", "ok": "ok", "error": "error",
    "StatusCode.UNSET": "unset", "StatusCode.OK": "ok", "StatusCode.ERROR": "error",
}


def status_of(code: Any) -> str:
    if code is None or code == "":
        return "unset"
    try:
        return _STATUS[code]
    except (KeyError, TypeError):
        raise RecordError("invalid-status", f"expected a status code of 0/1/2, UNSET/OK/ERROR, found {code!r:.40}") from None


_SPAN_KIND_NAMES = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def otel_span_kind(kind: Any) -> str | None:
    """The OTel span kind as a plain name (INTERNAL, SERVER, ...), kept in attributes."""
    if kind.__class__ is str:
        named = _KIND_TEXTS.get(kind)
        if named is None:
            named = _kind_text(kind)
            if len(_KIND_TEXTS) < 1024:  # a file has a handful of spellings; a hostile one many
                _KIND_TEXTS[kind] = named
        return named
    if kind is None:
        return None
    if isinstance(kind, int):
        return _SPAN_KIND_NAMES.get(kind, str(kind))
    return _kind_text(str(kind))


#: Kind spellings already read (``"SpanKind.INTERNAL"`` -> ``"INTERNAL"``).
_KIND_TEXTS: dict[str, str] = {}


def _kind_text(text: str) -> str:
    for prefix in ("SPAN_KIND_", "SpanKind."):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text.upper()


# --- events ----------------------------------------------------------------------------------

#: The earlier GenAI semantic conventions carried a model call's content in span events rather than
#: attributes: gen_ai.content.prompt with gen_ai.prompt, gen_ai.content.completion with
#: gen_ai.completion. Semantic Kernel's model diagnostics (semantic_kernel/utils/telemetry/
#: model_diagnostics: PROMPT_EVENT / PROMPT_EVENT_PROMPT, COMPLETION_EVENT / COMPLETION_EVENT_COMPLETION)
#: and OpenLIT (semcov GEN_AI_CONTENT_PROMPT_EVENT / GEN_AI_CONTENT_PROMPT, ..._COMPLETION_...) write
#: them. Strands Agents (strands-agents/sdk-python src/strands/telemetry/tracer.py) adds to its agent,
#: cycle, model and tool spans one event a message sent, named by its role (_add_event_messages:
#: gen_ai.user.message, gen_ai.assistant.message, gen_ai.tool.message when it holds a toolResult, and
#: start_tool_call_span's gen_ai.tool.message of the tool's input), each with the content blocks as
#: JSON in ``content``, and one gen_ai.choice with the answer, the tool's result content or the final
#: text in ``message`` (a cycle's also has the tool results it ran in ``tool.result``: its output, the
#: message being the model span's output already) (end_model_invoke_span, end_tool_call_span, end_event_loop_cycle_span,
#: end_agent_span); with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental (the releases that
#: read it) it adds gen_ai.client.inference.operation.details events holding gen_ai.input.messages or
#: gen_ai.output.messages instead. Event name -> (column, attribute) pairs; a column is filled only
#: when no attribute and no earlier event filled it, except that the message events (MESSAGE_EVENTS)
#: are read together: one is the span's input as written, several are the conversation in order.
CONTENT_EVENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "gen_ai.content.prompt": (("input", "gen_ai.prompt"),),
    "gen_ai.content.completion": (("output", "gen_ai.completion"),),
    "gen_ai.user.message": (("input", "content"),),
    "gen_ai.assistant.message": (("input", "content"),),
    "gen_ai.tool.message": (("input", "content"),),
    "gen_ai.choice": (("output", "tool.result"), ("output", "message")),
    "gen_ai.client.inference.operation.details": (("input", "gen_ai.input.messages"), ("output", "gen_ai.output.messages")),
}

#: The message events and the role each names (Strands: one event a message sent to the model, the
#: event named by the message's role, or gen_ai.tool.message for one holding a toolResult).
MESSAGE_EVENTS: dict[str, str] = {"gen_ai.user.message": "user", "gen_ai.assistant.message": "assistant",
                                  "gen_ai.tool.message": "tool"}

#: Events that fill columns beyond the error ones (the vectorised SQL hands a line holding one over).
COLUMN_EVENTS: tuple[str, ...] = ("data.input", "data.output", "metadata", *CONTENT_EVENTS)


def apply_events(events: list[dict[str, Any]], row: dict[str, Any], rest: dict[str, Any]) -> None:
    """Exception events fill error columns; Monocle's data.input/data.output/metadata fill I/O and
    tokens, the GenAI content events (CONTENT_EVENTS) I/O; all events are kept under ``@events`` so
    nothing is lost."""
    if not events:
        return
    messages: list[tuple[str, Any]] = []
    for event in events:
        name = event.get("name")
        attrs = event.get("attributes") or {}
        if name == "exception":
            if row.get("error_type") is None:
                row["error_type"] = as_text(attrs.get("exception.type"))
            if row.get("error_message") is None:
                row["error_message"] = as_text(attrs.get("exception.message"))
        elif name == "data.input" and row.get("input") is None:
            row["input"] = as_text(attrs.get("input", attrs or None))
        elif name == "data.output" and row.get("output") is None:
            row["output"] = as_text(attrs.get("response", attrs.get("output", attrs or None)))
        elif name in MESSAGE_EVENTS:
            if attrs.get("content") is not None:
                messages.append((as_text(attrs.get("role")) or MESSAGE_EVENTS[name], attrs["content"]))
        elif name in CONTENT_EVENTS:
            for column, key in CONTENT_EVENTS[name]:
                if row.get(column) is None and attrs.get(key) is not None:
                    row[column] = as_text(attrs[key])
        elif name == "metadata":
            if row.get("input_tokens") is None and "prompt_tokens" in attrs:
                row["input_tokens"] = field_value("invalid-value", "metadata.prompt_tokens", as_int, attrs["prompt_tokens"])
            if row.get("output_tokens") is None and "completion_tokens" in attrs:
                row["output_tokens"] = field_value("invalid-value", "metadata.completion_tokens", as_int, attrs["completion_tokens"])
    if messages and row.get("input") is None:
        row["input"] = as_text(messages[0][1]) if len(messages) == 1 else _conversation(messages)
    rest["@events"] = events


def _conversation(messages: list[tuple[str, Any]]) -> str | None:
    """Several message events as one input: ``[{"role", "content"}]`` in the order written (Strands'
    own Message shape), each content the JSON its event holds (Strands serialises the content blocks)
    or, when that is not JSON, the text as written."""
    out = []
    for role, content in messages:
        if isinstance(content, str):
            try:
                content = json_text(content, "content")
            except (orjson.JSONDecodeError, RecordError):
                pass  # kept as the text it is
        out.append({"role": role, "content": content})
    return as_text(out)


def finish_row(row: dict[str, Any], attrs: dict[str, Any], events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Map conventions, events and status into ``row``; returns the leftover attributes."""
    try:
        rest = map_attributes(attrs, row)
    except ValueError as exc:
        raise RecordError("invalid-value", str(exc)) from None
    apply_events(events or [], row, rest)
    if row.get("status") == "error" and row.get("error_type") is None and attrs.get("http.status_code") is not None:
        row["error_type"] = as_text(attrs.get("http.status_code"))
    if row.get("kind") == "tool" and isinstance(row.get("name"), str) and row["name"].startswith(AGENTS_SDK_HANDOFF_NAME):
        _agents_sdk_handoff(attrs, row)
    return rest


#: OpenInference's OpenAI Agents SDK processor (Arize-ai/openinference
#: python/instrumentation/openinference-instrumentation-openai-agents/.../_processor.py): on_trace_start
#: opens the SDK trace's own span, named by the trace's workflow name ("Agent workflow" unless the run
#: names one: openai-agents src/agents/run.py RunConfig.workflow_name), with the span kind AGENT and
#: nothing else; every SDK span it writes in on_span_start carries ``llm.system`` beside its kind. That
#: span holds the run's agents; it is none of them. Its instrumentation scope:
AGENTS_SDK_SCOPE = "openinference.instrumentation.openai_agents"
#: The SDK's default workflow name: the trace span's name where no scope says who wrote it (a Phoenix export).
AGENTS_SDK_DEFAULT_WORKFLOW = "Agent workflow"
#: OpenInference's span of an Agents SDK handoff: HandoffSpanData has no name, so _get_span_name
#: names it ``f"handoff to {to_agent}"`` (once the SDK set to_agent, after on_invoke_handoff returned),
#: and _get_span_kind gives it the kind TOOL; it carries llm.system "openai" (on_span_start) and none of
#: a function span's keys (tool.name: _get_attributes_from_function_span_data). It is the handoff.
AGENTS_SDK_HANDOFF_NAME = "handoff to "
#: Texts that send an OTLP/JSON or OTel SDK JSON line to the per-record loader (the vectorised readers
#: hand such lines over): the rules below read the instrumentation scope, a span's name beside its
#: keys (the SDK's default workflow name, a handoff's name), and semconv_messages rebuilds a model
#: call's messages from OpenLLMetry's indexed keys, semconv_pydantic_ai from pydantic-ai's ``events``
#: attribute, none of which the vectorised SQL maps.
PER_RECORD_MARKS: tuple[str, ...] = (AGENTS_SDK_SCOPE, AGENTS_SDK_DEFAULT_WORKFLOW, AGENTS_SDK_HANDOFF_NAME,
                                     *INDEXED_MESSAGE_MARKS, PYDANTIC_AI_EVENT_MARK)


def _agents_sdk_handoff(attrs: dict[str, Any], row: dict[str, Any]) -> None:
    """OpenInference's TOOL span of an Agents SDK handoff (AGENTS_SDK_HANDOFF_NAME) as a handoff span."""
    target = row["name"][len(AGENTS_SDK_HANDOFF_NAME):].strip()
    if target and attrs.get("llm.system") == "openai" and "tool.name" not in attrs \
            and str(attrs.get("openinference.span.kind", "")).upper() == "TOOL":
        row["kind"], row["handoff_to"] = "handoff", target
        row.pop("tool", None)


def agents_sdk_trace_span(attrs: dict[str, Any], scope_name: Any) -> bool:
    """Whether an AGENT span is OpenInference's span of an OpenAI Agents SDK *trace* (the workflow),
    not of an agent: its scope is the openai_agents instrumentation and it has no ``llm.system``."""
    return scope_name == AGENTS_SDK_SCOPE and "llm.system" not in attrs


def unscoped_agents_sdk_trace_span(attrs: dict[str, Any], row: dict[str, Any]) -> bool:
    """The same span read where no scope is kept (OpenInference / Phoenix span exports): a root AGENT
    span named by the SDK's default workflow whose only attribute is its span kind."""
    return row.get("name") == AGENTS_SDK_DEFAULT_WORKFLOW and kind_only_root(attrs, row)


def kind_only_root(attrs: dict[str, Any], row: dict[str, Any]) -> bool:
    """A root span whose only attribute is its span kind: the shape of the SDK trace's span, whatever
    the workflow is named; under another name it is that span only when the agents under it carry
    ``llm.system`` (read once the file is read: openinference.py's _Workflows)."""
    return row.get("parent_id") is None and set(attrs) <= {"openinference.span.kind"}


def as_run_container(row: dict[str, Any]) -> None:
    """Make an agent span the run's container: a chain owned by no agent."""
    row["kind"], row["agent"] = "chain", None
