"""langfuse: a v2 LangChain tool run is a SPAN named by the tool, its input the tool input as text.

Langfuse v2 has only SPAN/GENERATION/EVENT. Its LangChain callback writes a tool run as a SPAN
(langfuse/langfuse-python langfuse/callback/langchain.py ``on_tool_start``: ``name`` the run's
name, ``input=input_str``, metadata the run's tags/metadata plus on_tool_start's keyword
arguments) and the model call before it as a GENERATION whose output is the AIMessage as a dict
(``_convert_message_to_dict``: ``additional_kwargs.tool_calls`` with ``function.name``). An
AgentExecutor runs the tool under itself and the model call under its agent's RunnableSequence
(langchain/agents/agent.py ``AgentExecutor._iter_next_step``: ``plan(...,
callbacks=run_manager.get_child())``; ``_perform_agent_action``: ``tool.run(...,
callbacks=run_manager.get_child())``), so the model call is one level below the tool's parent.
Without LangChain's ``color`` in the metadata such a SPAN loaded as a chain with no tool.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

_TRACE = "5c5c5c5c-0000-4000-8000-000000000001"


def _obs(n: int, parent: int | None, type_: str, name: str, second: int, input_: Any, output: Any = None,
         level: str = "DEFAULT", message: str | None = None) -> dict[str, Any]:
    return {"id": f"5c5c5c5c-0000-4000-8000-{n:012d}", "traceId": _TRACE,
            "parentObservationId": f"5c5c5c5c-0000-4000-8000-{parent:012d}" if parent is not None else None,
            "type": type_, "name": name, "startTime": f"2024-06-03T08:15:{second:02d}.000Z",
            "endTime": f"2024-06-03T08:15:{second + 1:02d}.000Z", "metadata": None, "input": input_, "output": output,
            "level": level, "statusMessage": message}


def _asked(tool: str, arguments: str) -> dict[str, Any]:
    return {"role": "assistant", "content": "", "additional_kwargs": {"tool_calls": [
        {"id": "call_7Qx", "function": {"name": tool, "arguments": arguments}, "type": "function"}]}}


def _export() -> dict[str, Any]:
    question = {"input": "Is order 4417 shipped?"}
    observations = [
        _obs(1, None, "SPAN", "AgentExecutor", 0, question, {"output": "Order 4417 shipped on June 1."}),
        _obs(2, 1, "SPAN", "RunnableSequence", 1, {**question, "intermediate_steps": []}),
        _obs(3, 2, "GENERATION", "ChatOpenAI", 1, [{"role": "user", "content": "Is order 4417 shipped?"}],
             _asked("lookup_order", '{"order_id": "4417"}')),
        # AgentExecutor's tool run: input_str is str(tool_input)
        _obs(4, 1, "SPAN", "lookup_order", 3, "{'order_id': '4417'}", "{'status': 'shipped', 'date': '2024-06-01'}"),
        # near miss: a chain named like the tool (its input an object), under the same executor
        _obs(5, 1, "SPAN", "lookup_order", 4, {"order_id": "4417"}, {"ok": True}),
        # near miss: a run with text input no model call asked for
        _obs(6, 1, "SPAN", "format_answer", 5, "shipped 2024-06-01", "Order 4417 shipped on June 1."),
        _obs(7, 2, "GENERATION", "ChatOpenAI", 6, [{"role": "user", "content": "Is order 4417 shipped?"}],
             {"role": "assistant", "content": "Order 4417 shipped on June 1."}),
    ]
    trace = {"id": _TRACE, "name": "AgentExecutor", "timestamp": "2024-06-03T08:15:00.000Z", "input": question,
             "output": {"output": "Order 4417 shipped on June 1."}, "metadata": None, "sessionId": None}
    return {"trace": trace, "observations": observations}


def _rows(tmp_path: Path) -> dict[str, list[tuple[str, str | None]]]:
    path = tmp_path / "v2_agent_executor.json"
    path.write_text(json.dumps(_export()))
    result = forensics.load(path)
    assert result.report.files[0].format == "langfuse"
    found: dict[str, list[tuple[str, str | None]]] = {}
    for row in sorted(result.spans.to_pylist(), key=lambda r: (r["start_time"], r["span_id"])):
        if row["span_id"] != row["run_id"]:
            found.setdefault(row["name"], []).append((row["kind"], row["tool"]))
    return found


def test_the_tool_run_the_model_asked_for_is_a_tool(tmp_path: Path) -> None:
    assert _rows(tmp_path)["lookup_order"][0] == ("tool", "lookup_order")


def test_near_miss_an_object_input_or_an_unrequested_name_stays_a_chain(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    assert rows["lookup_order"][1] == ("chain", None)
    assert rows["format_answer"] == [("chain", None)]
    assert rows["RunnableSequence"] == [("chain", None)]


def _node(n: int, parent: int, type_: str, name: str, second: int, node: str, input_: Any, output: Any = None) -> dict[str, Any]:
    obs = _obs(n, parent, type_, name, second, input_, output)
    obs["metadata"] = {"langgraph_step": 1, "langgraph_node": node, "langgraph_triggers": [f"branch:to:{node}"],
                       "langgraph_path": ["__pregel_pull", node], "langgraph_checkpoint_ns": f"{node}:1"}
    return obs


def test_a_toolnode_tool_run_the_model_asked_for_is_a_tool(tmp_path: Path) -> None:
    """LangGraph's ToolNode runs the tool under the node ``tools`` (langgraph/prebuilt/tool_node.py),
    the model call sits under the agent's node: both in the graph, the tool two levels below it."""
    export = _export()
    export["observations"] = [
        _obs(1, None, "SPAN", "LangGraph", 0, {"messages": [["user", "Is order 4417 shipped?"]]}),
        _node(2, 1, "SPAN", "agent", 1, "agent", {"messages": []}),
        _node(3, 2, "GENERATION", "ChatOpenAI", 1, "agent", [{"role": "user", "content": "Is order 4417 shipped?"}],
              _asked("lookup_order", '{"order_id": "4417"}')),
        _node(4, 1, "SPAN", "tools", 3, "tools", {"messages": []}),
        _node(5, 4, "SPAN", "lookup_order", 3, "tools", "{'order_id': '4417'}", "shipped"),
    ]
    path = tmp_path / "v2_langgraph.json"
    path.write_text(json.dumps(export))
    rows = {r["name"]: (r["kind"], r["tool"]) for r in forensics.load(path).spans.to_pylist()}
    assert rows["lookup_order"] == ("tool", "lookup_order")
    assert rows["tools"] == ("chain", None)  # the ToolNode is plumbing, not a tool call
