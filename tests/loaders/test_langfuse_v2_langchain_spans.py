"""langfuse: the v2 LangChain CallbackHandler (langfuse/callback/langchain.py) writes tools and
LangGraph nodes as plain SPANs. Expectations read from the hand-written export
tests/data/langfuse/v2_langchain_spans.json: a LangGraph agent node ``billing_agent`` whose ToolNode
runs ``refund_payment`` (on_tool_start's metadata: the config metadata plus LangChain's ``color`` and
``inputs`` keyword arguments)."""

from __future__ import annotations

import polars as pl
from realdata import DATA

import forensics

PATH = DATA / "langfuse" / "v2_langchain_spans.json"


def _observations(result: forensics.LoadResult, trace: str) -> pl.DataFrame:
    df = result.to_polars().filter((pl.col("span_id") != pl.col("run_id")) & pl.col("run_id").str.starts_with(trace))
    return df.sort("start_time", "span_id")


def test_tool_and_node_spans_get_their_kind_tool_and_agent() -> None:
    result = forensics.load(PATH)
    assert result.report.files[0].format == "langfuse"
    df = _observations(result, "e0e0e0e0")
    assert [(r["name"], r["kind"], r["agent"], r["tool"]) for r in df.iter_rows(named=True)] == [
        ("LangGraph", "chain", None, None),  # the graph: no node metadata, nobody's agent
        ("billing_agent", "agent", "billing_agent", None),  # langgraph_node names the span itself
        ("ChatOpenAI", "llm", "billing_agent", None),
        ("tools", "chain", "billing_agent", None),  # the ToolNode: plumbing of the agent above it
        ("refund_payment", "tool", "billing_agent", "refund_payment"),  # colour "green" from BaseTool.run
        # near misses: "teal" is no LangChain colour (user metadata), and a runnable inside the node
        # is named otherwise than the node its metadata names
        ("format_reply", "chain", "billing_agent", None),
        ("RunnableSequence", "chain", "billing_agent", None),
    ]
    failed = df.filter(pl.col("status") == "error")
    assert failed["name"].to_list() == ["refund_payment"]
    assert failed["error_message"].to_list() == ["PaymentGatewayError('503 upstream unavailable')"]


def test_lone_react_graph_gives_the_toolnode_to_the_model_node_that_asked() -> None:
    # Trace f0f0…: no agent above the ToolNode, whose caller is the sibling model node "agent": the
    # failed lookup_order is that agent's call (forensics/tool_node_owner.py, as in every loader), not
    # the node's, and not left to no agent.
    df = _observations(forensics.load(PATH), "f0f0f0f0")
    assert [(r["name"], r["kind"], r["agent"]) for r in df.iter_rows(named=True)] == [
        ("LangGraph", "chain", None),
        ("agent", "agent", "agent"),
        ("ChatOpenAI", "llm", "agent"),
        ("tools", "chain", "agent"),
        ("lookup_order", "tool", "agent"),
    ]


def test_supervisor_react_nodes_are_the_agents_steps_and_parent_command_is_a_handoff() -> None:
    # Trace a0a0…: a langgraph-supervisor graph. Each create_react_agent's model node "agent" is its
    # agent's model step; the supervisor's ToolNode and subgraph end on ParentCommand, whose message
    # on_chain_error writes as str(error) = the Command's repr: control flow, no finding.
    result = forensics.load(PATH)
    df = _observations(result, "a0a0a0a0")
    assert [(r["name"], r["kind"], r["agent"], r["handoff_to"]) for r in df.iter_rows(named=True)] == [
        ("LangGraph", "chain", None, None),
        ("supervisor", "agent", "supervisor", None),
        ("agent", "chain", "supervisor", None),
        ("ChatOpenAI", "llm", "supervisor", None),
        ("tools", "chain", "supervisor", None),
        ("transfer_to_math_expert", "handoff", "supervisor", "math_expert"),
        ("math_expert", "agent", "math_expert", None),
        ("agent", "chain", "math_expert", None),
    ]
    from forensics.classify import classify

    assert [f for f in classify(result.spans).findings.to_pylist() if f["run_id"].startswith("a0a0a0a0")] == []


def test_metadata_values_of_any_json_type_load(tmp_path) -> None:
    # A colour or node that is a list or an object (unhashable) names nothing: the SPAN stays a chain.
    import json

    obs = {"id": "b1", "traceId": "t1", "type": "SPAN", "name": "tools", "startTime": "2025-08-02T09:00:00Z",
           "endTime": "2025-08-02T09:00:01Z", "metadata": {"color": ["green"], "langgraph_node": {"n": "tools"}}}
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"trace": {"id": "t1", "name": "x", "timestamp": "2025-08-02T09:00:00Z", "projectId": "p"},
                                "observations": [obs]}))
    df = forensics.load(path).to_polars().filter(pl.col("span_id") == "b1")
    assert (df["kind"].to_list(), df["tool"].to_list()) == (["chain"], [None])


def _generation_then_span(tmp_path, output: object, span_name: str, *, span_parent: str = "exec",
                          span_start: str = "2025-08-02T09:00:02Z") -> pl.DataFrame:
    """An AgentExecutor SPAN holding a GENERATION whose AIMessage asks for a tool, then a plain SPAN
    (the v2 handler's on_tool_start: name = the tool, input = input_str) with no tool metadata."""
    import json

    def obs(oid: str, parent: str | None, type_: str, name: str, start: str, **extra: object) -> dict:
        return {"id": oid, "traceId": "t2", "parentObservationId": parent, "type": type_, "name": name,
                "startTime": start, "endTime": start.replace(":00Z", ":00.5Z").replace(":02Z", ":02.5Z"),
                "metadata": {}, **extra}

    observations = [
        obs("exec", None, "SPAN", "AgentExecutor", "2025-08-02T09:00:00Z"),
        obs("other", None, "SPAN", "RunnableSequence", "2025-08-02T09:00:00Z"),
        obs("gen", "exec", "GENERATION", "ChatOpenAI", "2025-08-02T09:00:01Z", output=output),
        obs("call", span_parent, "SPAN", span_name, span_start, input='{"account_id": "20931"}', level="ERROR",
            statusMessage="LedgerError('503')"),
    ]
    path = tmp_path / "executor.json"
    path.write_text(json.dumps({"trace": {"id": "t2", "name": "AgentExecutor", "timestamp": "2025-08-02T09:00:00Z"},
                                "observations": observations}))
    return forensics.load(path).to_polars().filter(pl.col("span_id") == "call")


def test_span_named_as_the_tool_the_model_asked_for_is_that_tool_call(tmp_path) -> None:
    # Firing: the generation's AIMessage (additional_kwargs.tool_calls[].function.name, or the
    # AIMessage's own tool_calls[].name) asked for create_invoice; the SPAN after it is the call.
    for output in ({"role": "assistant", "content": "", "additional_kwargs": {"tool_calls": [
                       {"function": {"name": "create_invoice", "arguments": "{}"}, "type": "function"}]}},
                   '{"content": "", "tool_calls": [{"name": "create_invoice", "args": {}, "id": "c1"}]}'):
        df = _generation_then_span(tmp_path, output, "create_invoice")
        assert (df["kind"].to_list(), df["tool"].to_list(), df["status"].to_list()) == (
            ["tool"], ["create_invoice"], ["error"])


def test_span_not_asked_for_before_it_under_its_parent_stays_a_chain(tmp_path) -> None:
    # Near misses: another name, the same name under another parent, and one that started before the
    # model call asked for it.
    asked = {"role": "assistant", "content": "", "additional_kwargs": {"tool_calls": [
        {"function": {"name": "create_invoice", "arguments": "{}"}, "type": "function"}]}}
    assert _generation_then_span(tmp_path, asked, "format_reply")["kind"].to_list() == ["chain"]
    assert _generation_then_span(tmp_path, asked, "create_invoice", span_parent="other")["kind"].to_list() == ["chain"]
    early = _generation_then_span(tmp_path, asked, "create_invoice", span_start="2025-08-02T09:00:00Z")
    assert early["kind"].to_list() == ["chain"]


def _one_span(tmp_path, **fields: object) -> dict:
    import json

    obs = {"id": "b1", "traceId": "t3", "type": "SPAN", "name": "get_incident_status",
           "startTime": "2025-08-02T09:00:00Z", "endTime": "2025-08-02T09:00:01Z", **fields}
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"trace": {"id": "t3", "name": "x", "timestamp": "2025-08-02T09:00:00Z"},
                                "observations": [obs]}))
    return forensics.load(path).to_polars().filter(pl.col("span_id") == "b1").row(0, named=True)


def test_a_tool_span_is_known_by_its_inputs_beside_its_input_text(tmp_path) -> None:
    """BaseTool.run (langchain_core/tools/base.py) passes the tool's argument dict as ``inputs`` and
    ``str(tool_input)`` as input_str; the v2 handler's on_tool_start puts the first in the metadata
    and the second as the SPAN's input. That pair is a tool's, whatever colour the export kept."""
    row = _one_span(tmp_path, input="{'incident_id': 'INC-7'}", metadata={"inputs": {"incident_id": "INC-7"}})
    assert (row["kind"], row["tool"]) == ("tool", "get_incident_status")


def test_near_miss_inputs_beside_an_input_object_or_no_evidence_stays_a_chain(tmp_path) -> None:
    # A chain's input is its inputs object itself (on_chain_start), and a name alone is no evidence.
    row = _one_span(tmp_path, input={"incident_id": "INC-7"}, metadata={"inputs": {"incident_id": "INC-7"}})
    assert (row["kind"], row["tool"]) == ("chain", None)
    row = _one_span(tmp_path, input="INC-7", metadata={"tags": ["seq:step:1"]})
    assert (row["kind"], row["tool"]) == ("chain", None)
