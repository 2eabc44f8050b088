"""A call sent while another of the same kind was still in flight is no retry of it.

A resend is made once the failure is known: openai-python's ``_retry_request`` sleeps after the
failed response and sends again; tenacity calls again after the exception. Calls fanned out at once
(``asyncio.gather``, an ``asyncio.TaskGroup``, LangGraph ToolNode's parallel tool calls) all start
before any of them returns: the ones that succeed answered their own request, not the failed one.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _batch(*, resend_after: bool, record_input: bool = True):
    """A batch step fanning out three classifications of gpt-4o; the second gets a 429 back while
    the third is still in flight. ``resend_after``: a fourth call for the same email, sent after the
    429 came back (a retry). ``record_input``: whether the model calls keep their input (without it,
    only the caller tells requests apart)."""

    def llm(sid: str, start: float, end: float, email: str, **kw):
        body = f'[{{"role": "user", "content": "Classify email {email}"}}]' if record_input else None
        return span(sid, start, end, parent_id="batch", kind="llm", model="gpt-4o", input=body, **kw)

    rows = [
        span("root", 0, 10, kind="chain", name="triage_inbox", status="error",
             error_message="unhandled errors in a TaskGroup (1 sub-exception)"),
        span("batch", 0.1, 9, parent_id="root", kind="chain", name="classify_batch", status="error",
             error_message="unhandled errors in a TaskGroup (1 sub-exception)"),
        llm("m0", 1.0, 1.3, "msg_0", output="billing"),
        llm("m1", 1.01, 1.4, "msg_1", status="error", error_type="RateLimitError",
            error_message="Error code: 429 - rate_limit_exceeded"),
        # Started before m1 came back: sent alongside it, for its own email.
        llm("m2", 1.02, 1.6, "msg_2", output="bug"),
    ]
    if resend_after:
        rows.append(llm("m1b", 4.0, 4.3, "msg_1", output="how_to"))
    return run(*rows)


def test_calls_in_flight_together_are_no_retry_of_the_failed_one() -> None:
    c = _batch(resend_after=False)
    f = one(c, "unhandled_error")
    assert f["decisive_span_id"] == "m1"
    assert "HTTP 429" in f["explanation"]


def test_calls_in_flight_together_without_recorded_input_are_no_attempts_of_one_request() -> None:
    # No input recorded: the same model under the same caller is one request sent again only when
    # it was sent after the failure (conventions.attempts); m2 was already in flight.
    c = _batch(resend_after=False, record_input=False)
    assert one(c, "unhandled_error")["decisive_span_id"] == "m1"


def test_near_miss_the_same_request_sent_after_the_failure_is_a_retry() -> None:
    c = _batch(resend_after=True)
    assert "unhandled_error" not in detectors(c)
    c = _batch(resend_after=True, record_input=False)
    assert "unhandled_error" not in detectors(c)
