"""Which LangGraph node spans of OpenLLMetry (Traceloop) are agents, and who owns the others, for
finalisation (forensics/finalize.py), from the node spans' own keys and the span tree.

OpenLLMetry's LangChain instrumentation opens a span for every LangChain run (traceloop/openllmetry
packages/opentelemetry-instrumentation-langchain/opentelemetry/instrumentation/langchain/callback_handler.py):
a chain run is ``{name}.task`` with ``traceloop.span.kind`` task (``{name}.workflow`` at the root) and
``traceloop.entity.name`` its name, and the run's metadata goes into the context's association
properties (``_create_span``), which the traceloop-sdk writes on every span started under it as
``traceloop.association.properties.<key>`` (traceloop-sdk tracing/tracing.py); with prompts traced the
task's ``traceloop.entity.input`` holds ``{"inputs", "tags", "metadata", "kwargs"}`` too
(``on_chain_start``). LangGraph runs each node as a chain run named after the node with
``metadata["langgraph_node"]`` = that name (langgraph/pregel/_algo.py prepare_single_task). Nothing
in the format says agent: the loader left every node's ``agent`` empty, and a LangGraph run traced by
OpenLLMetry had no agent at all.

The node span (``<node>.task`` whose langgraph_node is ``<node>``) is read as the LangSmith and
Langfuse loaders read the same node's run (forensics/loaders/langsmith_agents.py graph_node_is_agent,
_run_owner): an agent when a model call runs under it or a handoff names it, except create_react_agent's
model node ``agent`` and the ToolNode ``tools`` (plumbing of the agent above them); ``__start__`` (the
graph's input node) names nobody. Any other node (a router, a review step, ``tools``, ``agent``) is a
step of the agent above it and, with no agent above it, the owner of its runs by its name (``agent``
alone is the agent: a lone create_react_agent graph).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_rows import gather, mask, patch, repeated_text, texts
from .loaders.langsmith_agents import handoff_key

#: The node a span runs in, as the traceloop-sdk writes the LangChain run's metadata.
NODE_ASSOCIATION = r'"traceloop\.association\.properties\.langgraph_node"\s*:\s*"(?P<name>[^"\\]+)"'
#: The same in the task's traced input (``{"inputs": ..., "tags": ..., "metadata": {...}}``), without the sdk.
NODE_IN_INPUT = r'"metadata"\s*:\s*\{[^{}]*?"langgraph_node"\s*:\s*"(?P<name>[^"\\]+)"'
#: callback_handler.py _create_task_span names a chain run's span ``{name}.{kind}``.
TASK_SUFFIX = ".task"
#: LangGraph's input node (langgraph/constants.py START): names nobody.
START_NODE = "__start__"
#: create_react_agent's model node and the prebuilt ToolNode (langgraph/prebuilt/chat_agent_executor.py,
#: tool_node.py): the agent above them owns them; alone, the model node is the agent.
REACT_PLUMBING = frozenset({"agent", "tools"})


@dataclass(frozen=True)
class NodeOwners:
    """Rows of LangGraph node spans: ``agents`` are agents now (kind agent, agent = node);
    ``steps`` own their runs by their name only where no agent is above them (``lone_agents``: and
    are the agent then)."""

    agents: np.ndarray
    agent_names: list[str]
    steps: np.ndarray
    step_names: list[str]
    lone_agents: np.ndarray


def node_spans(name: pa.Array, attributes: pa.Array, inputs: pa.Array) -> tuple[np.ndarray, list[str | None]]:
    """Of candidate rows (chain spans named ``*.task`` with no agent yet), which are a node's own span,
    and the node each names."""
    frame = pl.DataFrame({"name": pl.Series(name, dtype=pl.String), "attributes": pl.Series(attributes, dtype=pl.String),
                          "input": pl.Series(inputs, dtype=pl.String)})
    node = pl.coalesce(pl.col("attributes").str.extract(NODE_ASSOCIATION, 1), pl.col("input").str.extract(NODE_IN_INPUT, 1))
    nodes = frame.select(node.alias("node"), (pl.col("name") == node + TASK_SUFFIX).fill_null(False).alias("own"))
    return nodes["own"].to_numpy(), nodes["node"].to_list()


def _above(rows: np.ndarray, parent_row: np.ndarray) -> np.ndarray:
    """Every row that is an ancestor of one of ``rows``, by parent rows (``-1`` for none), level by level."""
    marked = np.zeros(len(parent_row), bool)
    frontier = np.unique(parent_row[rows])
    while True:
        frontier = frontier[frontier >= 0]
        frontier = frontier[~marked[frontier]]
        if not len(frontier):
            return marked
        marked[frontier] = True
        frontier = np.unique(parent_row[frontier])


def owners(rows: np.ndarray, nodes: list[str], is_llm: np.ndarray, parent_row: np.ndarray,
           handoff_targets: set[str]) -> NodeOwners:
    """The node spans at ``rows`` (naming ``nodes``) sorted into agents and steps (see the module)."""
    under_model = _above(np.flatnonzero(is_llm), parent_row)[rows] if is_llm.any() else np.zeros(len(rows), bool)
    named = np.array([handoff_key(n) in handoff_targets for n in nodes], bool) if handoff_targets else np.zeros(len(rows), bool)
    plumbing = np.array([n in REACT_PLUMBING for n in nodes], bool)
    start = np.array([n == START_NODE for n in nodes], bool)
    agent = (under_model | named) & ~plumbing & ~start
    step = ~agent & ~start
    return NodeOwners(agents=rows[agent], agent_names=[n for n, a in zip(nodes, agent, strict=True) if a],
                      steps=rows[step], step_names=[n for n, s in zip(nodes, step, strict=True) if s],
                      lone_agents=np.array([n == "agent" for n, s in zip(nodes, step, strict=True) if s], bool))


def candidates(kind: pa.ChunkedArray | pa.Array, agent: pa.ChunkedArray | pa.Array, name: pa.ChunkedArray) -> pa.ChunkedArray:
    """Spans that may be an OpenLLMetry LangGraph node's: chain spans named ``*.task`` with no agent
    (no Python value compared: ``pa.scalar`` imports pandas)."""
    return pc.and_(pc.and_(pc.is_in(kind, value_set=texts(["chain"])), pc.is_null(agent)), pc.ends_with(name, TASK_SUFFIX))


def node_agents(spans: pa.Table, columns: dict[str, pa.ChunkedArray],
                parent_rows: Callable[[], np.ndarray]) -> NodeOwners | None:
    """The agents among the node spans become agent spans named by their node, in ``columns``
    (``kind``, ``agent``; ``handoff_to`` read); the node steps are returned for lone_steps, after
    inheritance. None where the table holds no node span (the usual case: one column scan)."""
    rows = np.flatnonzero(mask(candidates(columns["kind"], columns["agent"], spans.column("name"))))
    if not len(rows):
        return None
    own, nodes = node_spans(gather(spans.column("name"), rows), gather(spans.column("attributes"), rows),
                            gather(spans.column("input"), rows))
    named = [n for n, o in zip(nodes, own, strict=True) if o]
    rows = rows[own]
    if not len(rows):
        return None
    targets = {handoff_key(t) for t in pc.unique(columns["handoff_to"].drop_null()).to_pylist() if t}
    found = owners(rows, [n or "" for n in named], mask(pc.is_in(columns["kind"], value_set=texts(["llm"]))), parent_rows(), targets)
    if len(found.agents):
        names = texts(found.agent_names)
        columns["agent"] = patch(columns["agent"], found.agents, lambda lo, hi: names.slice(lo, hi - lo))
        columns["kind"] = patch(columns["kind"], found.agents, lambda lo, hi: repeated_text("agent", hi - lo))
    return found


def lone_steps(columns: dict[str, pa.ChunkedArray], found: NodeOwners) -> bool:
    """The node steps no agent is above (still without one after inheritance) own their runs by their
    name; create_react_agent's lone model node ``agent`` is the agent. Whether any row changed."""
    if not len(found.steps):
        return False
    lone = mask(pc.is_null(gather(columns["agent"], found.steps)))
    if not lone.any():
        return False
    names = texts([n for n, keep in zip(found.step_names, lone, strict=True) if keep])
    columns["agent"] = patch(columns["agent"], found.steps[lone], lambda lo, hi: names.slice(lo, hi - lo))
    react = found.steps[lone & found.lone_agents]
    if len(react):
        columns["kind"] = patch(columns["kind"], react, lambda lo, hi: repeated_text("agent", hi - lo))
    return True
