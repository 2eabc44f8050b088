"""A call that waited longer than the stall threshold and then failed with a timeout: a stall.

An orchestrator that awaits an autogen-core ``runtime.send_message(...)`` under ``asyncio.wait_for``
gets ``TimeoutError`` when the recipient never replied (autogen-core's runtime telemetry spans the
send as ``autogen send <agent>``); a recipient that hung in a tool never answered. The send span lasted the whole wait: what it waited on went quiet
for longer than ``stall_seconds`` (300 s by default).
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, one, run, span


def _send(wait: float, error: str = "TimeoutError", answered: bool = False) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, wait + 20, kind="agent", agent="orchestrator", name="invoke_agent orchestrator",
             output="Review passed."),
        span("send", 2, 2 + wait, parent_id="root", kind="tool", tool="send_review_request", agent="orchestrator",
             input='{"recipient": "code_reviewer"}', status="error", error_type=error),
    ]
    if answered:
        rows.append(span("send2", wait + 5, wait + 9, parent_id="root", kind="tool", tool="send_review_request",
                         agent="orchestrator", input='{"recipient": "code_reviewer"}', output="approved"))
    rows.append(span("llm", wait + 10, wait + 12, parent_id="root", kind="llm", model="gpt-4o", agent="orchestrator",
                     output="Review passed."))
    return rows


def test_call_that_waited_past_the_threshold_then_timed_out_is_a_stall() -> None:
    f = one(run(*_send(300.5)), "stall")
    assert f["decisive_span_id"] == "send" and "waited 300.5 s" in f["explanation"]


def test_short_wait_another_error_or_an_answered_retry_is_no_stall() -> None:
    # Near-misses: a 30 s timeout; a 300 s call that failed with another error; the same timeout
    # answered by a later attempt of the same request.
    assert "stall" not in detectors(run(*_send(30.0)))
    assert "stall" not in detectors(run(*_send(300.5, error="PermissionError")))
    assert "stall" not in detectors(run(*_send(300.5, answered=True)))


def _long_poll(answer: str) -> list[dict[str, Any]]:
    """A smolagents ToolCallingAgent long-polls a callback with a tool whose deadline lapses
    (smolagents hands the tool's exception back to the model as the step's error and the agent
    goes on: huggingface/smolagents src/smolagents/agents.py ``execute_tool_call`` raising
    AgentToolExecutionError, caught by the step loop), then answers through ``final_answer``."""
    return [
        span("root", 0, 1000, kind="agent", agent="claims_agent", name="ToolCallingAgent.run", output=answer),
        span("submit", 1, 2, parent_id="root", kind="tool", tool="submit_claim", agent="claims_agent",
             input='{"claim": "C-20417"}', output='{"claim_id": "C-20417", "status": "pended"}'),
        span("wait", 3, 903, parent_id="root", kind="tool", tool="await_adjudication", agent="claims_agent",
             input='{"claim_id": "C-20417", "timeout_s": 900}', status="error", error_type="TimeoutError"),
        span("llm", 904, 906, parent_id="root", kind="llm", model="gpt-4.1", agent="claims_agent", output=answer),
        span("final", 907, 907.1, parent_id="root", kind="tool", tool="final_answer", agent="claims_agent",
             input='{"answer": "..."}', output=answer),
    ]


def test_near_miss_a_lapsed_wait_the_answer_relays_is_no_stall() -> None:
    """The run got control back and told its reader no decision came: news, not a hang."""
    c = run(*_long_poll("Not adjudicated yet: no decision arrived within 15 minutes; I'll check again at 14:00."))
    assert "stall" not in detectors(c)


def test_a_lapsed_wait_the_answer_passes_over_is_still_a_stall() -> None:
    f = one(run(*_long_poll("Claim C-20417 is approved; the payment will follow.")), "stall")
    assert f["decisive_span_id"] == "wait"
