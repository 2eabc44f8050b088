"""langsmith: LangGraph's ToolNode ("tools", langgraph/prebuilt/tool_node.py) is plumbing, not an
agent; a langgraph-supervisor handoff (ParentCommand raised through the ToolNode and the agent's
subgraph, langgraph/errors.py) is control flow. Expectations read from the hand-written export
tests/data/langsmith/langgraph_supervisor_handoff.json (trace cccc…: supervisor hands off to
research_expert; trace dddd…: a lone create_react_agent graph)."""

from __future__ import annotations

import polars as pl
from realdata import DATA

import forensics
from forensics.classify import classify

PATH = DATA / "langsmith" / "langgraph_supervisor_handoff.json"


def _rows(prefix: str) -> list[tuple[str, str, str | None]]:
    df = forensics.load(PATH).to_polars().filter(pl.col("run_id").str.starts_with(prefix)).sort("span_id")
    return [(r["name"], r["kind"], r["agent"]) for r in df.iter_rows(named=True)]


def test_react_nodes_belong_to_the_agent_graph_they_run_in() -> None:
    assert _rows("cccccccc") == [
        ("LangGraph", "chain", None),
        ("supervisor", "agent", "supervisor"),
        # create_react_agent's model node "agent" under an agent is that agent's model step (was an
        # agent named "agent", and the supervisor's model call was agent "agent's")
        ("agent", "chain", "supervisor"),
        ("ChatOpenAI", "llm", "supervisor"),
        ("tools", "chain", "supervisor"),  # was an agent named "tools"
        ("transfer_to_research_expert", "handoff", "supervisor"),  # the supervisor hands off, not "tools"
        ("research_expert", "agent", "research_expert"),
        ("agent", "chain", "research_expert"),
        ("tools", "chain", "research_expert"),
        ("web_search", "tool", "research_expert"),
        ("agent", "chain", "research_expert"),
        ("Writer", "agent", "Writer"),
        ("tools", "chain", "Writer"),  # lc_agent_name names the agent outright
        ("save_draft", "tool", "Writer"),
    ]


def test_lone_react_graph_gives_the_toolnode_to_the_model_node_that_asked() -> None:
    # No agent above the ToolNode: its caller is the sibling model node "agent" (the agent, with no
    # agent above it either), whose tool calls the ToolNode ran (chat_agent_executor.py: agent ->
    # tools -> agent; forensics/tool_node_owner.py); the node itself is no agent. Was owned by "tools".
    assert _rows("dddddddd") == [
        ("LangGraph", "chain", None),
        ("agent", "agent", "agent"),
        ("tools", "chain", "agent"),
        ("lookup_order", "tool", "agent"),
    ]


def test_parent_command_handoff_is_not_a_failure() -> None:
    # The ToolNode and the supervisor subgraph both end on the traceback of ParentCommand (LangChain's
    # tracer writes the formatted exception): the loader names the class, the control-flow
    # convention (conventions/exceptions.py) reads it as the handoff, and the run is clean.
    result = forensics.load(PATH)
    errors = result.to_polars().filter(pl.col("status") == "error")
    assert sorted(zip(errors["name"], errors["error_type"], strict=True)) == [
        ("supervisor", "langgraph.errors.ParentCommand"), ("tools", "langgraph.errors.ParentCommand")]
    classified = classify(result.spans)
    runs = pl.DataFrame(classified.runs) if not isinstance(classified.runs, pl.DataFrame) else classified.runs
    assert runs.filter(pl.col("run_id").str.starts_with("cccccccc"))["ok"].to_list() == [True]
    assert [f for f in classified.findings.to_pylist() if f["run_id"].startswith("cccccccc")] == []


def test_metadata_values_of_any_json_type_load(tmp_path) -> None:
    # A langgraph_node that is a list or an object (unhashable) is no ToolNode: the run loads (it raised).
    run = {"id": "eeeeeeee-0000-4000-8000-000000000001", "trace_id": "eeeeeeee-0000-4000-8000-000000000001",
           "name": "tools", "run_type": "chain", "start_time": "2025-08-01T10:00:00", "end_time": "2025-08-01T10:00:01",
           "extra": {"metadata": {"langgraph_node": ["tools"]}}}
    path = tmp_path / "odd.json"
    path.write_text(__import__("json").dumps([run]))
    df = forensics.load(path).to_polars()
    assert df["kind"].to_list() == ["chain"]  # (its text names the agent, as any odd value did before)
