"""How Langfuse observations written by LangChain/LangGraph handlers and OpenInference bridges are
read: which are a LangGraph node's steps, which tools a model asked for, which span is the Agents
SDK's trace wrapper (split from langfuse.py, the loader, by job; the LangGraph agent rules are
langsmith_agents.py's, shared with the LangSmith loader)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..normalize import as_text
from .langsmith_agents import graph_node_is_agent, handoff_key, handoff_target, owner
from .otel_common import RecordError, json_text, time_ns
from .otel_common import agents_sdk_trace_span as trace_span_of_scope

#: Values that say nothing (an exporter's empty metadata).
EMPTY: tuple[Any, ...] = (None, {}, [])


def split_metadata(value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Langfuse ``metadata`` → (OpenTelemetry attributes, structural extras for ``attributes``)."""
    if value in EMPTY or value == "":
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
    if parsed.get("resourceAttributes") not in EMPTY:
        extras["@resource"] = parsed["resourceAttributes"]
    if parsed.get("scope") not in EMPTY:
        extras["@scope"] = parsed["scope"]
    other = {k: v for k, v in parsed.items() if k not in ("attributes", "resourceAttributes", "scope")}
    if other:
        extras["metadata"] = other
    return dict(attrs), extras


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


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
LONE_TOOL_CALL = "lone_tool_call"  # both: a requested tool's run in a ToolNode with no agent above it
# A LangGraph node with no agent evidence (langsmith.graph_node_is_agent: no model call under it, no
# handoff naming it), and the runs in it: a step, not an agent. Under an agent, that agent's step; alone,
# its name still owns its runs (as the ToolNode's).
NODE_STEP = "node_step"
LONE_NODE = "lone_node"


def langgraph_roles(observations: list[Any]) -> dict[str, str]:
    """requested_tools and react_roles together: react_roles' role wins, but a tool run a model
    asked for inside a lone ToolNode keeps both (LONE_TOOL_CALL: a tool, owned by the node)."""
    asked = requested_tools(observations)
    roles = {**asked, **react_roles(observations)}
    roles.update({own: LONE_TOOL_CALL for own in asked if roles[own] == LONE_TOOLS})
    return roles


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
    """Observation id → REQUESTED_TOOL for a plain SPAN named as a tool a GENERATION before it asked
    for. The v2 LangChain handler writes a tool run as a SPAN named by the tool, its input the tool
    input as text (langfuse/callback/langchain.py on_tool_start: name = the run's name, input =
    input_str), near the model call whose AIMessage requested it (``tool_calls`` /
    ``additional_kwargs.tool_calls``, each named by ``name`` or ``function.name``): beside it under the
    same parent, or a level up, as a text-input run. AgentExecutor runs the tool under itself and the
    model call under its agent's RunnableSequence (langchain/agents/agent.py: plan(...,
    callbacks=run_manager.get_child()), _perform_agent_action: tool.run(...,
    callbacks=run_manager.get_child())); LangGraph's ToolNode runs it under the node ``tools``, the
    model call under the agent's node, both in the graph. Its tool metadata (``color``) says so too
    when present; this reads an export without it (a handler that kept only the run's metadata)."""
    parents = {o["id"]: o.get("parentObservationId") for o in observations
               if isinstance(o, dict) and isinstance(o.get("id"), str)}
    asked: list[tuple[int, set[str], Any, set[Any]]] = []
    for obs in observations:
        if isinstance(obs, dict) and str(obs.get("type")).upper() == "GENERATION":
            names = _tool_call_names(obs.get("output"))
            started = _start(obs) if names else None
            if started is not None:
                parent = obs.get("parentObservationId")
                asked.append((started, names, parent, _lineage(parent, parents)))
    if not asked:
        return {}
    roles: dict[str, str] = {}
    for obs in observations:
        if not (isinstance(obs, dict) and str(obs.get("type") or "SPAN").upper() == "SPAN" and isinstance(obs.get("id"), str)
                and isinstance(obs.get("name"), str)):
            continue
        parent = obs.get("parentObservationId")
        # A text input is on_tool_start's input_str; a chain's input is its inputs object.
        up = (parent, parents.get(parent)) if isinstance(parent, str) and isinstance(obs.get("input"), str) else ()
        started = _start(obs)
        if started is not None and any(t < started and obs["name"] in names and (parent == at or any(u in lineage for u in up))
                                       for t, names, at, lineage in asked):
            roles[obs["id"]] = REQUESTED_TOOL
    return roles


def _lineage(start: Any, parents: dict[str, Any]) -> set[Any]:
    """An observation id and every id above it, by ``parentObservationId``."""
    found: set[Any] = set()
    current = start
    while isinstance(current, str) and current not in found:
        found.add(current)
        current = parents.get(current)
    return found


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


def agents_sdk_trace_span(otel: dict[str, Any], structural: dict[str, Any]) -> bool:
    """Whether an AGENT observation is OpenInference's span of an OpenAI Agents SDK *trace* (the
    workflow, e.g. "Agent workflow") rather than of an agent (otel_common.agents_sdk_trace_span, on
    the observation's scope). The agents run under it; it is the run's container."""
    scope = structural.get("@scope")
    return isinstance(scope, dict) and trace_span_of_scope(otel, scope.get("name"))


# The Langfuse v2 LangChain CallbackHandler (langfuse/callback/langchain.py) writes every chain, node
# and tool as a plain SPAN; only its metadata tells them apart. on_tool_start merges the callback's
# extra keyword arguments into the metadata (``meta.update({k: v for k, v in kwargs.items() if v is
# not None})``), and LangChain's BaseTool.run passes ``color=start_color`` ("green" unless an
# AgentExecutor picked one of its colour names) and ``inputs`` (the tool's argument dict)
# (langchain_core/tools/base.py; colours: langchain_core/utils/input.py _TEXT_COLOR_MAPPING). No
# chain span gets them: on_chain_start writes the tags and the run's config metadata only.
# BaseTool.run passes ``inputs=tool_input if isinstance(tool_input, dict) else None`` and the text
# ``str(tool_input)`` as input_str, which on_tool_start writes as the SPAN's input: an ``inputs``
# object in the metadata beside an input that is text is a tool's (a chain's input is its inputs
# object itself), whatever colour the export kept.
_LANGCHAIN_COLOURS = frozenset({"blue", "yellow", "pink", "green", "red"})


def langchain_span_kind(name: str | None, metadata: dict[str, Any], raw_input: Any = None) -> str | None:
    """A v2 LangChain SPAN's kind: ``tool`` (on_tool_start's colour in its metadata, or its ``inputs``
    object beside an input given as text: ``raw_input``, the observation's input as exported),
    ``agent`` (the LangGraph node or LangChain agent its metadata names: ``langgraph_node``/
    ``lc_agent_name`` equal to its name, never the ToolNode ``tools``, as for LangSmith), else None
    (a chain)."""
    colour = metadata.get("color")
    if isinstance(colour, str) and colour in _LANGCHAIN_COLOURS:
        return "tool"
    if isinstance(metadata.get("inputs"), dict) and metadata["inputs"] and isinstance(raw_input, str):
        return "tool"
    if name is not None and name == owner(metadata):
        return "agent"
    return None
