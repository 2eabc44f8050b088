"""A LangGraph messages state's report is its last message, not every message it holds.

LangGraph's graph output is the whole state, ``{"messages": [...]}`` (langgraph graph/state.py:
``add_messages`` appends each node's messages to one list), and Langfuse's and LangSmith's
LangChain callbacks keep it as the root's output. A tool message in that list holding an error
body the model read ({"error": {"code": "ErrorAccessDenied"}, "status": 403}) is not the run
reporting a failure; the last message, the model's answer, is the report (runs.says_failure).
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, run, run_row, span

DENIED = json.dumps({"error": {"code": "ErrorAccessDenied", "message": "Access is denied."}, "status": 403})


def _state(answer: str) -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "user", "content": "Set up a board prep on Thursday."},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "create_calendar_event", "arguments": "{}"}}]},
                {"role": "tool", "content": DENIED, "tool_call_id": "c1"},
                {"role": "assistant", "content": answer},
            ]
        }
    )


def _graph(answer: str) -> list[dict[str, Any]]:
    state = _state(answer)
    return [
        span("root", 0, 6, kind="chain", name="LangGraph", input="Set up a board prep on Thursday.", output=state),
        span("l1", 0.1, 1, parent_id="root", kind="llm", model="gpt-4o", output=""),
        span("t1", 1.1, 2, parent_id="root", kind="tool", tool="create_calendar_event",
             input='{"title": "Board prep"}', output=DENIED),
        span("l2", 2.1, 3, parent_id="root", kind="llm", model="gpt-4o",
             output=json.dumps({"role": "assistant", "content": answer})),
    ]


def test_an_error_body_in_a_tool_message_of_the_state_is_no_report_of_failure() -> None:
    # Firing (of the convention): the last message claims success over the tool's 403 body, which
    # only an earlier tool message of the state holds: the run reported success, and the error it
    # read as data is error_as_data's.
    c = run(*_graph("Done: 'Board prep' is booked for Thursday 14:30 with a Teams link."))
    assert run_row(c)["reported_outcome"] == "success"
    assert "error_as_data" in detectors(c)


def test_a_last_message_that_reports_the_failure_is_the_runs_report() -> None:
    # Near-miss: the last message itself says the act failed, in words or as a structured result.
    for answer in (
        "I was unable to create the meeting: the calendar service denied access (403).",
        json.dumps({"status": "failed", "reason": "calendar access denied"}),
    ):
        c = run(*_graph(answer))
        assert run_row(c)["reported_outcome"] == "error", answer
        assert "error_as_data" not in detectors(c), answer


def _tool_message_status_error(last: dict[str, object]) -> str:
    # langchain-core's dumpd form, what LangChain's tracer writes into a run's outputs; ToolNode
    # hands a tool's exception back as a ToolMessage with status "error" (langgraph prebuilt
    # tool_node.py, handle_tool_errors).
    def msg(kind: str, **kw: object) -> dict[str, object]:
        return {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", kind], "kwargs": kw}

    return json.dumps({"messages": [
        msg("HumanMessage", content="How many units of HX-220 in Columbus?", type="human"),
        msg("ToolMessage", content="Error: ReadTimeout('The read operation timed out')", type="tool",
            name="get_inventory", tool_call_id="c1", status="error"),
        last,
    ]})  # fmt: skip


def test_a_tool_message_with_status_error_in_the_state_is_no_report_of_failure() -> None:
    # Firing: the run's last message answers; the ToolMessage status "error" before it is what the
    # model read.
    answer = {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "AIMessage"],
              "kwargs": {"content": "Columbus has 0 units of HX-220.", "type": "ai"}}  # fmt: skip
    c = run(span("root", 0, 6, kind="chain", name="LangGraph", input="How many?", output=_tool_message_status_error(answer)))
    assert run_row(c)["reported_outcome"] == "success"


def test_a_last_message_with_status_error_is_the_runs_report() -> None:
    # Near-miss: the last message itself is the error the run ended on.
    last = {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "ToolMessage"],
            "kwargs": {"content": "Error: ReadTimeout", "type": "tool", "tool_call_id": "c2", "status": "error"}}  # fmt: skip
    c = run(span("root", 0, 6, kind="chain", name="LangGraph", input="How many?", output=_tool_message_status_error(last)))
    assert run_row(c)["reported_outcome"] == "error"
