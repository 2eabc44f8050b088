"""Writers: the neutral `Run`/`Span` model serialised into the real shapes of each log format.

Each shape follows the public samples in ``../shared/formats/`` (see SOURCES.md there) and FIELDS.md:

* ``otlp-json``: OTLP/JSON ``ExportTraceServiceRequest`` (resourceSpans/scopeSpans/spans, hex ids,
  ns-epoch decimal strings, typed attribute values, GenAI semantic-convention keys, exception events).
* ``otel-sdk-json``: the OpenTelemetry Python SDK's ``span.to_json()`` one object per line
  (``0x``-prefixed ids in ``context``, ISO times with a ``Z``, ``SpanKind.INTERNAL``, flat attributes).
* ``openinference``: Phoenix span JSON (``context.*``, ``span_kind``, flattened ``llm.*``/``tool.*``,
  ``input.value``/``output.value``, ``session.id``, ``status_code``, exception events), one per line.
* ``langsmith``: exported runs (``id``, ``trace_id``, ``parent_run_id``, ``dotted_order``, ``run_type``,
  naive ISO times as the server exports them, ``error``, ``inputs``/``outputs``, token and cost
  fields; the conversation thread in ``extra.metadata.thread_id``).
* ``langfuse``: the UI export ``{trace, observations}`` (AGENT/GENERATION/TOOL/RETRIEVER/GUARDRAIL/SPAN,
  ``level`` ERROR + ``statusMessage``, ``usageDetails``, ``sessionId``; OTel attributes as a JSON string
  in ``metadata``).
* ``jsonl``: plain structured application log lines, one per finished (or abandoned) step.

Handoffs are written as each format really writes them: a ``transfer_to_<agent>`` tool call (GenAI
``execute_tool``, an OpenInference/Langfuse TOOL, a LangSmith ``tool`` run) followed, when the target
picks the work up, by the target's own agent span. No writer emits any field that names a failure.

The registry maps a format name to a `Writer`; `Writer.records(run)` gives the JSON objects one run
contributes, `Writer.render_file(runs)` a whole file, and `Writer.stream` the container framing used
by the generator to write run after run without holding a file in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import orjson

from forensics.errors import InputError
from forensics.synth.model import (
    Run,
    Span,
    dotted_stamp,
    iso_ms_z,
    iso_us_offset,
    iso_us_z,
    uuid_text,
)

_DUMPS = orjson.dumps


def _call_id(span: Span) -> str:
    # Tool-call ids as model providers write them ("call_" + 24 characters).
    return f"call_{span.span_id}{span.span_id[:8]}"


def _messages(role: str, text: str | None) -> str | None:
    # Equal to dumps([{"role": role, "content": text}]); only the content needs JSON escaping.
    if text is None:
        return None
    return f'[{{"role":"{role}","content":{_DUMPS(text).decode()}}}]'


# --- export order ----------------------------------------------------------------------------------

_NEVER: Final = 1 << 62


def ended_order(run: Run) -> list[Span]:
    """Spans in the order an OpenTelemetry SDK exports them: as each one ends (children before their
    parent, the root last), as in the real Monocle file; spans that never ended come last, as a
    shutdown flush writes them. Python's sort is stable, so equal end times keep start order."""
    return sorted(run.spans, key=lambda s: _NEVER if s.end_ns is None else s.end_ns)


def logged_order(run: Run) -> list[Span]:
    """Lines in the order an application logs them: a step's line when it finishes, and a step that
    never finished has only its "started" line, written when it started."""
    return sorted(run.spans, key=lambda s: s.start_ns if s.end_ns is None else s.end_ns)


# --- OpenTelemetry GenAI attributes (shared by otlp-json and otel-sdk-json) ------------------------


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


# --- OTLP/JSON -------------------------------------------------------------------------------------


def _any_value(v: Any) -> dict[str, Any]:
    # OTLP/JSON AnyValue: int64 as a decimal string, as protojson writes it.
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, (list, tuple)):
        return {"arrayValue": {"values": [_any_value(x) for x in v]}}
    if isinstance(v, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": _any_value(x)} for k, x in v.items()]}}
    return {"stringValue": str(v)}


def _kv(attrs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _any_value(v)} for k, v in attrs.items() if v is not None]


# OTLP SpanKind: 1 INTERNAL, 2 SERVER, 3 CLIENT. Model calls are CLIENT spans in the GenAI conventions.
_OTLP_KIND: Final = {"llm": 3, "chain": 2}
_OTLP_STATUS: Final = {"ok": 1, "error": 2}
_RESOURCE_BASE: Final = {
    "telemetry.sdk.language": "python",
    "telemetry.sdk.name": "opentelemetry",
    "telemetry.sdk.version": "1.37.0",
}
_SCOPE: Final = {"name": "opentelemetry.instrumentation.openai_agents", "version": "0.1.0"}


def _otlp_span(run: Run, s: Span) -> dict[str, Any]:
    d: dict[str, Any] = {"traceId": run.run_id, "spanId": s.span_id}
    if s.parent_id:
        d["parentSpanId"] = s.parent_id
    d["name"] = genai_name(s)
    d["kind"] = _OTLP_KIND.get(s.kind, 1)
    d["startTimeUnixNano"] = str(s.start_ns)
    if s.end_ns is not None:
        d["endTimeUnixNano"] = str(s.end_ns)
    d["attributes"] = _kv(genai_attributes(run, s))
    if s.status == "error":
        d["events"] = [
            {"timeUnixNano": str(s.end_ns or s.start_ns), "name": "exception", "attributes": _kv(_exception_attrs(s))}
        ]
        d["status"] = {"code": 2, "message": s.error_message or ""}
    else:
        code = _OTLP_STATUS.get(s.status)
        d["status"] = {"code": code} if code else {}
    return d


def _otlp_resource_spans(run: Run) -> dict[str, Any]:
    return {
        "resource": {"attributes": _kv({"service.name": run.service, **_RESOURCE_BASE})},
        "scopeSpans": [{"scope": dict(_SCOPE), "spans": [_otlp_span(run, s) for s in ended_order(run)]}],
        "schemaUrl": "https://opentelemetry.io/schemas/1.37.0",
    }


def _otlp_records(run: Run) -> list[dict[str, Any]]:
    return [{"resourceSpans": [_otlp_resource_spans(run)]}]


def _otlp_document(runs: list[Run]) -> Any:
    # One ExportTraceServiceRequest holding every run, as an OTLP/JSON file export does.
    return {"resourceSpans": [_otlp_resource_spans(r) for r in runs]}


# --- OpenTelemetry Python SDK span.to_json() -------------------------------------------------------

_SDK_KIND: Final = {"llm": "SpanKind.CLIENT", "chain": "SpanKind.SERVER"}
_SDK_STATUS: Final = {"ok": "OK", "error": "ERROR", "unset": "UNSET"}


_SDK_OK: Final = {"status_code": "OK"}
_SDK_UNSET: Final = {"status_code": "UNSET"}
_NO_ITEMS: Final[list[Any]] = []
_resource_cache: dict[str, dict[str, Any]] = {}


def _sdk_resource(service: str) -> dict[str, Any]:
    # One shared (never mutated) resource object per service: the generator writes millions.
    res = _resource_cache.get(service)
    if res is None:
        res = {"attributes": {"service.name": service, **_RESOURCE_BASE}, "schema_url": ""}
        _resource_cache[service] = res
    return res


def _sdk_record(run: Run, s: Span) -> dict[str, Any]:
    # The SDK writes "0x"-prefixed hex ids and repr(trace_state) ("[]").
    status: dict[str, Any]
    events: list[dict[str, Any]] = _NO_ITEMS
    if s.status == "error":
        status = {"status_code": "ERROR", "description": s.error_message or ""}
        events = [
            {
                "name": "exception",
                "timestamp": iso_us_z(s.end_ns or s.start_ns),
                "attributes": _exception_attrs(s),
            }
        ]
    else:
        status = _SDK_OK if s.status == "ok" else _SDK_UNSET
    return {
        "name": genai_name(s),
        "context": {"trace_id": "0x" + run.run_id, "span_id": "0x" + s.span_id, "trace_state": "[]"},
        "kind": _SDK_KIND.get(s.kind, "SpanKind.INTERNAL"),
        "parent_id": ("0x" + s.parent_id) if s.parent_id else None,
        "start_time": iso_us_z(s.start_ns),
        "end_time": iso_us_z(s.end_ns) if s.end_ns is not None else None,
        "status": status,
        "attributes": genai_attributes(run, s),
        "events": events,
        "links": _NO_ITEMS,
        "resource": _sdk_resource(run.service),
    }


def _sdk_records(run: Run) -> list[dict[str, Any]]:
    return [_sdk_record(run, s) for s in ended_order(run)]


_SDK_KIND_B: Final = {k: v.encode() for k, v in _SDK_KIND.items()}
_SDK_OK_B: Final = _DUMPS(_SDK_OK)
_SDK_UNSET_B: Final = _DUMPS(_SDK_UNSET)
_tail_cache: dict[str, bytes] = {}


_SDK_LINE: Final = (
    b'{"name":%b,"context":{"trace_id":"0x%b","span_id":"0x%b","trace_state":"[]"},"kind":"%b",'
    b'"parent_id":%b,"start_time":"%b","end_time":%b,"status":%b,"attributes":%b,"events":%b%b'
)
_minute_bytes: dict[int, bytes] = {}


def _iso_b(ns: int) -> bytes:
    # iso_us_z as bytes, with the minute's text cached (spans of a run share a few minutes).
    sec, sub = divmod(ns, 1_000_000_000)
    minute, second = divmod(sec, 60)
    head = _minute_bytes.get(minute)
    if head is None:
        if len(_minute_bytes) > 65_536:
            _minute_bytes.clear()
        head = iso_us_z(minute * 60_000_000_000)[:17].encode()
        _minute_bytes[minute] = head
    return b"%b%02d.%06dZ" % (head, second, sub // 1000)


def _sdk_lines(run: Run) -> bytes:
    """The same bytes as ``orjson.dumps(_sdk_record(...))`` per span, one per line, built from
    pre-encoded fragments: the generator writes millions of these (tests assert the equality)."""
    tail = _tail_cache.get(run.service)
    if tail is None:
        tail = b',"links":[],"resource":' + _DUMPS(_sdk_resource(run.service)) + b"}\n"
        _tail_cache[run.service] = tail
    trace = run.run_id.encode()
    kinds = _SDK_KIND_B
    out: list[bytes] = []
    for s in ended_order(run):
        if s.status == "error":
            status = _DUMPS({"status_code": "ERROR", "description": s.error_message or ""})
            events = _DUMPS(
                [{"name": "exception", "timestamp": iso_us_z(s.end_ns or s.start_ns), "attributes": _exception_attrs(s)}]
            )
        else:
            status = _SDK_OK_B if s.status == "ok" else _SDK_UNSET_B
            events = b"[]"
        out.append(
            _SDK_LINE
            % (
                _DUMPS(genai_name(s)),
                trace,
                s.span_id.encode(),
                kinds.get(s.kind, b"SpanKind.INTERNAL"),
                b'"0x%b"' % s.parent_id.encode() if s.parent_id else b"null",
                _iso_b(s.start_ns),
                b'"%b"' % _iso_b(s.end_ns) if s.end_ns is not None else b"null",
                status,
                _DUMPS(genai_attributes(run, s)),
                events,
                tail,
            )
        )
    return b"".join(out)


# --- OpenInference (Phoenix span JSON) -------------------------------------------------------------

_OI_KIND: Final = {
    "agent": "AGENT",
    "llm": "LLM",
    "tool": "TOOL",
    "handoff": "TOOL",
    "retriever": "RETRIEVER",
    "guardrail": "GUARDRAIL",
    "chain": "CHAIN",
    "human": "CHAIN",
}


def _oi_attributes(run: Run, s: Span) -> dict[str, Any]:
    kind = _OI_KIND[s.kind]
    a: dict[str, Any] = {"openinference.span.kind": kind}
    if run.session_id:
        a["session.id"] = run.session_id
    if run.user_id:
        a["user.id"] = run.user_id
    if s.kind == "agent":
        a["agent.name"] = s.agent
        a["graph.node.id"] = s.agent
    if s.kind == "llm":
        a["llm.model_name"] = s.model
        if s.provider:
            a["llm.provider"] = s.provider
        if s.input_tokens is not None:
            a["llm.token_count.prompt"] = s.input_tokens
        if s.output_tokens is not None:
            a["llm.token_count.completion"] = s.output_tokens
            a["llm.token_count.total"] = (s.input_tokens or 0) + s.output_tokens
        if s.input is not None:
            a["llm.input_messages.0.message.role"] = "user"
            a["llm.input_messages.0.message.content"] = s.input
        if s.output is not None:
            a["llm.output_messages.0.message.role"] = "assistant"
            a["llm.output_messages.0.message.content"] = s.output
    if s.kind in ("tool", "handoff", "retriever"):
        a["tool.name"] = s.tool
    if s.input is not None:
        a["input.value"] = s.input
        a["input.mime_type"] = "application/json" if s.input[:1] in "{[" else "text/plain"
    if s.output is not None:
        a["output.value"] = s.output
        a["output.mime_type"] = "application/json" if s.output[:1] in "{[" else "text/plain"
    meta: dict[str, Any] = {}
    if s.finish_reason:
        meta["finish_reason"] = s.finish_reason
    if s.kind != "agent" and s.agent:
        meta["agent"] = s.agent
    if s.attrs:
        meta.update(s.attrs)
    if meta:
        a["metadata"] = _DUMPS(meta).decode()
    return a


def _oi_record(run: Run, s: Span) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    if s.status == "error":
        events.append(
            {
                "name": "exception",
                "timestamp": iso_us_offset(s.end_ns or s.start_ns),
                "attributes": {
                    "exception.type": s.error_type or "Exception",
                    "exception.message": s.error_message or "",
                },
            }
        )
    if s.kind == "llm":
        # Span names the OpenInference OpenAI / Anthropic instrumentors write.
        name = "Messages" if (s.provider or "").startswith("anthropic") else "ChatCompletion"
    elif s.kind == "agent":
        name = s.agent or s.name
    else:
        name = (s.tool or s.name) if s.kind in ("tool", "handoff", "retriever") else s.name
    return {
        "name": name,
        "context": {"trace_id": run.run_id, "span_id": s.span_id},
        "span_kind": _OI_KIND[s.kind],
        "parent_id": s.parent_id,
        "start_time": iso_us_offset(s.start_ns),
        "end_time": iso_us_offset(s.end_ns) if s.end_ns is not None else None,
        "status_code": _SDK_STATUS[s.status],
        "status_message": (s.error_message or "") if s.status == "error" else "",
        "attributes": _oi_attributes(run, s),
        "events": events,
    }


def _oi_records(run: Run) -> list[dict[str, Any]]:
    return [_oi_record(run, s) for s in run.spans]


# --- LangSmith exported runs -----------------------------------------------------------------------

_LS_RUN_TYPE: Final = {
    "agent": "chain",
    "llm": "llm",
    "tool": "tool",
    "handoff": "tool",
    "retriever": "retriever",
    "guardrail": "chain",
    "chain": "chain",
    "human": "chain",
}
# A LangSmith tracing project ("session_id" in a run is the project, not the conversation).
_LS_PROJECT: Final = "6a3be6a2-9a8c-4fc8-b4c6-a8983b286cc5"


def langsmith_run_id(run: Run, span: Span) -> str:
    """LangSmith's id for a span: the root run's id is the trace id."""
    if span.parent_id is None:
        return uuid_text(run.run_id)
    return uuid_text(span.span_id + run.run_id[16:])


def _ls_naive(ns: int) -> str:
    # The server's export writes naive UTC ISO times with microseconds.
    return iso_us_offset(ns)[:-6]


def _ls_records(run: Run) -> list[dict[str, Any]]:
    ids = {s.span_id: langsmith_run_id(run, s) for s in run.spans}
    by_id = {s.span_id: s for s in run.spans}
    trace = uuid_text(run.run_id)
    out = []
    for s in run.spans:
        rid = ids[s.span_id]
        chain: list[Span] = [s]
        p = s.parent_id
        while p is not None:
            chain.append(by_id[p])
            p = by_id[p].parent_id
        chain.reverse()
        dotted = ".".join(dotted_stamp(c.start_ns) + ids[c.span_id] for c in chain)
        meta: dict[str, Any] = {}
        if run.session_id:
            meta["thread_id"] = run.session_id
        if s.agent:
            meta["langgraph_node"] = s.agent
        if s.kind == "llm":
            meta["ls_provider"] = s.provider or "openai"
            meta["ls_model_name"] = s.model
            meta["ls_model_type"] = "chat"
        if s.attrs:
            meta.update(s.attrs)
        inputs: dict[str, Any] | None
        outputs: dict[str, Any] | None
        if s.kind == "llm":
            inputs = {"messages": [[{"role": "user", "content": s.input or ""}]]}
            outputs = None
            if s.status != "error":
                outputs = {
                    "generations": [
                        [
                            {
                                "text": s.output or "",
                                "type": "ChatGeneration",
                                "generation_info": {"finish_reason": s.finish_reason or "stop"},
                                "message": {"role": "assistant", "content": s.output or ""},
                            }
                        ]
                    ],
                    "llm_output": {
                        "model_name": s.model,
                        "token_usage": {
                            "prompt_tokens": s.input_tokens,
                            "completion_tokens": s.output_tokens,
                            "total_tokens": (s.input_tokens or 0) + (s.output_tokens or 0),
                        },
                    },
                }
        elif s.kind in ("tool", "handoff", "retriever"):
            inputs = {"input": s.input or ""}
            outputs = None if s.output is None else {"output": s.output}
        else:
            inputs = {"input": s.input} if s.input is not None else {}
            outputs = None if s.output is None else {"output": s.output}
        if s.end_ns is None:
            status = "pending"
        else:
            status = "error" if s.status == "error" else "success"
        error = None
        if s.status == "error":
            error = f"{s.error_type or 'Exception'}({s.error_message or ''!r})"
        name = s.agent if s.kind == "agent" else (s.tool if s.kind in ("tool", "handoff", "retriever") else s.name)
        if s.kind == "llm":
            name = "ChatAnthropic" if (s.provider or "").startswith("anthropic") else "ChatOpenAI"
        tokens_in = s.input_tokens or 0
        tokens_out = s.output_tokens or 0
        out.append(
            {
                "id": rid,
                "name": name,
                "run_type": _LS_RUN_TYPE[s.kind],
                "start_time": _ls_naive(s.start_ns),
                "end_time": _ls_naive(s.end_ns) if s.end_ns is not None else None,
                "status": status,
                "error": error,
                "inputs": inputs,
                "outputs": outputs,
                "extra": {"metadata": meta, "runtime": {"sdk": "langsmith-py", "sdk_version": "0.3.45"}},
                "events": [],
                "tags": list(run.tags),
                "trace_id": trace,
                "dotted_order": dotted,
                "parent_run_id": ids[s.parent_id] if s.parent_id else None,
                "parent_run_ids": [ids[c.span_id] for c in chain[:-1]],
                "is_root": s.parent_id is None,
                "session_id": _LS_PROJECT,
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
                "total_cost": s.cost_usd,
                "first_token_time": None,
                "reference_example_id": None,
            }
        )
    return out


# --- Langfuse export -------------------------------------------------------------------------------

_LF_TYPE: Final = {
    "agent": "AGENT",
    "llm": "GENERATION",
    "tool": "TOOL",
    "handoff": "TOOL",
    "retriever": "RETRIEVER",
    "guardrail": "GUARDRAIL",
    "chain": "SPAN",
    "human": "SPAN",
}
_LF_PROJECT: Final = "clxq8v7pe0003me08fq9kd2ab"


def _lf_observation(run: Run, s: Span) -> dict[str, Any]:
    attrs: dict[str, Any] = {"openinference.span.kind": _OI_KIND[s.kind]}
    if s.agent:
        attrs["gen_ai.agent.name"] = s.agent
    if s.finish_reason:
        attrs["gen_ai.response.finish_reasons"] = [s.finish_reason]
    if s.error_type:
        attrs["error.type"] = s.error_type
    if s.attrs:
        attrs.update(s.attrs)
    usage: dict[str, int] = {}
    cost: dict[str, float] = {}
    if s.kind == "llm" and s.input_tokens is not None:
        usage = {"input": s.input_tokens, "output": s.output_tokens or 0}
        usage["total"] = usage["input"] + usage["output"]
        if s.cost_usd is not None:
            cost = {"total": s.cost_usd}
    latency = None if s.end_ns is None else round((s.end_ns - s.start_ns) / 1e9, 3)
    name = s.agent if s.kind == "agent" else (s.tool if s.kind in ("tool", "handoff", "retriever") else s.name)
    stamp = iso_ms_z(s.end_ns or s.start_ns)
    return {
        "id": s.span_id,
        "traceId": run.run_id,
        "startTime": iso_ms_z(s.start_ns),
        "endTime": iso_ms_z(s.end_ns) if s.end_ns is not None else None,
        "projectId": _LF_PROJECT,
        "parentObservationId": s.parent_id,
        "type": _LF_TYPE[s.kind],
        "environment": "production",
        "name": name,
        "level": "ERROR" if s.status == "error" else "DEFAULT",
        "statusMessage": s.error_message if s.status == "error" else None,
        "version": None,
        "createdAt": stamp,
        "updatedAt": stamp,
        "input": s.input,
        "output": s.output,
        "model": s.model,
        "modelParameters": {},
        "completionStartTime": None,
        "latency": latency,
        "usageDetails": usage,
        "costDetails": cost,
        "totalCost": s.cost_usd or 0,
        "inputUsage": usage.get("input", 0),
        "outputUsage": usage.get("output", 0),
        "totalUsage": usage.get("total", 0),
        "toolCalls": [],
        "toolCallNames": [],
        "metadata": _DUMPS(
            {
                "attributes": attrs,
                "resourceAttributes": {"service.name": run.service, **_RESOURCE_BASE},
                "scope": {"name": "langfuse-sdk", "version": "3.2.1", "attributes": {}},
            }
        ).decode(),
    }


def _lf_records(run: Run) -> list[dict[str, Any]]:
    root = run.root
    # Langfuse derives a trace's latency from its observations' times: the latest start or end
    # minus the earliest start, so an observation that never ended does not make it null.
    last = max(max(s.start_ns, s.end_ns or 0) for s in run.spans)
    trace = {
        "id": run.run_id,
        "projectId": _LF_PROJECT,
        "name": root.agent or root.name,
        "timestamp": iso_ms_z(root.start_ns),
        "environment": "production",
        "tags": list(run.tags),
        "bookmarked": False,
        "release": None,
        "version": None,
        "userId": run.user_id,
        "sessionId": run.session_id,
        "public": False,
        "input": root.input,
        "output": root.output,
        "createdAt": iso_ms_z(root.start_ns),
        "updatedAt": iso_ms_z(last),
        "metadata": "{}",
        "scores": [],
        "corrections": [],
        "latency": round((last - min(s.start_ns for s in run.spans)) / 1e9, 3),
    }
    return [{"trace": trace, "observations": [_lf_observation(run, s) for s in run.spans]}]


# --- plain JSON-lines application logs -------------------------------------------------------------

_JL_EVENT: Final = {
    "agent": "agent.run",
    "llm": "llm.call",
    "tool": "tool.call",
    "retriever": "retrieval",
    "handoff": "handoff",
    "human": "human.action",
    "guardrail": "guardrail.check",
    "chain": "request",
}


def _jl_message(s: Span) -> str:
    # The human-readable line an application logs for the step.
    what = {
        "agent": f"agent {s.agent}",
        "llm": f"model call {s.model}",
        "tool": f"tool {s.tool}",
        "retriever": f"retrieval {s.tool}",
        "handoff": f"handoff to {s.handoff_to}",
        "human": f"{s.name} by {(s.attrs or {}).get('enduser.id', 'user')}",
        "guardrail": f"guardrail {s.name}",
        "chain": s.name,
    }[s.kind]
    if s.end_ns is None:
        return f"{what} started"
    if s.status == "error":
        return f"{what} failed: {s.error_message}"
    return f"{what} finished"


def _jl_record(run: Run, s: Span) -> dict[str, Any]:
    d: dict[str, Any] = {
        "ts": iso_ms_z(s.start_ns),
        "level": "ERROR" if s.status == "error" else "INFO",
        "logger": f"{run.service}.{s.agent or 'app'}",
        "run_id": run.run_id,
        "span_id": s.span_id,
        "parent_id": s.parent_id,
    }
    if run.session_id:
        d["session_id"] = run.session_id
    d["event"] = _JL_EVENT[s.kind]
    d["kind"] = s.kind
    d["agent"] = s.agent
    if s.tool:
        d["tool"] = s.tool
    if s.handoff_to:
        d["handoff_to"] = s.handoff_to
    if s.model:
        d["model"] = s.model
        d["input_tokens"] = s.input_tokens
        d["output_tokens"] = s.output_tokens
        if s.cost_usd is not None:
            d["cost_usd"] = s.cost_usd
        if s.finish_reason:
            d["finish_reason"] = s.finish_reason
    d["msg"] = _jl_message(s)
    d["duration_ms"] = None if s.end_ns is None else round((s.end_ns - s.start_ns) / 1e6, 1)
    d["status"] = s.status
    if s.input is not None:
        d["input"] = s.input
    if s.output is not None:
        d["output"] = s.output
    if s.status == "error":
        d["error_type"] = s.error_type
        d["error"] = s.error_message
    if s.attrs:
        d.update(s.attrs)
    return d


def _jl_records(run: Run) -> list[dict[str, Any]]:
    return [_jl_record(run, s) for s in logged_order(run)]


# --- the registry ----------------------------------------------------------------------------------


def _hex_run(run: Run) -> str:
    return run.run_id


def _hex_span(run: Run, span: Span) -> str:
    return span.span_id


@dataclass(frozen=True)
class Writer:
    """How one format is written.

    ``container`` is ``lines`` (one JSON object per line), ``array`` (a JSON array of records; a file
    of one record is written as that object) or ``otlp`` (one ExportTraceServiceRequest per file,
    one per line when streamed).
    """

    name: str
    suffix: str
    container: str
    records: Callable[[Run], list[dict[str, Any]]]
    run_ref: Callable[[Run], str] = _hex_run
    span_ref: Callable[[Run, Span], str] = _hex_span
    #: Optional fast path for ``lines`` formats: the run's lines as bytes, equal to dumping `records`.
    lines: Callable[[Run], bytes] | None = None

    def run_lines(self, run: Run) -> bytes:
        """One run as JSON lines (``lines`` and ``otlp`` containers)."""
        if self.lines is not None:
            return self.lines(run)
        return b"".join(_DUMPS(r) + b"\n" for r in self.records(run))

    def render_file(self, runs: list[Run]) -> bytes:
        """The whole file for `runs`, laid out for a person to read (sample corpus)."""
        if self.container == "lines":
            return b"".join(self.run_lines(run) for run in runs)
        if self.container == "otlp":
            return _DUMPS(_otlp_document(runs), option=orjson.OPT_INDENT_2) + b"\n"
        recs = [r for run in runs for r in self.records(run)]
        doc: Any = recs[0] if len(recs) == 1 and self.name == "langfuse" else recs
        return _DUMPS(doc, option=orjson.OPT_INDENT_2) + b"\n"

    def stream_chunks(self, runs: Iterable[Run]) -> Iterable[bytes]:
        """Byte chunks of a file holding `runs`, one run at a time (the generator's path)."""
        if self.container in ("lines", "otlp"):
            for run in runs:
                yield self.run_lines(run)
            return
        yield b"[\n"
        first = True
        for run in runs:
            parts = [_DUMPS(r) for r in self.records(run)]
            if parts:
                yield (b"" if first else b",\n") + b",\n".join(parts)
                first = False
        yield b"\n]\n"


WRITERS: Final[dict[str, Writer]] = {
    w.name: w
    for w in (
        Writer("otlp-json", "otlp.json", "otlp", _otlp_records),
        Writer("otel-sdk-json", "otel.jsonl", "lines", _sdk_records, lines=_sdk_lines),
        Writer("openinference", "phoenix.jsonl", "lines", _oi_records),
        Writer("langsmith", "langsmith.json", "array", _ls_records, lambda r: uuid_text(r.run_id), langsmith_run_id),
        Writer("langfuse", "langfuse.json", "array", _lf_records),
        Writer("jsonl", "log.jsonl", "lines", _jl_records),
    )
}


def get_writer(name: str) -> Writer:
    """The writer registered as `name`; a clear error naming the valid formats otherwise."""
    try:
        return WRITERS[name]
    except KeyError:
        raise InputError(
            f"no writer for format `{name}`",
            hint=f"use one of: {', '.join(sorted(WRITERS))}.",
        ) from None
