"""A streamed model call its caller aborted is no unhandled failure.

A Vercel AI SDK chat route forwards the request's signal (streamText({ abortSignal: req.signal }));
when the user presses stop the signal fires, the stream rejects with a DOMException named
AbortError ("This operation was aborted"), and the SDK does not retry it by design
(packages/ai/src/util/retry-with-exponential-backoff.ts: "don't retry when the request was
aborted"). The caller ended the call; nothing was left to fall back from. A call that timed out
(AbortSignal.timeout() rejects with TimeoutError) and was left there is unhandled.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _chat(error_type: str, message: str) -> list[dict[str, object]]:
    return [
        span("root", 0, 15, kind="chain", name="ai.streamText", status="error", error_type=error_type),
        span("s1", 0.1, 1.0, parent_id="root", kind="llm", model="gpt-4o-mini", name="ai.streamText.doStream",
             output="tool-calls"),
        span("t1", 1.0, 1.8, parent_id="root", kind="tool", tool="searchDocs", name="ai.toolCall", input='{"query":"sso okta"}',
             output='{"hits":[{"path":"/docs/sso/okta"}]}'),
        span("s2", 1.9, 14.0, parent_id="root", kind="llm", model="gpt-4o-mini", name="ai.streamText.doStream",
             status="error", error_type=error_type, error_message=message),
    ]


def test_stream_aborted_by_its_caller_is_not_unhandled() -> None:
    assert "unhandled_error" not in detectors(run(*_chat("AbortError", "This operation was aborted")))


def test_stream_that_timed_out_is_unhandled() -> None:
    # Near-miss: the same call ended by AbortSignal.timeout(), which nobody asked for.
    f = one(run(*_chat("TimeoutError", "The operation was aborted due to timeout")), "unhandled_error")
    assert f["decisive_span_id"] == "s2"
