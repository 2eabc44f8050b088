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

Observation ``type`` gives the kind (GENERATION/EMBEDDING → llm, SPAN → chain, EVENT → event,
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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ..normalize import as_float, as_int, as_text
from ..outcome import scores_outcome, with_outcome
from .base import Loader, Sample, Source, SpanSink
from .langsmith import graph_node_is_agent, handoff_key, handoff_target, owner
from .otel_common import RecordError, finish_row, json_text, span_id, time_ns, trace_id

OBSERVATION_KINDS = {
    "SPAN": "chain",
    "GENERATION": "llm",
    "EMBEDDING": "llm",
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
_EMPTY: tuple[Any, ...] = (None, {}, [])
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
        roles = {**requested_tools(observations), **react_roles(observations)}
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


def split_metadata(value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Langfuse ``metadata`` → (OpenTelemetry attributes, structural extras for ``attributes``)."""
    if value in _EMPTY or value == "":
        return {}, {}
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json_text(value, "metadata")
        except orjson.JSONDecodeError:
            return {}, {"metadata": value}  # free text: kept as written
    if not isinstance(parsed, dict):
        return {}, {"metadata": parsed}
    attrs = parsed.get("attributes")
    extras: dict[str, Any] = {}
    if not isinstance(attrs, dict):
        attrs = {}
        if parsed.get("attributes") is not None:
            extras["metadata.attributes"] = parsed["attributes"]
    if parsed.get("resourceAttributes") not in _EMPTY:
        extras["@resource"] = parsed["resourceAttributes"]
    if parsed.get("scope") not in _EMPTY:
        extras["@scope"] = parsed["scope"]
    other = {k: v for k, v in parsed.items() if k not in ("attributes", "resourceAttributes", "scope")}
    if other:
        extras["metadata"] = other
    return dict(attrs), extras


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


def _langchain_metadata(obs: dict[str, Any]) -> dict[str, Any]:
    try:
        otel, structural = split_metadata(obs.get("metadata"))
    except (RecordError, ValueError):  # a bad one is quarantined with its observation
        return {}
    return langchain_keys(otel, structural)


#: The LangChain run metadata the v3 handler sends as span attributes (see langchain_keys).
_LANGCHAIN_KEYS = ("langgraph_node", "lc_agent_name")


def langchain_keys(otel: dict[str, Any], structural: dict[str, Any]) -> dict[str, Any]:
    """A LangChain run's metadata: the v2 handler's (``metadata`` beside the OTel parts), else the
    v3 handler's, sent over OpenTelemetry (langfuse/langchain/CallbackHandler.py passes the run's
    metadata to start_observation), which an export may show among the span's attributes."""
    found = _dict(structural.get("metadata"))
    if any(key in otel for key in _LANGCHAIN_KEYS):
        found = {**{key: otel[key] for key in _LANGCHAIN_KEYS if key in otel}, **found}
    return found


# LangGraph's prebuilt ReAct loop (create_react_agent, langgraph/prebuilt/chat_agent_executor.py) is a
# model node "agent" and the ToolNode "tools"; the compiled graph takes the agent's own name, its node
# in a supervisor or swarm graph. Roles react_roles gives such observations:
LONE_TOOLS = "lone_tools"  # a ToolNode's run with no agent above it: the node's name owns it
INNER_MODEL = "inner_model"  # the model node (or a run it names) under an agent: that agent's step
REQUESTED_TOOL = "requested_tool"  # a plain SPAN a model call before it asked for by name (requested_tools)
# A LangGraph node with no agent evidence (langsmith.graph_node_is_agent: no model call under it, no
# handoff naming it), and the runs in it: a step, not an agent. Under an agent, that agent's step; alone,
# its name still owns its runs (as the ToolNode's).
NODE_STEP = "node_step"
LONE_NODE = "lone_node"


def react_roles(observations: list[Any]) -> dict[str, str]:
    """Observation id → LONE_TOOLS / INNER_MODEL for the runs of a ReAct loop's nodes (metadata
    ``langgraph_node`` "tools" / "agent", no ``lc_agent_name``), by whether an agent is above them
    (``parentObservationId`` chain). As in the LangSmith loader: under an agent both nodes are that
    agent's plumbing; a lone react graph's model node is the agent and its ToolNode's name owns the
    tool runs (its caller, the model node, is a sibling, not above them)."""
    if not any(isinstance(o, dict) and "langgraph_node" in str(o.get("metadata")) for o in observations):
        return {}
    parents: dict[str, str | None] = {}
    agents: set[str] = set()
    nodes: dict[str, str] = {}
    graph_nodes: dict[str, str] = {}  # a LangGraph node's own span -> its node (name = langgraph_node)
    in_node: dict[str, str] = {}  # any run inside a node -> that node
    evidence: set[str] = set()  # observations with a model call under them
    targets: set[str] = set()
    for obs in observations:
        if not isinstance(obs, dict) or not isinstance(obs.get("id"), str):
            continue
        metadata = _langchain_metadata(obs)
        parent = obs.get("parentObservationId")
        parents[obs["id"]] = parent if isinstance(parent, str) else None
        node = metadata.get("langgraph_node") if metadata.get("lc_agent_name") in (None, "") else None
        target = handoff_target(obs.get("name"), metadata)
        if target is not None:
            targets.add(target)
        if node in ("tools", "agent"):
            nodes[obs["id"]] = node
            if node == "agent":
                evidence.add(obs["id"])  # create_react_agent's model node is a model call by construction
        elif str(obs.get("type")).upper() == "AGENT" or langchain_span_kind(as_text(obs.get("name")), metadata) == "agent":
            agents.add(obs["id"])
            if str(obs.get("type")).upper() != "AGENT" and isinstance(node, str) and node == obs.get("name"):
                graph_nodes[obs["id"]] = node
        if isinstance(node, str) and node not in ("tools", "agent"):
            in_node[obs["id"]] = node
        if str(obs.get("type")).upper() == "GENERATION":
            evidence.add(obs["id"])
    above_model = _above(evidence, parents)
    plain = {own for own, node in graph_nodes.items()
             if own not in above_model and not graph_node_is_agent(node, handoff_key(node) in targets)}
    agents -= plain
    roles: dict[str, str] = {}
    for own, node in nodes.items():
        seen = {own}
        current = parents.get(own)
        while current is not None and current not in seen and current not in agents:
            seen.add(current)
            current = parents.get(current)
        under_agent = current is not None and current in agents
        if node == "tools" and not under_agent:
            roles[own] = LONE_TOOLS
        elif node == "agent" and under_agent:
            roles[own] = INNER_MODEL
    for own, node in in_node.items():
        step = _nearest(own, parents, _is_node_span(graph_nodes, node))
        if step is not None and step in plain:
            roles[own] = NODE_STEP if _nearest(parents.get(step), parents, agents.__contains__) is not None else LONE_NODE
    return roles


def _nearest(start: str | None, parents: dict[str, str | None], match: Callable[[str], bool]) -> str | None:
    """The observation itself or its nearest ancestor that matches, by ``parentObservationId``."""
    seen: set[str] = set()
    current = start
    while current is not None and current not in seen:
        if match(current):
            return current
        seen.add(current)
        current = parents.get(current)
    return None


def _is_node_span(graph_nodes: dict[str, str], node: str) -> Callable[[str], bool]:
    def matches(own: str) -> bool:
        return graph_nodes.get(own) == node

    return matches


def _above(found: set[str], parents: dict[str, str | None]) -> set[str]:
    """Every observation above one of ``found``."""
    above: set[str] = set()
    for own in found:
        current = parents.get(own)
        while current is not None and current not in above:
            above.add(current)
            current = parents.get(current)
    return above


def requested_tools(observations: list[Any]) -> dict[str, str]:
    """Observation id → REQUESTED_TOOL for a plain SPAN named as a tool a GENERATION before it, under
    the same parent, asked for. The v2 LangChain handler writes a tool run as a SPAN named by the tool
    (langfuse/callback/langchain.py on_tool_start: name = the run's name, input = input_str) beside the
    model call whose AIMessage requested it (``tool_calls`` / ``additional_kwargs.tool_calls``, each
    named by ``name`` or ``function.name``): AgentExecutor and LangGraph's ToolNode run the tool the
    model named. Its tool metadata (``color``) says so too when present; this reads an export without it."""
    asked: dict[Any, list[tuple[int, set[str]]]] = {}
    for obs in observations:
        if isinstance(obs, dict) and str(obs.get("type")).upper() == "GENERATION":
            names = _tool_call_names(obs.get("output"))
            started = _start(obs) if names else None
            if started is not None:
                asked.setdefault(obs.get("parentObservationId"), []).append((started, names))
    if not asked:
        return {}
    roles: dict[str, str] = {}
    for obs in observations:
        if (isinstance(obs, dict) and str(obs.get("type") or "SPAN").upper() == "SPAN" and isinstance(obs.get("id"), str)
                and isinstance(obs.get("name"), str) and obs.get("parentObservationId") in asked):
            started = _start(obs)
            earlier = asked[obs.get("parentObservationId")]
            if started is not None and any(t < started and obs["name"] in names for t, names in earlier):
                roles[obs["id"]] = REQUESTED_TOOL
    return roles


def _start(obs: dict[str, Any]) -> int | None:
    try:
        return time_ns(obs.get("startTime"), "startTime")
    except RecordError:  # quarantined with its observation
        return None


def _tool_call_names(output: Any) -> set[str]:
    """The tools a model call's output (a LangChain AIMessage as Langfuse keeps it) asked for."""
    if isinstance(output, str) and "tool_calls" in output:
        try:
            output = orjson.loads(output)
        except orjson.JSONDecodeError:
            return set()
    if not isinstance(output, dict):
        return set()
    names: set[str] = set()
    for calls in (output.get("tool_calls"), _dict(output.get("additional_kwargs")).get("tool_calls")):
        for call in calls if isinstance(calls, list) else ():
            name = (call.get("name") or _dict(call.get("function")).get("name")) if isinstance(call, dict) else None
            if isinstance(name, str) and name:
                names.add(name)
    return names


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
    _usage(obs, row, kind == "llm")
    otel, structural = split_metadata(obs.get("metadata"))
    langchain = langchain_keys(otel, structural)
    rest = _finish(row, otel)
    if row.get("kind") is None:
        found = langchain_span_kind(row["name"], langchain)
        if found is None and role == REQUESTED_TOOL:
            found = "tool"
        if role in (NODE_STEP, LONE_NODE) and found == "agent":
            found = None  # a LangGraph node with no agent evidence (react_roles)
        row["kind"] = (None if role == INNER_MODEL else found) or kind or "unknown"
    if row.get("agent") is None and row["kind"] != "agent" and role not in (INNER_MODEL, NODE_STEP):
        row["agent"] = owner(langchain) or ("tools" if role == LONE_TOOLS else None)
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


#: OpenInference's OpenAI Agents SDK processor (openinference-instrumentation-openai-agents
#: _processor.py): on_trace_start opens the SDK trace's own span, named by the trace's workflow name,
#: with the span kind AGENT and nothing else; every SDK span it writes in on_span_start carries
#: ``llm.system`` beside its kind.
_AGENTS_SDK_SCOPE = "openinference.instrumentation.openai_agents"


def agents_sdk_trace_span(otel: dict[str, Any], structural: dict[str, Any]) -> bool:
    """Whether an AGENT observation is OpenInference's span of an OpenAI Agents SDK *trace* (the
    workflow, e.g. "Agent workflow") rather than of an agent: its scope is the openai_agents
    instrumentation and it has no ``llm.system``. The agents run under it; it is the run's container."""
    scope = structural.get("@scope")
    return isinstance(scope, dict) and scope.get("name") == _AGENTS_SDK_SCOPE and "llm.system" not in otel


# The Langfuse v2 LangChain CallbackHandler (langfuse/callback/langchain.py) writes every chain, node
# and tool as a plain SPAN; only its metadata tells them apart. on_tool_start merges the callback's
# extra keyword arguments into the metadata (``meta.update({k: v for k, v in kwargs.items() if v is
# not None})``), and LangChain's BaseTool.run passes ``color=start_color`` ("green" unless an
# AgentExecutor picked one of its colour names) and ``inputs`` (the tool's argument dict)
# (langchain_core/tools/base.py; colours: langchain_core/utils/input.py _TEXT_COLOR_MAPPING). No
# chain span gets them: on_chain_start writes the tags and the run's config metadata only.
_LANGCHAIN_COLOURS = frozenset({"blue", "yellow", "pink", "green", "red"})


def langchain_span_kind(name: str | None, metadata: dict[str, Any]) -> str | None:
    """A v2 LangChain SPAN's kind: ``tool`` (on_tool_start's colour in its metadata), ``agent`` (the
    LangGraph node or LangChain agent its metadata names: ``langgraph_node``/``lc_agent_name`` equal to
    its name, never the ToolNode ``tools``, as for LangSmith), else None (a chain)."""
    colour = metadata.get("color")
    if isinstance(colour, str) and colour in _LANGCHAIN_COLOURS:
        return "tool"
    if name is not None and name == owner(metadata):
        return "agent"
    return None


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
