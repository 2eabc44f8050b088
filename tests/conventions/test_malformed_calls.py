"""A model call that answered a malformed function call (forensics/conventions/malformed_calls.py).

Gemini ends a candidate whose function call it could not produce with ``finishReason``
MALFORMED_FUNCTION_CALL and no parts, HTTP 200 (google-genai ``types.FinishReason``). Google ADK's
``LlmResponse.create`` turns it into ``LlmResponse(error_code=finish_reason, error_message=
finish_message)`` (google/adk-python ``src/google/adk/models/llm_response.py``): the agent's event
has no text and no call, so the invocation ends on an empty response unless the app asks again.
ADK's ``call_llm`` span (``telemetry/tracing.py`` ``trace_call_llm``) keeps the response JSON and
``gen_ai.response.finish_reasons``; the span's status stays unset.
"""

from __future__ import annotations

import json

from span_builder import detectors, findings, run, span

ASK = "File these 3 receipts as one expense report: r1.jpg, r2.jpg, r3.jpg"
MALFORMED = json.dumps({
    "error_code": "MALFORMED_FUNCTION_CALL",
    "error_message": "Malformed function call: print(default_api.submit_expense_report(items=[...]))",
    "finish_reason": "MALFORMED_FUNCTION_CALL",
    "usage_metadata": {"prompt_token_count": 1611, "candidates_token_count": 0},
})  # fmt: skip
CALL = json.dumps({"content": {"role": "model", "parts": [{"function_call": {"name": "submit_expense_report",
                   "args": {"items": [1, 2, 3]}}}]}, "finish_reason": "STOP"})  # fmt: skip
DONE = json.dumps({"content": {"role": "model", "parts": [{"text": "Submitted expense report ER-1 for approval."}]},
                   "finish_reason": "STOP"})  # fmt: skip


def _llm(sid: str, t: int, out: str, reason: str) -> dict[str, object]:
    attrs = {"gen_ai.system": "gcp.vertex.agent", "gen_ai.response.finish_reasons": [reason]}
    return span(sid, t, t + 1, kind="llm", parent_id="agent", agent="expense_agent", name="call_llm",
                model="gemini-2.5-flash", input=ASK, output=out, status="unset", attributes=json.dumps(attrs))  # fmt: skip


def _adk_run(*calls: dict[str, object]) -> object:
    return run(
        span("root", 0, 20, kind="chain", name="invocation", status="unset"),
        span(
            "agent",
            0,
            20,
            kind="agent",
            parent_id="root",
            name="invoke_agent expense_agent",
            agent="expense_agent",
            status="unset",
        ),  # fmt: skip
        *calls,
    )


def test_a_malformed_call_the_invocation_ended_on_is_unhandled() -> None:
    c = _adk_run(_llm("l1", 1, MALFORMED, "malformed_function_call"))
    (row,) = findings(c, "unhandled_error")
    assert row["decisive_span_id"] == "l1"
    assert "finish_reason malformed_function_call" in row["explanation"]


def test_adk_error_code_alone_is_read() -> None:
    # An exporter that dropped the finish-reason attribute: the response's own error_code tells it.
    c = _adk_run(span("l1", 1, 2, kind="llm", parent_id="agent", agent="expense_agent", name="call_llm",
                      model="gemini-2.5-flash", input=ASK, output=MALFORMED, status="unset"))  # fmt: skip
    assert "unhandled_error" in detectors(c)


def test_near_miss_the_agent_asked_again_and_made_the_call() -> None:
    # The healthy twin: a re-prompt after the malformed call, a valid call, the report submitted.
    submit = span("t1", 4, 5, kind="tool", parent_id="agent", agent="expense_agent", name="execute_tool submit_expense_report",
                  tool="submit_expense_report", input='{"items": [1, 2, 3]}',
                  output='{"report_id": "ER-1", "status": "submitted"}', status="unset")  # fmt: skip
    c = _adk_run(
        _llm("l1", 1, MALFORMED, "malformed_function_call"),
        _llm("l2", 2, CALL, "stop"),
        submit,
        _llm("l3", 6, DONE, "stop"),
    )
    assert detectors(c) == set()


def test_near_miss_the_words_quoted_in_an_answer_are_no_finish_reason() -> None:
    # A model explaining Gemini's finish reasons in its answer: text, not the call's own field.
    text = (
        'Gemini returns {\\"finish_reason\\": \\"MALFORMED_FUNCTION_CALL\\"} when the call is not valid JSON.'
    )
    c = _adk_run(_llm("l1", 1, text, "stop"))
    assert detectors(c) == set()
