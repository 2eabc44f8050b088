"""delegated_to_unknown_agent: a smolagents manager called a managed agent by a name it does not
have ("Unknown tool X, should be one of: ...", src/smolagents/agents.py execute_tool_call), and
nobody did the work.

Managed agents are offered to the model as tools whose inputs are ``task`` and ``additional_args``
(``MultiStepAgent._setup_managed_agents``). The OpenInference instrumentation writes the refusal
as the step's ``agent.step_recovery`` event with status OK (``_record_step_error``); a step that
raised it as an exception (status ERROR) reads the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from span_builder import detectors, one, run, span

from forensics.classify import classify
from forensics.load import load

SMOL = {"source_format": "otel-clickhouse"}
REFUSAL = "Unknown tool search_agent, should be one of: news_search_agent, final_answer."
ANSWER = "No Lufthansa ground staff strikes are announced at Frankfurt for next week."


def _call(name: str, args: dict[str, Any]) -> str:
    return json.dumps({"role": "assistant", "content": None, "tool_calls": [
        {"function": {"arguments": json.dumps(args), "name": name}, "id": "call_1", "type": "function"}]})  # fmt: skip


def _manager(first_call: str, *, then: list[dict[str, Any]] = ()) -> Any:  # type: ignore[assignment]
    """Step 1: the model calls ``first_call``'s tool, which execute_tool_call refuses; then the rows
    of ``then``; the last step answers with final_answer."""
    return run(
        span("r", 0, 30, kind="agent", name="ToolCallingAgent.run", output=ANSWER,
             input=json.dumps({"task": "Any strikes at FRA next week? My flight is LH400."}), **SMOL),
        span("s1", 1, 4, parent_id="r", kind="chain", name="Step 1", status="error",
             error_type="smolagents.utils.AgentToolExecutionError", error_message=REFUSAL, **SMOL),
        span("m1", 1.1, 3.9, parent_id="s1", kind="llm", name="OpenAIServerModel.generate", output=first_call, **SMOL),
        *then,
        span("s9", 20, 29, parent_id="r", kind="chain", name="Step 3", **SMOL),
        span("m9", 20.1, 25, parent_id="s9", kind="llm", name="OpenAIServerModel.generate",
             output=_call("final_answer", {"answer": ANSWER}), **SMOL),
        span("f9", 25.1, 25.2, parent_id="s9", kind="tool", name="FinalAnswerTool", tool="final_answer",
             output=ANSWER, **SMOL),
    )  # fmt: skip


DELEGATION = _call("search_agent", {"task": "Find announced Verdi strikes at FRA next week.", "additional_args": None})


def test_a_task_handed_to_a_name_no_agent_has_and_never_done_is_a_dangling_delegation() -> None:
    f = one(_manager(DELEGATION), "delegated_to_unknown_agent")
    assert f["decisive_span_id"] == "s1"
    assert "'search_agent'" in f["explanation"]


def test_near_miss_the_model_then_called_the_right_agent_which_did_the_work() -> None:
    retried = [
        span("s2", 5, 19, parent_id="r", kind="chain", name="Step 2", **SMOL),
        span("m2", 5.1, 6, parent_id="s2", kind="llm", name="OpenAIServerModel.generate",
             output=_call("news_search_agent", {"task": "Find announced Verdi strikes at FRA next week."}), **SMOL),
        span("a2", 6.1, 18, parent_id="s2", kind="agent", name="ToolCallingAgent.run",
             input=json.dumps({"task": "You're a helpful agent named 'news_search_agent'."}), output="None announced.", **SMOL),
        span("t2", 7, 9, parent_id="a2", kind="tool", name="DuckDuckGoSearchTool", tool="web_search",
             input=json.dumps({"args": [], "kwargs": {"query": "Verdi strike Frankfurt"}}), output="## Search Results\n...", **SMOL),
    ]  # fmt: skip
    assert "delegated_to_unknown_agent" not in detectors(_manager(DELEGATION, then=retried))


def test_near_miss_an_unknown_tool_called_without_a_task_is_no_delegation() -> None:
    # A tool-selection error ("web_search_tool" for "web_search") hands no task to an agent.
    search = _call("search_agent", {"query": "Verdi strike Frankfurt"})
    assert "delegated_to_unknown_agent" not in detectors(_manager(search))


def test_the_step_recovery_event_of_the_clickhouse_export_reads_the_same(tmp_path: Path) -> None:
    trace = "7e1c0a7e9b2f4c6d8e0f1a2b3c4d5e6f"

    def row(sid: str, parent: str, name: str, kind: str, second: int, attrs: dict[str, str],
            events: list[dict[str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        return {"Timestamp": f"2026-03-10 06:45:{second:02d}.000000000", "TraceId": trace, "SpanId": sid,
                "ParentSpanId": parent, "SpanName": name, "SpanKind": "Internal", "ServiceName": "desk",
                "ScopeName": "openinference.instrumentation.smolagents",
                "SpanAttributes": {"openinference.span.kind": kind, **attrs}, "Duration": "900000000",
                "StatusCode": "Ok", "StatusMessage": "",
                "Events.Timestamp": [f"2026-03-10 06:45:{second:02d}.500000000" for _ in events],
                "Events.Name": ["agent.step_recovery" for _ in events], "Events.Attributes": list(events)}  # fmt: skip

    recovery = {"type": "AgentToolExecutionError", "message": REFUSAL, "severity": "expected"}
    rows = [
        row("c000000000000001", "", "ToolCallingAgent.run", "AGENT", 0,
            {"input.value": json.dumps({"task": "Any strikes at FRA next week?"}), "output.value": ANSWER,
             "smolagents.managed_agents.0.name": "news_search_agent"}),
        row("c000000000000002", "c000000000000001", "Step 1", "CHAIN", 1, {}, [recovery]),
        row("c000000000000003", "c000000000000002", "OpenAIServerModel.generate", "LLM", 2, {"output.value": DELEGATION}),
        row("c000000000000004", "c000000000000001", "Step 2", "CHAIN", 5, {}),
        row("c000000000000005", "c000000000000004", "FinalAnswerTool", "TOOL", 6,
            {"tool.name": "final_answer", "output.value": ANSWER}),
    ]  # fmt: skip
    path = tmp_path / "otel_traces.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    found = [f for f in classify(load(str(path))).findings.to_pylist() if f["detector"] == "delegated_to_unknown_agent"]
    assert [f["decisive_span_id"] for f in found] == ["c000000000000002"]


def _code_manager(code: str, forbidden: str) -> Any:
    """A CodeAgent manager whose step-1 code calls ``forbidden``, which the local executor refuses;
    step 2 answers."""
    error = (f"Code execution failed at line '{code}' due to: InterpreterError: Forbidden function evaluation: "
             f"'{forbidden}' is not among the explicitly allowed tools or defined/imported in the preceding code")  # fmt: skip
    return run(
        span("r", 0, 30, kind="agent", name="CodeAgent.run", output=ANSWER,
             input=json.dumps({"task": "Any strikes at FRA next week?"}), **SMOL),
        span("s1", 1, 4, parent_id="r", kind="chain", name="Step 1", status="error",
             error_type="smolagents.utils.AgentExecutionError", error_message=error, **SMOL),
        span("m1", 1.1, 3.9, parent_id="s1", kind="llm", name="OpenAIServerModel.generate",
             output=json.dumps({"role": "assistant", "content": f"Thought: ask the agent.\n<code>\n{code}\n</code>"}), **SMOL),
        span("s2", 20, 29, parent_id="r", kind="chain", name="Step 2", **SMOL),
        span("m2", 20.1, 25, parent_id="s2", kind="llm", name="OpenAIServerModel.generate",
             output=json.dumps({"role": "assistant", "content": f"<code>\nfinal_answer({ANSWER!r})\n</code>"}), **SMOL),
        span("f2", 25.1, 25.2, parent_id="s2", kind="tool", name="FinalAnswerTool", tool="final_answer", output=ANSWER, **SMOL),
    )  # fmt: skip


def test_a_code_agent_calling_an_agent_name_it_does_not_have_with_a_task_dangles() -> None:
    rows = _code_manager('report = search_agent(task="Find announced Verdi strikes at FRA next week.")', "search_agent")
    assert one(rows, "delegated_to_unknown_agent")["decisive_span_id"] == "s1"


def test_near_miss_a_code_agent_calling_a_forbidden_builtin_delegates_nothing() -> None:
    rows = _code_manager("print(globals())", "globals")
    assert "delegated_to_unknown_agent" not in detectors(rows)
