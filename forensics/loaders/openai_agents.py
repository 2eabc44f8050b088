"""The OpenAI Agents SDK's own trace export: ``{"object": "trace", ...}`` and
``{"object": "trace.span", ...}`` records, as the SDK's exporters and processors write them
(``Trace.export()`` / ``Span.export()``; schema from openai-agents-python
``src/agents/tracing/spans.py``, ``traces.py``, ``span_data.py``).

Framings: one object, a JSON array of mixed traces and spans, ``{"traces": [...], "spans": [...]}``,
the backend exporter's ``{"data": [...]}`` payload, or JSON-lines.

A trace record has no times, so it is no span of its own: it is folded into its spans (counted
as merged) — ``group_id`` (the SDK's conversation grouping) becomes the session, and
``workflow_name``/``metadata`` go to the root spans' ``@trace`` attribute. A trace none of whose
spans is in the file is quarantined (``trace-without-spans``) rather than dropped.

``span_data.type`` gives the kind: agent (``agent`` = its name), function (tool), generation and
response (llm; usage tokens), handoff (``from_agent`` owns it, ``handoff_to`` = ``to_agent``),
guardrail (``triggered`` kept in attributes: a tripped guardrail did its job, the span is ok),
custom (chain, its ``data`` the output; the SDK's task/turn spans say ``sdk_span_type``, a turn names
its agent),
mcp_tools (a chain named ``mcp_list_tools``: the listing of an MCP server's tools, ``MCPListToolsSpanData``
``{server, result}`` written by ``MCPUtil._list_tools_with_span`` before a turn; no tool call), transcription/speech
(llm), speech_group (chain).
``error: {message, data}`` makes the span an error; ``data.error`` (the failure a message such as
"Error running tool (non-fatal)" wraps) is appended to the message (see :func:`error_text`);
``data.type`` is the error_type, else the class ``data.error`` names at its start (see :func:`error_class`).

One span written twice: the SDK calls a processor's ``on_span_start`` and ``on_span_end`` with the same
``Span`` (openai-agents-python ``src/agents/tracing/processor_interface.py``; the interface's own example
keeps the span at start), so a processor that writes ``span.export()`` in both hooks leaves a record with
``ended_at`` null and, later, the finished record of the same id. The two are one span: the finished
record is the row and the start record is counted as merged (a start record is held only until its end
arrives; one whose span never ended is the row, with no end time). A trace written by both
``on_trace_start`` and ``on_trace_end`` is one trace too: its records' fields combine (the later's
non-null ones win) and the earlier record is counted as merged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ..normalize import as_int, as_text
from .base import Loader, Sample, Source, SpanSink
from .otel_common import RecordError, field_value, span_id, time_ns, trace_id

SPAN_KINDS = {
    "agent": "agent",
    "function": "tool",
    "generation": "llm",
    "response": "llm",
    "handoff": "handoff",
    "guardrail": "guardrail",
    "custom": "chain",
    "mcp_tools": "chain",
    "transcription": "llm",
    "speech": "llm",
    "speech_group": "chain",
    "task": "chain",
    "turn": "chain",
}

_SPAN_HELD = frozenset({"object", "id", "trace_id", "parent_id", "started_at", "ended_at", "span_data", "error"})
_DATA_HELD = frozenset({"type", "name", "input", "output", "model", "usage", "from_agent", "to_agent", "server", "result"})


class OpenAIAgentsLoader(Loader):
    name = "openai-agents"
    description = "OpenAI Agents SDK native trace export (`object`: trace / trace.span with span_data), JSON or JSONL"
    sniffs = "objects with `object` = `trace` or `trace.span`, or {traces, spans} / {data} of them"

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if isinstance(first, dict):
            if first.get("object") in ("trace", "trace.span"):
                return 1.0
            for key in ("traces", "spans", "data"):
                items = first.get(key)
                if isinstance(items, list) and items and isinstance(items[0], dict) and items[0].get("object") in ("trace", "trace.span"):
                    return 1.0
        head = sample.text[:8192]
        if '"object": "trace.span"' in head or '"object":"trace.span"' in head:
            return 0.8
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        traces: dict[str, tuple[int, dict[str, Any]]] = {}
        waiting: list[tuple[int, dict[str, Any]]] = []
        emitted: set[str] = set()
        halves = _StartEndPairs()
        for line, item in _items(source):
            kind = item.get("object") if isinstance(item, dict) else None
            if kind == "trace" and isinstance(item, dict):
                try:
                    tid = trace_id(item.get("id"), "id")
                except RecordError as exc:
                    sink.quarantine(line, exc.reason, exc.detail, item)
                    continue
                if tid is None:
                    sink.quarantine(line, "missing-run-id", "expected a trace `id`, found none", item)
                    continue
                if tid in traces:  # on_trace_start's and on_trace_end's record of one trace (see the docstring)
                    earlier_line, earlier = traces[tid]
                    sink.merged(earlier_line)
                    item = {**earlier, **{key: value for key, value in item.items() if value is not None}}
                traces[tid] = (line, item)
            elif kind == "trace.span" and isinstance(item, dict):
                # The SDK exports a trace before its spans: stream those; hold the few that come first.
                try:
                    known = trace_id(item.get("trace_id"), "trace_id") in traces
                except RecordError:
                    known = True  # quarantined now by span_row, with its reason
                if not known:
                    waiting.append((line, item))
                    continue
                for ready_line, ready in halves.offer(line, item, sink):
                    self._emit(ready, ready_line, traces, emitted, sink)
            else:
                sink.quarantine(line, "not-an-agents-sdk-record",
                                "expected an Agents SDK record with `object` = `trace` or `trace.span`, "
                                f"found {_describe(item)}", item)
        for line, span in waiting:
            for ready_line, ready in halves.offer(line, span, sink):
                self._emit(ready, ready_line, traces, emitted, sink)
        for line, span in halves.never_ended():
            self._emit(span, line, traces, emitted, sink)
        for tid, (line, trace) in traces.items():
            if tid in emitted:
                sink.merged(line)
            else:
                sink.quarantine(line, "trace-without-spans",
                                f"trace {tid} ({trace.get('workflow_name')!r}) has no readable span in this file; a trace record "
                                "alone has no times and no work to show. Hint: export the spans with their trace", trace)


    @staticmethod
    def _emit(span: dict[str, Any], line: int, traces: dict[str, tuple[int, dict[str, Any]]], emitted: set[str],
              sink: SpanSink) -> None:
        try:
            row = span_row(span, traces)
        except RecordError as exc:
            sink.quarantine(line, exc.reason, exc.detail, span)
            return
        if row["run_id"]:
            emitted.add(row["run_id"])
        sink.add(row, line)


class _StartEndPairs:
    """The start and end records of one span (a processor writing ``span.export()`` in ``on_span_start``
    and ``on_span_end``) become one row: a start record (``ended_at`` null) waits for its end record."""

    def __init__(self) -> None:
        self._open: dict[tuple[Any, Any], tuple[int, dict[str, Any]]] = {}
        self._ended: set[tuple[Any, Any]] = set()

    def offer(self, line: int, span: dict[str, Any], sink: SpanSink) -> list[tuple[int, dict[str, Any]]]:
        """The records ready to become rows now (none while a start record waits for its end)."""
        key = (span.get("trace_id"), span.get("id"))
        if not isinstance(key[0], str) or not isinstance(key[1], str):
            return [(line, span)]  # span_row quarantines it with its reason
        if span.get("ended_at") is None:
            if key in self._ended:
                sink.merged(line)  # the end record came first
                return []
            if key in self._open:
                return [(line, span)]  # a second start record is a duplicate span id, not a pair
            self._open[key] = (line, span)
            return []
        self._ended.add(key)
        start = self._open.pop(key, None)
        if start is None:
            return [(line, span)]
        sink.merged(start[0])
        if span.get("started_at") is None:
            span = {**span, "started_at": start[1].get("started_at")}
        return [(line, span)]

    def never_ended(self) -> list[tuple[int, dict[str, Any]]]:
        """Start records whose span never ended: each is its span's row, with no end time."""
        held = sorted(self._open.values(), key=lambda pair: pair[0])
        self._open.clear()
        return held


def _items(source: Source) -> Iterator[tuple[int, Any]]:
    """Every trace/span record, whatever the framing."""
    for line, record in source.records():
        if isinstance(record, dict) and "object" not in record and any(
            isinstance(record.get(k), list) for k in ("traces", "spans", "data")
        ):
            for key in ("traces", "spans", "data"):
                for item in record.get(key) or []:
                    yield line, item
        else:
            yield line, record


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"an object with `object` = {value.get('object')!r} and keys " + ", ".join(sorted(value)[:8])
    return type(value).__name__


def span_row(span: dict[str, Any], traces: dict[str, tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    run = trace_id(span.get("trace_id"), "trace_id")
    own = span_id(span.get("id"), "id")
    if own is None:
        raise RecordError("missing-span-id", "expected a span `id` (span_<24 hex>), found none")
    data = span.get("span_data")
    if not isinstance(data, dict):
        raise RecordError("missing-span-data", f"expected `span_data` to be an object with a `type`, found {type(data).__name__}")
    type_ = str(data.get("type") or "")
    if type_ == "custom" and isinstance(data.get("data"), dict) and data["data"].get("sdk_span_type"):
        type_ = str(data["data"]["sdk_span_type"])  # the SDK's task/turn spans, exported as custom
    kind = SPAN_KINDS.get(type_, "unknown")
    row: dict[str, Any] = {
        "run_id": run,
        "span_id": own,
        "parent_id": span_id(span.get("parent_id"), "parent_id"),
        "name": as_text(data.get("name")) or type_ or None,
        "kind": kind,
        "start_time": time_ns(span.get("started_at"), "started_at"),
        "end_time": time_ns(span.get("ended_at"), "ended_at"),
        "input": as_text(data.get("input")),
        "output": as_text(data.get("output")),
        "model": as_text(data.get("model")),
    }
    _by_type(type_, data, row)
    error = span.get("error")
    if error not in (None, {}, ""):
        row["status"] = "error"
        if isinstance(error, dict):
            details = error.get("data")
            row["error_message"] = error_text(error.get("message"), details)
            if isinstance(details, dict):
                row["error_type"] = as_text(details.get("type") or details.get("error_type")) or error_class(details.get("error"))
        else:
            row["error_message"] = as_text(error)
    else:
        row["status"] = "ok" if row["end_time"] is not None else "unset"
    attrs: dict[str, Any] = {k: v for k, v in span.items() if k not in _SPAN_HELD and v is not None}
    attrs.update({k: v for k, v in data.items() if k not in _DATA_HELD and v is not None})
    if isinstance(error, dict) and error.get("data") is not None:
        attrs["@error_data"] = error["data"]
    if kind == "unknown":
        attrs["@span_type"] = data.get("type")
    trace = traces.get(run) if run else None
    if trace is not None:
        record = trace[1]
        row["session_id"] = as_text(record.get("group_id"))
        if row["parent_id"] is None:
            extra = {k: v for k, v in record.items() if k not in ("object", "id") and v is not None}
            if extra:
                attrs["@trace"] = extra
    row["attributes"] = attrs
    return row


#: An error's text that starts with its class: JavaScript's ``Error.prototype.toString()``
#: (``"TypeError: fetch failed"``), which the Agents SDK for TypeScript writes as ``data.error``
#: of a failed tool (openai/openai-agents-js packages/agents-core/src/tool.ts: ``error:
#: error.toString()``), or a class name alone. ``Error code: 429 - ...`` (openai-python's
#: APIStatusError text, which Python's ``str(e)`` gives) names no class: its first word is followed
#: by a space, not a colon.
_ERROR_CLASS = re.compile(r"^((?:[A-Za-z_$][\w$]*\.)*(?:[A-Za-z_$][\w$]*)?(?:Error|Exception))(?::\s|$)")


def error_class(wrapped: Any) -> str | None:
    """The class a wrapped error's text names at its start (see :data:`_ERROR_CLASS`), if any."""
    found = _ERROR_CLASS.match(wrapped) if isinstance(wrapped, str) else None
    return found[1] if found else None


def error_text(message: Any, details: Any) -> str | None:
    """A ``SpanError``'s message, followed by the failure it wraps where its ``data`` holds one.

    The SDK's messages name the place, not the failure: ``"Error running tool (non-fatal)"`` and
    ``"Error running tool"`` carry ``data={"tool_name", "error": str(e)}`` (src/agents/tool.py
    function_tool, src/agents/_run_impl.py), ``"Error getting response"`` ``{"error": str(e)}``, or
    the exception's class when data is not traced (src/agents/models/openai_responses.py), and
    ``"Error in agent run"`` ``{"error": str(e)}`` (src/agents/run.py). The failure itself (``Error
    code: 429 ...``, a timeout, ``context_length_exceeded``) is in ``data.error``: it joins the
    message, so the rules that read error text (HTTP status, context window) see it."""
    text = as_text(message)
    wrapped = as_text(details.get("error")) if isinstance(details, dict) else None
    if not wrapped or wrapped == text:
        return text
    return f"{text}: {wrapped}" if text else wrapped


def _agent(data: dict[str, Any], row: dict[str, Any]) -> None:
    row["agent"] = row["name"]


def _function(data: dict[str, Any], row: dict[str, Any]) -> None:
    row["tool"] = row["name"]


def _handoff(data: dict[str, Any], row: dict[str, Any]) -> None:
    row["name"] = "handoff"
    row["agent"] = as_text(data.get("from_agent"))  # the agent handing off owns the span
    row["handoff_to"] = as_text(data.get("to_agent"))


def _custom(data: dict[str, Any], row: dict[str, Any]) -> None:
    # An app's own span: custom_span(name, data) exports {"type": "custom", "name", "data"}
    # (src/agents/tracing/span_data.py CustomSpanData.export). Its data is what the app recorded
    # there (a message it sent, the run's final output): the span's output.
    inner = data.get("data")
    if row["output"] is None and isinstance(inner, dict) and inner:
        row["output"] = as_text(inner)


def _turn(data: dict[str, Any], row: dict[str, Any]) -> None:
    inner = data.get("data")
    row["agent"] = as_text(inner.get("agent_name")) if isinstance(inner, dict) else None


def _mcp_tools(data: dict[str, Any], row: dict[str, Any]) -> None:
    # src/agents/mcp/util.py MCPUtil._list_tools_with_span: mcp_tools_span(server=...) around
    # server.list_tools(), span_data.result = the tool names. A listing, not a call: no tool.
    row["name"] = "mcp_list_tools"
    row["input"] = as_text(data.get("server"))
    row["output"] = as_text(data.get("result"))


#: What each span_data type says beyond the common fields.
_TYPE_FIELDS: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    "agent": _agent,
    "function": _function,
    "handoff": _handoff,
    "turn": _turn,
    "custom": _custom,
    "mcp_tools": _mcp_tools,
}


def _by_type(type_: str, data: dict[str, Any], row: dict[str, Any]) -> None:
    fill = _TYPE_FIELDS.get(type_)
    if fill is not None:
        fill(data, row)
    usage = data.get("usage")
    if isinstance(usage, dict):
        row["input_tokens"] = field_value("invalid-value", "usage.input_tokens", as_int,
                                          usage.get("input_tokens", usage.get("prompt_tokens")))
        row["output_tokens"] = field_value("invalid-value", "usage.output_tokens", as_int,
                                           usage.get("output_tokens", usage.get("completion_tokens")))
