"""Resends of a call its user aborted each time are no retry storm.

A Vercel AI SDK chat route forwards the request's AbortSignal to streamText; when the user presses
stop the stream rejects with AbortError, and the SDK never resends an aborted call
(packages/ai/src/util/retry-with-exponential-backoff.ts: "don't retry when the request was aborted").
The same request sent again is the user's regenerate, not a retry policy's: the handled-failure fact
credits each aborted call to the framework, and retry_storm now reads the same answer. Near miss: the
same resends after calls that timed out (AbortSignal.timeout() rejects with TimeoutError) with no
backoff between them are a storm.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

ASK = '{"messages": [{"role": "user", "content": "Summarise the meeting notes."}]}'


def _resends(error_type: str, message: str):
    rows = [span("root", 0, 60, kind="chain", name="POST /api/chat", output="Here is your summary.")]
    for i in range(4):
        t = 1 + i * 10
        ended = {"status": "error", "error_type": error_type, "error_message": message} if i < 3 else {
            "output": "Here is your summary."}  # fmt: skip
        rows.append(span(f"s{i}", t, t + 5, parent_id="root", kind="llm", model="gpt-4o-mini",
                         name="ai.streamText.doStream", input=ASK, **ended))  # fmt: skip
    return run(*rows)


def test_resends_of_a_call_its_user_aborted_are_no_retry_storm() -> None:
    assert "retry_storm" not in detectors(_resends("AbortError", "This operation was aborted"))


def test_near_miss_resends_after_timeouts_with_no_backoff_are_a_storm() -> None:
    f = one(_resends("TimeoutError", "The operation was aborted due to timeout"), "retry_storm")
    assert f["decisive_span_id"] == "s0"
