"""swallowed_error: a smolagents step called a tool the agent does not have, the refusal went back
to the model, and the next step answered as if the lookup had been done.

``execute_tool_call`` refuses a name that is none of the agent's tools with AgentToolExecutionError
"Unknown tool X, should be one of: ..." (src/smolagents/agents.py); the step fails, its error is the
model's next observation, no tool span opens. The OpenInference instrumentation sets the step span's
status from the exception, so its description reads "AgentToolExecutionError: Unknown tool X, ..."
(the class name first, as an OpenTelemetry status set from an exception does) while the exception
event holds the text alone: both read as ``unknown_tool`` (conventions/smol_steps.py). The refusal is
a failed call handed back to the model (ignored_errors.ignored_tool_errors): if nothing was done
after it and the answer says nothing of it, it was swallowed.

Near misses: the model then called a registered tool that answered; the answer told the user the
lookup could not be made; a refused delegation (a ``task`` argument) is delegated_to_unknown_agent's.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, run, span

SMOL = {"source_format": "otel-clickhouse"}
ANSWER = "The North tower has 7 staffed, unoccupied med-surg beds right now."


def _call(name: str, args: dict[str, Any]) -> str:
    return json.dumps({"role": "assistant", "content": None, "tool_calls": [
        {"function": {"arguments": json.dumps(args), "name": name}, "id": "call_1", "type": "function"}]})  # fmt: skip


def _agent(refusal: str, *, call: str = "get_census", args: dict[str, Any] | None = None, answer: str = ANSWER,
           then: list[dict[str, Any]] = ()) -> Any:  # type: ignore[assignment]
    return run(
        span("r", 0, 30, kind="agent", name="ToolCallingAgent.run", output=answer,
             input=json.dumps({"task": "How many med-surg beds are free in the North tower?"}), **SMOL),
        span("s1", 1, 4, parent_id="r", kind="chain", name="Step 1", status="error",
             error_type="smolagents.utils.AgentToolExecutionError", error_message=refusal, **SMOL),
        span("m1", 1.1, 3.9, parent_id="s1", kind="llm", name="OpenAIServerModel.generate",
             output=_call(call, args or {"unit": "NORTH-MEDSURG"}), **SMOL),
        *then,
        span("s9", 20, 29, parent_id="r", kind="chain", name="Step 3", **SMOL),
        span("m9", 20.1, 25, parent_id="s9", kind="llm", name="OpenAIServerModel.generate",
             output=_call("final_answer", {"answer": answer}), **SMOL),
        span("f9", 25.1, 25.2, parent_id="s9", kind="tool", name="FinalAnswerTool", tool="final_answer", output=answer, **SMOL),
    )  # fmt: skip


REFUSED = "Unknown tool get_census, should be one of: query_adt, page_nurse, final_answer."


def test_an_unknown_tool_refused_then_answered_anyway_is_swallowed() -> None:
    for refusal in (REFUSED, f"AgentToolExecutionError: {REFUSED}"):
        assert "swallowed_error" in detectors(_agent(refusal)), refusal


def test_near_miss_a_registered_tool_then_answered() -> None:
    looked = [
        span("s2", 5, 19, parent_id="r", kind="chain", name="Step 2", **SMOL),
        span("m2", 5.1, 6, parent_id="s2", kind="llm", name="OpenAIServerModel.generate",
             output=_call("query_adt", {"unit": "NORTH-MEDSURG"}), **SMOL),
        span("t2", 6.1, 8, parent_id="s2", kind="tool", name="QueryAdtTool", tool="query_adt",
             input=json.dumps({"args": [], "kwargs": {"unit": "NORTH-MEDSURG"}}), output=json.dumps({"free_beds": 7}), **SMOL),
    ]  # fmt: skip
    assert "swallowed_error" not in detectors(_agent(f"AgentToolExecutionError: {REFUSED}", then=looked))


def test_near_miss_the_refusal_told_or_a_refused_delegation() -> None:
    told = "I couldn't get the census: the bed-census tool is not available to me. Please check the ADT board."
    assert "swallowed_error" not in detectors(_agent(REFUSED, answer=told))
    delegated = "Unknown tool census_agent, should be one of: query_adt, final_answer."
    found = detectors(_agent(delegated, call="census_agent", args={"task": "Count free med-surg beds.", "additional_args": None}))
    assert "swallowed_error" not in found
