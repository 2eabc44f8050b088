"""Which LangSmith runs are agents, and whose: LangSmith has no agent run type, so an agent is a chain
run that the framework's own conventions name (split from langsmith.py, the loader, by job: the
loader reads and merges runs; this module decides agents and owners over the buffered runs, and
langfuse.py reads LangGraph nodes the same way)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..normalize import as_text
from .otel_common import RecordError, span_id

_LOWER_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class _Run:
    """One run waiting for its patches: the merged record and where it came from."""

    record: dict[str, Any]
    line: int
    nested_parent: str | None = None
    nested_trace: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    #: A model call (``run_type`` llm) runs under it, or it is a handoff's target: agent evidence for a
    #: LangGraph node, set for every run by ``_mark_agent_nodes``.
    works_as_agent: bool = False


def _id(value: Any, label: str) -> str | None:
    """A run id: canonical lowercase UUIDs (nearly all of LangSmith's) skip the general converter."""
    if type(value) is str and len(value) == 36 and _LOWER_UUID_RE.match(value):
        return value
    return span_id(value, label)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- which chain runs are agents -----------------------------------------------------------------
# LangSmith has no agent run type: an agent is a chain run like any pipeline step or request
# handler. Only evidence that the framework (or the developer) wrote makes one an agent; each
# predicate below is one such convention, checked on (name, extra.metadata, extra, whether a model
# call runs under the run).

# Metadata keys naming the agent a run belongs to, most specific first: LangChain's create_agent and
# deepagents write ``lc_agent_name`` on every run inside the agent; LangGraph writes the node.
_OWNER_KEYS = ("lc_agent_name", "langgraph_node")
# An agent's name by convention: "support_agent", "Haiku agent", "ResearchAgent", "kb-agent", and
# LangChain's classic agent loop "AgentExecutor".
_AGENT_NAME_RE = re.compile(r"(?:^|[\s_.\-])(?:[Aa]gent|AGENT)$|(?<=[a-z0-9])Agent$|^AgentExecutor$")


def _named_by_metadata(name: str | None, metadata: dict[str, Any], extra: dict[str, Any], works_as_agent: bool) -> bool:
    # The run *is* the agent its metadata names for all its children. When lc_agent_name is there
    # it alone counts: the LangGraph nodes inside a create_agent agent ("model", "tools") are steps.
    if name is None or name != owner(metadata):
        return False
    return metadata.get("lc_agent_name") not in (None, "") or graph_node_is_agent(name, works_as_agent)


def graph_node_is_agent(node: str, works_as_agent: bool) -> bool:
    """Whether a LangGraph node's run is an agent's. LangGraph runs every node under its own name
    with ``langgraph_node`` = that name (langgraph/pregel/_algo.py prepare_single_task: ``run_name=name``,
    ``metadata={"langgraph_node": name, ...}``), so the name alone says only that it is a node: a
    router, ``__start__`` or a plain function node (a human-review step, a formatter) is one too. A
    node is an agent when a model call runs under it (a create_react_agent subgraph, a function node
    that calls a model), when a handoff names it (a supervisor's or swarm's named agent:
    langgraph-supervisor supervisor.py ``add_node(agent.name, ...)``, ``transfer_to_<name>``: see
    _handoff_targets), or when it is create_react_agent's own model node ``agent`` (see
    _REACT_MODEL_NODE), whose model call an export may lack. ``works_as_agent``: the first two."""
    return works_as_agent or node == _REACT_MODEL_NODE


def _openai_agents_sdk(name: str | None, metadata: dict[str, Any], extra: dict[str, Any], works_as_agent: bool) -> bool:
    # langsmith's OpenAIAgentsTracingProcessor writes an AgentSpanData as a chain run whose
    # invocation_params hold the agent's tools and handoffs (handoff and custom spans have neither).
    params = _dict(extra.get("invocation_params"))
    return "handoffs" in params and "tools" in params


def _agent_name(name: str | None, metadata: dict[str, Any], extra: dict[str, Any], works_as_agent: bool) -> bool:
    return name is not None and _AGENT_NAME_RE.search(name) is not None


AGENT_EVIDENCE = (_named_by_metadata, _openai_agents_sdk, _agent_name)


def is_agent_run(name: str | None, metadata: dict[str, Any], extra: dict[str, Any], works_as_agent: bool) -> bool:
    """Whether a chain run is an agent's own run, by any of the conventions in ``AGENT_EVIDENCE``."""
    return any(evidence(name, metadata, extra, works_as_agent) for evidence in AGENT_EVIDENCE)


def _mark_agent_nodes(runs: list[_Run], by_id: dict[str, _Run]) -> None:
    """Set ``works_as_agent`` on every run above a model call (``run_type`` llm, or create_react_agent's
    model node ``agent``, which is one by construction), by parent_run_id, and on the LangGraph node
    runs a handoff in the file names (see _handoff_targets)."""
    for pending in runs:
        record = pending.record
        if str(record.get("run_type", "")).lower() != "llm" and not (
                record.get("name") == _REACT_MODEL_NODE
                and _dict(_dict(record.get("extra")).get("metadata")).get("langgraph_node") == _REACT_MODEL_NODE):
            continue
        try:
            up = _parent_of(pending)
            for _, above in _ancestors(_id(up, "parent_run_id") if up is not None else None, by_id, set()):
                if above.works_as_agent:
                    break  # and so is everything above it
                above.works_as_agent = True
        except RecordError:  # an id that is no id: its own row reports it
            continue
    targets = _handoff_targets(runs)
    for pending in runs if targets else ():
        record = pending.record
        node = _dict(_dict(record.get("extra")).get("metadata")).get("langgraph_node")
        if isinstance(node, str) and record.get("name") == node and handoff_key(node) in targets:
            pending.works_as_agent = True

def handoff_key(name: str) -> str:
    # langgraph-supervisor / langgraph-swarm handoff.py _normalize_agent_name: whitespace to "_", lower case.
    return re.sub(r"\s+", "_", name.strip()).lower()


def handoff_target(name: Any, metadata: dict[str, Any]) -> str | None:
    """The agent a handoff tool run hands to, as handoff_key: langgraph-supervisor's and
    langgraph-swarm's ``create_handoff_tool(agent_name=...)`` is a tool named
    ``transfer_to_<agent_name>`` whose ``metadata`` is ``{"__handoff_destination": agent_name}``
    (langgraph_supervisor/handoff.py, langgraph_swarm/handoff.py), and it answers
    ``Command(goto=agent_name, graph=Command.PARENT)``: the target is a node of the parent graph, and an agent."""
    destination = metadata.get("__handoff_destination")
    if isinstance(destination, str) and destination:
        return handoff_key(destination)
    if isinstance(name, str) and name.startswith("transfer_to_") and len(name) > len("transfer_to_"):
        return handoff_key(name[len("transfer_to_"):])
    return None


def _handoff_targets(runs: list[_Run]) -> set[str]:
    """The agents the file's handoff tool runs hand to (handoff_target)."""
    targets: set[str] = set()
    for pending in runs:
        record = pending.record
        if str(record.get("run_type", "")).lower() == "tool":
            target = handoff_target(record.get("name"), _dict(_dict(record.get("extra")).get("metadata")))
            if target is not None:
                targets.add(target)
    return targets


# LangGraph's prebuilt ToolNode is a graph node named "tools" (langgraph/prebuilt/tool_node.py:
# ``ToolNode.__init__(tools, *, name="tools")``; create_react_agent and langgraph-supervisor add it as
# ``add_node("tools", tool_node)``): plumbing that runs the calling agent's tool calls, not an agent.
# Its runs and the tool runs inside it (``langgraph_node: "tools"``) belong to the agent above it.
_PLUMBING_NODES = frozenset({"tools"})
# LangGraph's input node (langgraph/constants.py START = "__start__"; graph/state.py attaches it as a
# PregelNode tagged TAG_HIDDEN "langsmith:hidden"): it copies the graph's input into the state channels
# and names nobody, in any graph.
_GRAPH_INTERNAL_NODES = frozenset({"__start__"})


def owner(metadata: dict[str, Any]) -> str | None:
    """The agent a LangChain/LangGraph run's metadata names (``lc_agent_name``, else the LangGraph
    node unless it is the ToolNode), or None."""
    for key in _OWNER_KEYS:
        value = metadata.get(key)
        if value in (None, "") or (key == "langgraph_node" and _is_in(value, _PLUMBING_NODES | _GRAPH_INTERNAL_NODES)):
            continue
        return as_text(value)
    return None


def _is_in(value: Any, names: frozenset[str]) -> bool:
    """Membership for metadata values of any JSON type (a list or object is unhashable)."""
    return isinstance(value, str) and value in names


def _run_owner(pending: _Run, metadata: dict[str, Any], parent: str | None, by_id: dict[str, _Run]) -> str | None:
    """The agent a non-agent run's metadata names. A run of the ToolNode (``langgraph_node: "tools"``)
    belongs to the agent graph it runs in (left null, inherited by the caller); only where no
    ancestor is an agent (a lone create_react_agent graph, whose ToolNode sits beside its model
    node) does the node's name stay its owner, as nothing better names who called the tools. A
    graph node that is no agent (no model call under it: graph_node_is_agent) is such plumbing too."""
    named = owner(metadata)
    if named is not None and _inner_model_node(named, metadata, parent, by_id):
        return None
    if named is not None and metadata.get("lc_agent_name") in (None, "") and not _node_run_is_agent(named, pending, by_id):
        return None if _has_agent_ancestor(parent, by_id) else named
    if named is not None or not _is_in(metadata.get("langgraph_node"), _PLUMBING_NODES):
        return named
    return None if _has_agent_ancestor(parent, by_id) else as_text(metadata["langgraph_node"])


# create_react_agent's model node is named "agent" (langgraph/prebuilt/chat_agent_executor.py:
# workflow.add_node("agent", RunnableCallable(call_model, acall_model))); the compiled graph takes the
# agent's own name (create_react_agent(..., name=...)), which is its node in a supervisor or swarm
# graph (langgraph-supervisor / langgraph-swarm add_node(agent.name, agent)). So under an agent, the
# node "agent" is that agent's model step, not a second agent; alone (no agent above it) it is the
# only agent there is.
_REACT_MODEL_NODE = "agent"


def _inner_model_node(name: str | None, metadata: dict[str, Any], parent: str | None, by_id: dict[str, _Run]) -> bool:
    return (name == _REACT_MODEL_NODE and metadata.get("langgraph_node") == _REACT_MODEL_NODE
            and metadata.get("lc_agent_name") in (None, "") and _has_agent_ancestor(parent, by_id))


def _node_run_is_agent(node: str, pending: _Run, by_id: dict[str, _Run]) -> bool:
    """Whether the run of the LangGraph node ``node`` (the run itself, else its nearest ancestor so
    named, with that ``langgraph_node``) is an agent's; true when that run is not in the file (a
    partial export: nothing says otherwise)."""
    up = _parent_of(pending)
    try:
        chain = [pending, *(run for _, run in _ancestors(_id(up, "parent_run_id") if up is not None else None, by_id, set()))]
    except RecordError:
        return True
    for run in chain:
        metadata = _dict(_dict(run.record.get("extra")).get("metadata"))
        if run.record.get("name") == node and metadata.get("langgraph_node") == node:
            return graph_node_is_agent(node, run.works_as_agent)
    return True


def _has_agent_ancestor(parent: str | None, by_id: dict[str, _Run]) -> bool:
    try:
        for _, pending in _ancestors(parent, by_id, set()):
            run = pending.record
            extra = _dict(run.get("extra"))
            run_type = str(run.get("run_type", "")).lower()
            if run_type == "agent" or (run_type == "chain" and is_agent_run(
                    as_text(run.get("name")), _dict(extra.get("metadata")), extra, pending.works_as_agent)):
                return True
    except RecordError:  # an ancestor's parent id that is no id: its own row reports it
        return False
    return False


def _ancestors(parent: str | None, by_id: dict[str, _Run], seen: set[str]) -> Iterator[tuple[str, _Run]]:
    """The buffered runs above a run, nearest first, by parent_run_id (else the child_runs nesting),
    ids normalised as the buffer's keys; the walk ends at a run not in the file, a root, or a cycle.
    A parent id that is no id raises RecordError."""
    current = parent
    while current is not None and current not in seen:
        seen.add(current)
        pending = by_id.get(current)
        if pending is None:
            return
        yield current, pending
        up = _parent_of(pending)
        current = _id(up, "parent_run_id") if up is not None else None


def _parent_of(pending: _Run) -> Any:
    return pending.record.get("parent_run_id") or pending.nested_parent
