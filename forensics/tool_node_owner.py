"""A LangGraph ToolNode with no agent above it runs the tool calls of the agent node that ran just
before it, beside it: those are that agent's calls, for finalisation (forensics/finalize.py).

LangGraph's prebuilt ReAct graph is two sibling nodes (langgraph/prebuilt/chat_agent_executor.py
``create_react_agent``: ``add_node("agent", call_model)``, ``add_node("tools", tool_node)``,
``add_conditional_edges("agent", should_continue, ...)`` routes to "tools" when the model's last
message has tool_calls, ``add_edge("tools", entrypoint)`` back); the ToolNode executes the tool calls
of the last AIMessage in the state (langgraph/prebuilt/tool_node.py ``ToolNode``), the one the model
node before it wrote. Every loader of such a graph (LangSmith, Langfuse, MLflow, OpenLLMetry) names
the ToolNode's runs by the node, ``tools``, where no agent is above it (a lone graph: nothing
encloses the two nodes), while the model node beside it is the agent: a tool call owned by a graph
node instead of the agent that asked for it. Here, after inheritance, each such subtree (rows whose
agent is ``tools``, not an agent span itself) takes the agent of the nearest agent span before it
under the same parent (the model node's span: same parent, started no later); with none, it stays
``tools``.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_rows import gather, mask, patch, texts

#: The prebuilt ToolNode's node name (tool_node.py ``ToolNode.__init__(tools, *, name="tools")``), which
#: the loaders write as the owner of a lone ToolNode's runs.
TOOL_NODE = "tools"


def tools_to_caller(spans: pa.Table, kind: pa.ChunkedArray | pa.Array, agent: pa.ChunkedArray | pa.Array,
                    parent_row: np.ndarray) -> pa.ChunkedArray | pa.Array:
    """``agent`` with each lone ToolNode subtree's rows given the agent node that ran before it (see the
    module). ``parent_row``: each row's parent row, ``-1`` for none."""
    # Compared by is_in on built arrays: a Python value (pa.scalar) imports pandas.
    is_agent = mask(pc.is_in(kind, value_set=texts(["agent"])))
    owned = mask(pc.is_in(agent, value_set=texts([TOOL_NODE]))) & ~is_agent
    if not owned.any():
        return agent
    rows = np.flatnonzero(owned)
    # Each owned row's top: up through parents that are owned too (a few levels: node, tool, request).
    top = rows.copy()
    while True:
        up = parent_row[top]
        move = (up >= 0) & owned[np.maximum(up, 0)]
        if not move.any():
            break
        top[move] = up[move]
    tops = np.unique(top)
    agents = np.flatnonzero(is_agent)
    start = spans.column("start_time")
    node = pl.DataFrame({"_top": tops, "_parent": parent_row[tops],
                         "_t": pl.Series(gather(start, tops)).cast(pl.Int64)}).filter(pl.col("_parent") >= 0)
    callers = pl.DataFrame({"_parent": parent_row[agents], "_t": pl.Series(gather(start, agents)).cast(pl.Int64),
                            "_row": agents, "_agent": pl.Series(gather(agent, agents), dtype=pl.String)})
    callers = callers.filter((pl.col("_parent") >= 0) & pl.col("_t").is_not_null() & pl.col("_agent").is_not_null())
    if node.is_empty() or callers.is_empty():
        return agent
    # The latest agent span before the node under the same parent (ties: the later row, for determinism).
    found = (node.filter(pl.col("_t").is_not_null()).sort("_t", "_top")
             # Sorted by _t above; polars cannot check sortedness within the by-groups.
             .join_asof(callers.sort("_t", "_row"), on="_t", by="_parent", strategy="backward", check_sortedness=False)
             .filter(pl.col("_agent").is_not_null()))
    if found.is_empty():
        return agent
    caller = dict(zip(found.get_column("_top").to_list(), found.get_column("_agent").to_list(), strict=True))
    keep = np.array([t in caller for t in top], bool)
    if not keep.any():
        return agent
    names = texts([caller[t] for t in top[keep]])
    return patch(agent, rows[keep], lambda lo, hi: names.slice(lo, hi - lo))
