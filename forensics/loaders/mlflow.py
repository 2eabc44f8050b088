"""MLflow trace JSON (``Trace.to_json()``, ``mlflow traces get``, Databricks inference tables):
``{"info": {...}, "data": {"spans": [...]}}``, one per file, a JSON array of them, or JSON-lines.

Two schema generations (FIELDS.md §7):

* v3 (MLflow 3): ``info.trace_id`` ``tr-<32 hex>``, ``info.state`` OK/ERROR/IN_PROGRESS,
  ``info.trace_metadata`` (``mlflow.trace.session``, ``mlflow.trace.user``,
  ``mlflow.trace.tokenUsage``); spans are OTLP-like with *base64* ``trace_id``/``span_id``/
  ``parent_span_id``, ``start_time_unix_nano``/``end_time_unix_nano`` and
  ``status.code`` STATUS_CODE_OK/ERROR.
* v2 (MLflow 2): ``info.request_id``, ``info.status``, ``info.request_metadata``; spans have
  ``context.span_id``/``context.trace_id`` as ``0x…`` hex, ``parent_id``, ``start_time``/``end_time``
  in ns, ``status_code``/``status_message``.

In both, span attribute values are JSON-*encoded* strings (``"mlflow.spanType": "\\"AGENT\\""``);
they are decoded before mapping. ``mlflow.spanType`` gives the kind (CHAT_MODEL/LLM →
llm, EMBEDDING → embedding, AGENT, TOOL, RETRIEVER/RERANKER → retriever, CHAIN/PARSER → chain, GUARDRAIL); an AGENT span
names its agent and a TOOL span its tool by the span's name. LangChain autologging writes a
LangGraph node as a CHAIN span with the run's ``metadata`` (``langgraph_node``) as an attribute: it
names its agent by the rules of the Langfuse and LangSmith loaders (see :func:`graph_roles`: a node
with a model call under it is an agent, the ToolNode ``tools`` and a router are not). ``mlflow.spanInputs``/``spanOutputs``
are the input and output (a model call's ``model`` argument in its inputs names its model where no
attribute does: autologging traces ``create(**kwargs)``); ``mlflow.chat.tokenUsage`` the tokens. The run id is the OpenTelemetry
trace id: MLflow 3 makes its id as ``"tr-"`` + the OTel trace id's 32 hex digits
(mlflow/tracing/constant.py ``TRACE_REQUEST_ID_PREFIX``, mlflow/tracing/utils
``generate_mlflow_trace_id_from_otel_trace_id``), so the prefix is dropped on purpose: the trace joins
with an OTLP export of it (the receiver, a collector file) and one trace read from both is one run.
The id the MLflow UI and API know is ``tr-`` + the run id, kept as written in the root span's
``@trace_info.trace_id`` (``request_id`` in v2). ``info`` goes to the root span's ``@trace_info``; a trace whose state is ERROR with a root
span that says OK keeps the root's own status and the state in ``@trace_info``.

Declared outcome (``@outcome`` on the root span, see :func:`info_outcome`): the trace's feedback
``assessments`` (``correctness`` yes/no, a ``success`` bool...), else ``state`` ERROR (failure).
"""

from __future__ import annotations

from typing import Any

import orjson

from ..normalize import as_float, as_int, as_text
from ..outcome import outcome_attribute, scores_outcome, with_outcome
from .base import Loader, Sample, Source, SpanSink
from .langfuse_langchain import (
    INNER_MODEL,
    LONE_NODE,
    LONE_TOOLS,
    NODE_STEP,
    langchain_span_kind,
    react_roles,
)
from .langsmith_agents import owner
from .otel_common import (
    RecordError,
    field_value,
    finish_row,
    json_text,
    span_id,
    status_of,
    time_ns,
    trace_id,
)

SPAN_TYPE_KINDS = {
    "LLM": "llm",
    "CHAT_MODEL": "llm",
    "EMBEDDING": "embedding",
    "AGENT": "agent",
    "TOOL": "tool",
    "RETRIEVER": "retriever",
    "RERANKER": "retriever",
    "CHAIN": "chain",
    "PARSER": "chain",
    "GUARDRAIL": "guardrail",
    "EVALUATOR": "chain",
    "UNKNOWN": "unknown",
}

_SESSION_KEYS = ("mlflow.trace.session", "mlflow.trace.session_id", "session_id")
_V3_HELD = frozenset({"trace_id", "span_id", "parent_span_id", "name", "start_time_unix_nano", "end_time_unix_nano",
                      "status", "attributes", "events"})
_V2_HELD = frozenset({"context", "parent_id", "name", "start_time", "end_time", "status_code", "status_message",
                      "attributes", "events"})


class MlflowLoader(Loader):
    name = "mlflow"
    description = "MLflow trace JSON, v3 (info.trace_id, base64 span ids) and v2 (info.request_id, 0x span ids)"
    sniffs = "objects with `info` (trace_id/request_id) and `data.spans`"

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if isinstance(first, dict) and isinstance(first.get("info"), dict):
            info = first["info"]
            if ("trace_id" in info or "request_id" in info) and "data" in first:
                return 1.0
            if "trace_location" in info or "request_metadata" in info or "trace_metadata" in info:
                return 0.9
        head = sample.text[:8192]
        if '"mlflow.spanType"' in head and '"info"' in head:
            return 0.8
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        for line, record in source.records():
            if not isinstance(record, dict) or not isinstance(record.get("info"), dict):
                sink.quarantine(line, "not-an-mlflow-trace",
                                f"expected an MLflow trace {{info, data: {{spans}}}}, found {_describe(record)}", record)
                continue
            info = record["info"]
            data = record.get("data")
            spans = data.get("spans") if isinstance(data, dict) else None
            if not isinstance(spans, list):
                sink.quarantine(line, "not-an-mlflow-trace",
                                f"expected `data.spans` to be a list of spans, found {_describe(spans)}", record)
                continue
            try:
                trace = _trace_context(info)
            except RecordError as exc:
                sink.quarantine(line, exc.reason, exc.detail, info)
                continue
            if isinstance(data, dict):
                rest = {k: v for k, v in data.items() if k != "spans" and v is not None}
                if rest:
                    trace["info"]["@data"] = rest  # v2 keeps request/response beside the spans
            extra = {k: v for k, v in record.items() if k not in ("info", "data")}
            if extra:
                trace["info"]["@record"] = extra
            roles = graph_roles(spans)
            for span in spans:
                try:
                    row = span_row(span, trace, roles)
                except RecordError as exc:
                    sink.quarantine(line, exc.reason, exc.detail, span)
                    continue
                sink.add(row, line)


def info_outcome(info: dict[str, Any]) -> dict[str, Any] | None:
    """The trace's declared outcome: its feedback ``assessments`` by name (an ``expectation`` is
    the expected answer, never read; an assessment marked ``valid: false`` was overridden), see
    :func:`forensics.outcome.scores_outcome`; else a trace whose ``state`` (v2: ``status``) is
    ERROR is a failure. OK says only that the code did not raise: no verdict."""
    named: dict[str, Any] = {}
    assessments = info.get("assessments")
    for item in assessments if isinstance(assessments, list) else []:
        if not isinstance(item, dict) or item.get("valid") is False or not isinstance(item.get("feedback"), dict):
            continue
        name = item.get("assessment_name") or item.get("name")
        if isinstance(name, str) and "value" in item["feedback"]:
            named[name] = item["feedback"]["value"]
    found = scores_outcome("assessments", named)
    if found is not None:
        return found
    for key in ("state", "status"):
        if isinstance(info.get(key), str) and info[key].upper() == "ERROR":
            return outcome_attribute("failure", None, key, info[key])
    return None


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "an object with keys " + ", ".join(sorted(value)[:8])
    return type(value).__name__


def _trace_context(info: dict[str, Any]) -> dict[str, Any]:
    """What every span of the trace shares: its run id (from info), session, and the info itself."""
    raw = info.get("trace_id") or info.get("request_id")
    run = None
    if isinstance(raw, str) and raw.startswith("tr-"):
        run = trace_id(raw[3:], "info.trace_id")
    elif raw is not None:
        run = trace_id(raw, "info.trace_id")
    metadata = _dict(info.get("trace_metadata")) or _dict(info.get("request_metadata"))
    tags = _dict(info.get("tags"))
    session = next((metadata.get(k) or tags.get(k) for k in _SESSION_KEYS if metadata.get(k) or tags.get(k)), None)
    return {"run_id": run, "session_id": as_text(session), "info": dict(info)}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _decode(value: Any) -> Any:
    """MLflow stores every attribute JSON-encoded; undo it, keeping text that is not JSON as text."""
    if not isinstance(value, str):
        return value
    try:
        return json_text(value, "attribute")
    except orjson.JSONDecodeError:
        return value


def _ids_as_written(span: dict[str, Any]) -> tuple[Any, Any]:
    """A span's own id and its parent's as written (v2: ``context.span_id``, ``parent_id``)."""
    if isinstance(span.get("context"), dict) or "start_time" in span:
        return _dict(span.get("context")).get("span_id"), span.get("parent_id")
    return span.get("span_id"), span.get("parent_span_id")


def graph_roles(spans: list[Any]) -> dict[str, str]:
    """Span id (as written) → the LangGraph role the Langfuse loader gives the same run
    (langfuse_langchain.react_roles: a ToolNode with no agent above it, a ReAct model node under
    an agent, a node with no model call under it), the trace's spans read as the observations that
    rule takes: MLflow's LangChain tracer keeps each run's ``metadata`` (``langgraph_node``...) as an
    attribute and types model calls CHAT_MODEL/LLM (mlflow/langchain/langchain_tracer.py)."""
    if not any(isinstance(s, dict) and "langgraph_node" in str(s.get("attributes")) for s in spans):
        return {}
    observations = []
    for span in spans:
        if not isinstance(span, dict) or not isinstance(span.get("attributes"), dict):
            continue
        attrs = span["attributes"]
        span_type = str(_decode(attrs.get("mlflow.spanType"))).upper()
        metadata = _decode(attrs.get("metadata"))
        own, parent = _ids_as_written(span)
        observations.append({
            "id": own, "parentObservationId": parent,
            "name": span.get("name"), "metadata": metadata if isinstance(metadata, dict) else None,
            "type": "GENERATION" if span_type in ("LLM", "CHAT_MODEL") else "AGENT" if span_type == "AGENT" else "SPAN",
        })
    return react_roles(observations)


def _graph_node_agent(row: dict[str, Any], metadata: Any, role: str | None) -> None:
    """A LangGraph node's CHAIN span is its agent's (the name ``langgraph_node`` gives, when a model
    call runs under it or a handoff names it), and a run inside an agent's node is that agent's, by
    the rules of the Langfuse and LangSmith loaders (langfuse.py observation_row): the ToolNode
    ``tools`` is never an agent (alone, its name owns its tool runs), a node with no model call
    under it is a step, the ReAct model node ``agent`` under an agent is that agent's step."""
    if not isinstance(metadata, dict):
        return
    if row["kind"] == "chain" and role not in (INNER_MODEL, NODE_STEP, LONE_NODE) \
            and langchain_span_kind(row["name"], metadata) == "agent":
        row["kind"] = "agent"
    if row.get("agent") is None and row["kind"] != "agent" and role not in (INNER_MODEL, NODE_STEP):
        row["agent"] = owner(metadata) or ("tools" if role == LONE_TOOLS else None)


def span_row(span: Any, trace: dict[str, Any], roles: dict[str, str] | None = None) -> dict[str, Any]:
    if not isinstance(span, dict):
        raise RecordError("not-a-span", f"expected a span object, found {type(span).__name__}")
    raw_attrs = span.get("attributes")
    if raw_attrs is not None and not isinstance(raw_attrs, dict):
        raise RecordError("invalid-attribute", f"expected `attributes` to be an object, found {type(raw_attrs).__name__}")
    attrs = {k: _decode(v) for k, v in (raw_attrs or {}).items()}
    if isinstance(span.get("context"), dict) or "start_time" in span:
        row, held = _v2(span), _V2_HELD
    else:
        row, held = _v3(span), _V3_HELD
    row["run_id"] = row["run_id"] or trace["run_id"]
    row["session_id"] = trace["session_id"]
    span_type = attrs.pop("mlflow.spanType", None)
    kind = SPAN_TYPE_KINDS.get(str(span_type).upper()) if span_type is not None else None
    row["kind"] = kind
    inputs = attrs.pop("mlflow.spanInputs", None)
    row["input"] = as_text(inputs)
    row["output"] = as_text(attrs.pop("mlflow.spanOutputs", None))
    usage = attrs.pop("mlflow.chat.tokenUsage", None)
    if isinstance(usage, dict):
        row["input_tokens"] = field_value("invalid-value", "mlflow.chat.tokenUsage.input_tokens", as_int, usage.get("input_tokens"))
        row["output_tokens"] = field_value("invalid-value", "mlflow.chat.tokenUsage.output_tokens", as_int, usage.get("output_tokens"))
    elif usage is not None:
        attrs["mlflow.chat.tokenUsage"] = usage
    # MLflow's own keys for a call's model and price (mlflow/tracing/constant.py SpanAttributeKey.MODEL
    # "mlflow.llm.model", LLM_COST "mlflow.llm.cost" = {input_cost, output_cost, total_cost} in USD,
    # set by the autologgers and read by the trace's roll-ups); an older autologger's "model" too.
    for key in ("mlflow.llm.model", "model"):
        if row.get("model") is None and isinstance(attrs.get(key), str):
            row["model"] = attrs.pop(key)
    cost = attrs.get("mlflow.llm.cost")
    if isinstance(cost, dict) and "total_cost" in cost:
        # The split stays in the attributes: the column holds the total only.
        row["cost_usd"] = field_value("invalid-value", "mlflow.llm.cost.total_cost", as_float, cost["total_cost"])
    events = [e for e in span.get("events") or [] if isinstance(e, dict)]
    for event in events:
        if isinstance(event.get("attributes"), dict):
            event["attributes"] = {k: _decode(v) for k, v in event["attributes"].items()}
    rest = finish_row(row, attrs, events)
    if row.get("kind") is None:
        row["kind"] = "unknown"
    # Autologging records a model call's keyword arguments as its inputs (the OpenAI and Anthropic
    # flavours trace ``create(**kwargs)``): where no attribute names the model, the request does.
    if row["kind"] in ("llm", "embedding") and row.get("model") is None and isinstance(inputs, dict) and isinstance(inputs.get("model"), str):
        row["model"] = inputs["model"]
    if row["kind"] in ("llm", "embedding") and row.get("model") is None:
        row["model"] = _langchain_model(attrs)
    if span_type is not None and kind is None:
        rest["@span_type"] = span_type
    own = _ids_as_written(span)[0]
    _graph_node_agent(row, attrs.get("metadata"), (roles or {}).get(own) if isinstance(own, str) else None)
    if row["kind"] == "agent" and row.get("agent") is None:
        row["agent"] = row["name"]
    if row["kind"] == "tool" and row.get("tool") is None:
        row["tool"] = row["name"]
    rest.pop("mlflow.traceRequestId", None)  # the info's id again, on every span
    for key, value in span.items():
        if key not in held and value is not None:
            rest["@" + key] = value
    if row["parent_id"] is None:
        rest["@trace_info"] = trace["info"]
        with_outcome(rest, info_outcome(trace["info"]))
    row["attributes"] = rest
    return row


def _v3(span: dict[str, Any]) -> dict[str, Any]:
    raw_status = span.get("status")
    # {code, message} in MLflow 3; a bare code string in some hand-rolled exports.
    status = {"code": raw_status} if isinstance(raw_status, str) else _dict(raw_status)
    row: dict[str, Any] = {
        "run_id": trace_id(span.get("trace_id"), "trace_id"),
        "span_id": span_id(span.get("span_id"), "span_id"),
        "parent_id": span_id(span.get("parent_span_id"), "parent_span_id"),
        "name": as_text(span.get("name")),
        "start_time": time_ns(span.get("start_time_unix_nano"), "start_time_unix_nano"),
        "end_time": time_ns(span.get("end_time_unix_nano"), "end_time_unix_nano"),
        "status": status_of(status.get("code")),
    }
    if row["status"] == "error" and status.get("message"):
        row["error_message"] = as_text(status["message"])
    return row


def _v2(span: dict[str, Any]) -> dict[str, Any]:
    context = _dict(span.get("context"))
    row: dict[str, Any] = {
        "run_id": trace_id(context.get("trace_id"), "context.trace_id"),
        "span_id": span_id(context.get("span_id"), "context.span_id"),
        "parent_id": span_id(span.get("parent_id"), "parent_id"),
        "name": as_text(span.get("name")),
        "start_time": time_ns(span.get("start_time"), "start_time"),
        "end_time": time_ns(span.get("end_time"), "end_time"),
        "status": status_of(span.get("status_code")),
    }
    if row["status"] == "error" and span.get("status_message"):
        row["error_message"] = as_text(span["status_message"])
    return row


#: Where a LangChain model's request names its model: ``ChatOpenAI`` / ``ChatAnthropic`` /
#: ``ChatDatabricks`` ``model``, older ``model_name``, ``ChatBedrock`` ``model_id``.
_INVOCATION_MODEL_KEYS = ("model", "model_name", "model_id")


def _langchain_model(attrs: dict[str, Any]) -> str | None:
    """The model a LangChain-autolog model call used, where no MLflow key names it: MLflow's
    ``MlflowLangchainTracer.on_chat_model_start`` / ``on_llm_start`` record the callback's keyword
    arguments as the span's attributes (mlflow/langchain/langchain_tracer.py: ``attributes=kwargs``),
    which hold LangChain's ``invocation_params`` (the model's request parameters) and the run's
    ``metadata``, whose ``ls_model_name`` is the model LangChain's ``_get_ls_params`` names
    (langchain_core/language_models/chat_models.py). The request's own name first."""
    params = attrs.get("invocation_params")
    if isinstance(params, dict):
        for key in _INVOCATION_MODEL_KEYS:
            if isinstance(value := params.get(key), str) and value:
                return value
    metadata = attrs.get("metadata")
    if isinstance(metadata, dict) and isinstance(value := metadata.get("ls_model_name"), str) and value:
        return value
    return None
