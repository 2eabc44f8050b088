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
