"""Langfuse trace exports: ``{trace, observations}`` (the UI's export; one, a JSON array of them, or
JSON-lines), the API's trace-with-details object (observations inside the trace), and bare
observation lists.

The trace becomes the root span of its run (``span_id`` = trace id, kind ``chain``) and every
observation with no ``parentObservationId`` (or one naming a span the export does not hold: the v3 SDK
exports only some spans, see :func:`_parent_in_trace`) hangs under it, so a run always has one root that
carries the trace's name, input/output, ``sessionId`` (the session) and ``userId``/tags. Langfuse
traces have no status, and Langfuse computes ``latency`` from the observations' times even while
one is still open, so the root's status and end come from the top-level observations (see
:func:`root_outcome`): an ERROR one makes it an error, an open one (not an EVENT) leaves it open
(no end), else it ends with the last observation; the latency stays in attributes. Only a trace
with no top-level observation falls back to ``timestamp + latency``.

Observation ``type`` gives the kind (GENERATION → llm, EMBEDDING → embedding, SPAN → chain, EVENT → event,
AGENT, TOOL, CHAIN, RETRIEVER, EVALUATOR → chain, GUARDRAIL). A plain SPAN is Langfuse's generic
type, so when the OpenTelemetry attributes say more (CrewAI's ``Task._execute_core`` is an
OpenInference AGENT) those win; without them, the v2 LangChain handler's metadata does (see
:func:`langchain_span_kind`: a tool's ``color``, a LangGraph node's ``langgraph_node``), and a run's
``lc_agent_name``/``langgraph_node`` metadata names its agent (not the ToolNode ``tools``, nor a
ReAct model node ``agent`` under an agent: see :func:`react_roles`). ``level`` ERROR makes the status error with ``statusMessage`` as the
message; WARNING stays ok and keeps its level and message in attributes. An EVENT is a point in
time: its end is its start.

Langfuse keeps the OpenTelemetry span it was sent inside ``metadata``, a JSON *string* holding
``{attributes, resourceAttributes, scope}``; the attributes map through :mod:`forensics.semconv`
(gen_ai.*, OpenInference), the resource and scope go to ``@resource``/``@scope``. Usage and cost
come from Langfuse's own fields (``inputUsage``/``usageDetails``/``usage``, ``totalCost``/
``costDetails``); on non-model observations zero counts are Langfuse's defaults, not measurements,
and stay out of the columns. The trace's ``observations`` field, when it is a copy of the
top-level list (a Python repr string in the UI export), is not repeated in attributes.

Declared outcome: the trace's own ``scores`` (trace-level, not an observation's) go under
``@outcome`` on the root (see :func:`trace_scores_outcome`); a score named like success
(``correctness``, ``success``, ``accuracy``...) gives the verdict, any other (``toxicity``,
``hallucination``: higher is worse there) is kept with verdict unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..normalize import as_float, as_int, as_text
from ..outcome import scores_outcome, with_outcome
from .base import Loader, Sample, Source, SpanSink
from .langfuse_langchain import EMPTY as _EMPTY
from .langfuse_langchain import (
    INNER_MODEL,
    LONE_NODE,
    LONE_TOOL_CALL,
    LONE_TOOLS,
    NODE_STEP,
    REQUESTED_TOOL,
    agents_sdk_trace_span,
    langchain_keys,
    langchain_span_kind,
    langgraph_roles,
    split_metadata,
)
from .langsmith_agents import owner
from .otel_common import RecordError, finish_row, span_id, time_ns, trace_id

OBSERVATION_KINDS = {
    "SPAN": "chain",
    "GENERATION": "llm",
    "EMBEDDING": "embedding",
    "EVENT": "event",
    "AGENT": "agent",
    "TOOL": "tool",
    "CHAIN": "chain",
    "RETRIEVER": "retriever",
    "EVALUATOR": "chain",
    "GUARDRAIL": "guardrail",
}

_OBS_HELD = frozenset({"id", "traceId", "parentObservationId", "name", "type", "startTime", "endTime",
                       "model", "input", "output", "metadata", "inputUsage", "outputUsage", "totalCost"})
_TRACE_HELD = frozenset({"id", "name", "timestamp", "sessionId", "input", "output", "metadata", "latency"})
_TRACE_KEYS_RE = re.compile(r'"trace"\s*:\s*\{[^{}]*"(?:projectId|sessionId|bookmarked)"')


class LangfuseLoader(Loader):
    name = "langfuse"
    description = "Langfuse trace exports ({trace, observations}, lists of them, API traces with observations)"
    sniffs = "objects with `trace` + `observations`, or observations with `traceId`/`parentObservationId`/`type`"

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if isinstance(first, dict):
            if isinstance(first.get("trace"), dict) and "observations" in first:
                return 1.0
            if "observations" in first and "id" in first and ("projectId" in first or "sessionId" in first):
                return 0.9
            if _is_observation(first):
                return 0.9
        head = sample.text[:8192]
        if '"parentObservationId"' in head and '"traceId"' in head:
            return 0.7
        # An export whose trace alone is larger than the sniffing head: only its first keys show.
        if "trace" in sample.keys and _TRACE_KEYS_RE.search(head):
            return 0.7
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        for line, record in source.records():
            if isinstance(record, dict) and isinstance(record.get("trace"), dict):
                extra = {k: v for k, v in record.items() if k not in ("trace", "observations") and v not in _EMPTY}
                self._trace(record["trace"], record.get("observations"), extra, line, sink)
            elif isinstance(record, dict) and isinstance(record.get("observations"), list) and "id" in record:
                self._trace(record, record["observations"], {}, line, sink)
            elif isinstance(record, dict) and _is_observation(record):
                self._observation(record, None, line, sink)
            else:
                sink.quarantine(line, "not-a-langfuse-trace",
                                "expected a Langfuse export {trace, observations}, a trace with `observations`, "
                                f"or an observation, found {_describe(record)}", record)

    def _trace(self, trace: dict[str, Any], observations: Any, extra: dict[str, Any], line: int, sink: SpanSink) -> None:
        inline = trace.get("observations")
        if not isinstance(observations, list):
            if observations is not None:
                sink.quarantine(line, "not-a-langfuse-trace",
                                f"expected `observations` to be a list, found {type(observations).__name__}", observations)
            observations = inline if isinstance(inline, list) and all(isinstance(o, dict) for o in inline) else []
        root: str | None = None
        try:
            row = trace_row(trace, extra, repeated=bool(observations) and inline is not None,
                            outcome=root_outcome(trace, observations))
        except RecordError as exc:
            sink.quarantine(line, exc.reason, exc.detail, trace)
        else:
            root = row["run_id"]
            sink.add(row, line)
        roles = langgraph_roles(observations)
        exported = exported_ids(observations)
        for observation in observations:
            self._observation(observation, root, line, sink, roles, exported)

    def _observation(self, observation: Any, root: str | None, line: int, sink: SpanSink,
                     roles: dict[str, str] | None = None, exported: frozenset[str] | None = None) -> None:
        try:
            row = observation_row(observation, root, roles, exported)
        except RecordError as exc:
            sink.quarantine(line, exc.reason, exc.detail, observation)
            return
        sink.add(row, line)


def _is_observation(record: dict[str, Any]) -> bool:
    return "traceId" in record and ("parentObservationId" in record or str(record.get("type", "")).upper() in OBSERVATION_KINDS) \
        and "startTime" in record


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "an object with keys " + ", ".join(sorted(value)[:8])
    return type(value).__name__


@dataclass(frozen=True)
class RootOutcome:
    """What a trace's top-level observations say of the run as a whole (None: they say nothing)."""

    status: str  # ok, error or unset
    end_time: int | None


def root_outcome(trace: dict[str, Any], observations: list[Any]) -> RootOutcome | None:
    """The root's status and end from the trace's top-level observations.

    Langfuse traces carry no status, and their ``latency`` is computed from the observations' times
    even while one is still open, so neither says whether the run ended or failed. The top-level
    observations do: one at level ERROR makes the run an error; one without ``endTime`` (EVENTs are
    instants and have none) means the run had not ended when exported; else it ended with its last
    observation. None when the trace has no top-level observation (a trace alone, or a partial
    export): then only ``timestamp + latency`` is left.
    """
    own = as_text(trace.get("id"))
    exported = exported_ids(observations)
    top = [o for o in observations if isinstance(o, dict) and _parent_in_trace(o, exported) is None
           and as_text(o.get("traceId")) in (None, own)]
    if not top:
        return None
    failed = any(str(o.get("level") or "").upper() == "ERROR" for o in top)
    if any(o.get("endTime") in (None, "") and str(o.get("type") or "").upper() != "EVENT" for o in top):
        return RootOutcome("error" if failed else "unset", None)
    ends = [end for o in observations if isinstance(o, dict) and (end := _end_or_none(o)) is not None]
    return RootOutcome("error" if failed else "ok", max(ends) if ends else None)


def exported_ids(observations: list[Any]) -> frozenset[str]:
    """The ids of a trace's observations in the export."""
    return frozenset(o["id"] for o in observations if isinstance(o, dict) and isinstance(o.get("id"), str))


def _parent_in_trace(obs: dict[str, Any], exported: frozenset[str] | None) -> Any:
    """An observation's parent as this export has it: its ``parentObservationId``, or None when that
    is empty or names no observation of the trace. Langfuse stores the OpenTelemetry parent span id
    as it came, and the v3 SDK's span processor exports only some spans (langfuse-python
    langfuse/_client/span_filter.py is_default_export_span: the Langfuse SDK's own, ``gen_ai.*`` ones
    and known LLM instrumentation scopes; span_processor.py drops the rest): an observation under an
    HTTP server span or a database span names a parent the trace never received. It hangs under the
    trace's root like a top-level observation, not as a second root."""
    parent = obs.get("parentObservationId")
    if parent in (None, "") or (exported is not None and isinstance(parent, str) and parent not in exported):
        return None
    return parent


def _end_or_none(obs: dict[str, Any]) -> int | None:
    # An EVENT ends when it starts. A time that does not parse is left out here: the observation's
    # own row reports it (quarantined as invalid-timestamp), so nothing is lost silently.
    value = obs.get("endTime") or (obs.get("startTime") if str(obs.get("type") or "").upper() == "EVENT" else None)
    try:
        return time_ns(value, "endTime")
    except RecordError:
        return None


def trace_row(trace: dict[str, Any], extra: dict[str, Any], repeated: bool,
              outcome: RootOutcome | None = None) -> dict[str, Any]:
    run = trace_id(trace.get("id"), "trace.id")
    if run is None:
        raise RecordError("missing-run-id", "expected `trace.id`, found none. Hint: every Langfuse trace has an id")
    start = time_ns(trace.get("timestamp"), "trace.timestamp")
    latency = _number("trace.latency", trace.get("latency"))
    if outcome is not None:
        end, status = outcome.end_time, outcome.status
    else:
        end = start + int(round(latency * 1e9)) if start is not None and latency is not None else None
        status = "ok" if end is not None else "unset"
    row: dict[str, Any] = {
        "run_id": run,
        "span_id": run,
        "parent_id": None,
        "name": as_text(trace.get("name")),
        "kind": "chain",  # the run's container, whatever its OTel attributes say of the root span
        "session_id": as_text(trace.get("sessionId")),
        "start_time": start,
        "end_time": end,
        "status": status,
        "input": as_text(trace.get("input")),
        "output": as_text(trace.get("output")),
    }
    otel, structural = split_metadata(trace.get("metadata"))
    rest = _finish(row, otel)
    held = _TRACE_HELD | ({"observations"} if repeated else set())
    attrs = {k: v for k, v in trace.items() if k not in held and v not in _EMPTY}
    if latency is not None:
        attrs["latency"] = latency
    attrs.update(rest)
    attrs.update(structural)
    if extra:
        attrs["@export"] = extra
    row["attributes"] = with_outcome(attrs, trace_scores_outcome(trace.get("scores")))
    return row


def trace_scores_outcome(scores: Any) -> dict[str, Any] | None:
    """The trace-level scores (``observationId`` null) as the run's declared outcome, by name
    (see :func:`forensics.outcome.scores_outcome`: only a success-like name gives a verdict; a
    ``toxicity`` or ``hallucination`` score is kept with verdict unknown). BOOLEAN scores are
    read as booleans, CATEGORICAL ones by their ``stringValue``."""
    if not isinstance(scores, list):
        return None
    named: dict[str, Any] = {}
    for score in scores:
        if not isinstance(score, dict) or score.get("observationId") or not isinstance(score.get("name"), str):
            continue
        kind = score.get("dataType")
        value = score.get("value")
        if kind == "CATEGORICAL" or (value is None and score.get("stringValue") is not None):
            value = score.get("stringValue")
        elif kind == "BOOLEAN" and value in (0, 1):
            value = bool(value)
        named[score["name"]] = value
    return scores_outcome("scores", named)


def observation_row(obs: Any, root: str | None, roles: dict[str, str] | None = None,
                    exported: frozenset[str] | None = None) -> dict[str, Any]:
    if not isinstance(obs, dict):
        raise RecordError("not-an-observation", f"expected an observation object, found {type(obs).__name__}")
    type_ = str(obs.get("type") or "SPAN").upper()
    kind = OBSERVATION_KINDS.get(type_)
    run = trace_id(obs.get("traceId"), "traceId") or root
    parent = span_id(obs.get("parentObservationId"), "parentObservationId")
    unexported = parent is not None and root is not None and root == run and _parent_in_trace(obs, exported) is None
    if unexported:
        parent = None  # its parent span was never exported (see _parent_in_trace): it hangs under the root
    own = span_id(obs.get("id"), "id")
    if own is None:
        raise RecordError("missing-span-id", "expected an observation `id`, found none")
    role = (roles or {}).get(obs["id"]) if isinstance(obs.get("id"), str) else None
    if type_ == "AGENT" and role == INNER_MODEL:
        # The v3 LangChain handler types a chain AGENT when "agent" is in its name or class path
        # (langfuse/langchain/CallbackHandler.py _get_observation_type_from_serialized): a ReAct model
        # node "agent" under an agent is that agent's step, as the v2 handler's SPAN of it.
        type_, kind = "SPAN", OBSERVATION_KINDS["SPAN"]
    row: dict[str, Any] = {
        "run_id": run,
        "span_id": own,
        # Top-level observations hang under the trace's root span (when it is in the same run).
        "parent_id": parent if parent is not None else (root if root == run else None),
        "name": as_text(obs.get("name")),
        "kind": None if type_ == "SPAN" else kind,  # a generic SPAN lets the OTel attributes say more
        "start_time": time_ns(obs.get("startTime"), "startTime"),
        "end_time": time_ns(obs.get("endTime"), "endTime"),
        "model": as_text(obs.get("model")) if obs.get("model") not in ("", None) else None,
        "input": as_text(obs.get("input")),
        "output": as_text(obs.get("output")),
    }
    if kind == "event" and row["end_time"] is None:
        row["end_time"] = row["start_time"]
    used = set(_OBS_HELD)
    level = str(obs.get("level") or "DEFAULT").upper()
    if level == "ERROR":
        row["status"] = "error"
        if obs.get("statusMessage") not in (None, ""):
            row["error_message"] = as_text(obs["statusMessage"])
            used.add("statusMessage")
    else:
        row["status"] = "ok" if row["end_time"] is not None else "unset"
    _usage(obs, row, kind in ("llm", "embedding"))
    otel, structural = split_metadata(obs.get("metadata"))
    langchain = langchain_keys(otel, structural)
    rest = _finish(row, otel)
    if row.get("kind") is None:
        found = langchain_span_kind(row["name"], langchain, obs.get("input"))
        if found is None and role in (REQUESTED_TOOL, LONE_TOOL_CALL):
            found = "tool"
        if role in (NODE_STEP, LONE_NODE) and found == "agent":
            found = None  # a LangGraph node with no agent evidence (react_roles)
        row["kind"] = (None if role == INNER_MODEL else found) or kind or "unknown"
    if row.get("agent") is None and row["kind"] != "agent" and role not in (INNER_MODEL, NODE_STEP):
        row["agent"] = owner(langchain) or ("tools" if role in (LONE_TOOLS, LONE_TOOL_CALL) else None)
    if kind is None:
        rest["@type"] = obs.get("type")
    if row["kind"] == "agent" and agents_sdk_trace_span(otel, structural):
        row["kind"], row["agent"] = "chain", None
        rest["@type"] = obs.get("type")
    if row["kind"] == "agent" and row.get("agent") is None:
        row["agent"] = as_text(otel.get("graph.node.id")) or row["name"]
    if row["kind"] == "tool" and row.get("tool") is None:
        row["tool"] = row["name"]
    attrs = {k: v for k, v in obs.items() if k not in used and v not in _EMPTY}
    attrs.update(rest)
    attrs.update(structural)
    if unexported:
        attrs["@parent_not_exported"] = obs["parentObservationId"]
    row["attributes"] = attrs
    return row


def _finish(row: dict[str, Any], otel: dict[str, Any]) -> dict[str, Any]:
    rest = finish_row(row, otel)
    # OpenInference repeats the observation's input/output as input.value/output.value: keep one copy.
    for key, column in (("input.value", "input"), ("output.value", "output")):
        if key in rest and rest[key] == row.get(column):
            del rest[key]
    return rest


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(label: str, value: Any) -> float | None:
    try:
        return as_float(value)
    except ValueError as exc:
        raise RecordError("invalid-value", f"`{label}`: {exc}") from None


def _usage(obs: dict[str, Any], row: dict[str, Any], is_model_call: bool) -> None:
    # usageDetails is sometimes a Python repr string in UI exports (crewai sample): the *Usage ints carry it.
    details, usage, costs = (_dict(obs.get(k)) for k in ("usageDetails", "usage", "costDetails"))
    picks = {
        "input_tokens": (obs.get("inputUsage"), details.get("input"), usage.get("input"), obs.get("promptTokens")),
        "output_tokens": (obs.get("outputUsage"), details.get("output"), usage.get("output"), obs.get("completionTokens")),
        "cost_usd": (obs.get("totalCost"), costs.get("total"), obs.get("calculatedTotalCost")),
    }
    for column, values in picks.items():
        value = next((v for v in values if v is not None), None)
        try:
            number = as_float(value) if column == "cost_usd" else as_int(value)
        except ValueError as exc:
            raise RecordError("invalid-value", f"`{column}` of observation {row['span_id']}: {exc}") from None
        # Langfuse writes 0 usage and cost on every non-model observation: a default, not a measurement.
        if number is not None and (is_model_call or number != 0):
            row[column] = number
