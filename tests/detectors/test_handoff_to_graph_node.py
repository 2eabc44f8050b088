"""A langgraph-supervisor handoff taken by the graph node named for the target agent.

langgraph-supervisor adds each worker to the graph as a node named after the agent
(``add_node(agent.name, agent)``) and its ``transfer_to_<agent>`` tool returns
``Command(goto=agent.name, graph=Command.PARENT)``; the tracer names that node's run by the node, and
the worker's own steps inside it by create_react_agent's inner nodes ("agent", "tools"), which name
no agent. The node named for the target, running after the transfer, is the target at work.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _graph(target_runs: bool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("g", 0, 30, kind="chain", name="LangGraph", output='{"messages": [{"role": "assistant", "content": "Done."}]}'),
        span("sup", 0.1, 2, parent_id="g", kind="chain", name="supervisor"),
        span("sa", 0.2, 1.5, parent_id="sup", kind="agent", name="agent", agent="agent"),
        span("sl", 0.3, 1.4, parent_id="sa", kind="llm", model="gpt-4o", agent="agent", output="{}"),
        span("h", 1.6, 1.7, parent_id="sup", kind="handoff", name="transfer_to_contracts_expert",
             handoff_to="contracts_expert", output="Successfully transferred to contracts_expert"),
    ]
    if target_runs:
        rows += [
            span("node", 2.5, 20, parent_id="g", kind="chain", name="contracts_expert"),
            span("ca", 2.6, 10, parent_id="node", kind="agent", name="agent", agent="agent"),
            span("cl", 2.7, 9, parent_id="ca", kind="llm", model="gpt-4o", agent="agent", output="{}"),
            span("ct", 10.5, 11, parent_id="node", kind="tool", tool="search_contracts",
                 input='{"counterparty": "Globex"}', output='[{"doc_id": "CTR-2023-0412"}]'),
        ]
    rows.append(span("fin", 25, 29, parent_id="g", kind="chain", name="supervisor"))
    return rows


def test_the_node_named_for_the_target_ran_after_the_transfer() -> None:
    assert "dangling_handoff" not in detectors(run(*_graph(True)))


def test_near_miss_no_node_of_the_target_ever_ran() -> None:
    assert one(run(*_graph(False)), "dangling_handoff")["decisive_span_id"] == "h"
