"""A model call refused with 429 carries the Retry-After of its HTTP response.

openai-python raises the 429 with the response it got (_base_client.py _make_status_error;
RateLimitError.response.headers): a tenacity loop around the SDK call (max_retries=0) that calls the
model again after a fixed 1 s wait ignored the 20 s the server asked for. The header is recorded on
the HTTP client span under the chat span (http.response.header.retry-after); the chat spans are the
attempts. The decisive span is the first re-send that ignored the wait.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

URL = "https://api.openai.com/v1/chat/completions"


def _loop(wait: float, retry_after: int | None, n: int = 5) -> list[dict[str, Any]]:
    rows = [span("root", 0, 200, kind="agent", agent="kb", name="answer_ticket", status="error",
                 error_type="RetryError")]
    t = 1.0
    for i in range(n):
        attrs: dict[str, Any] = {"http.request.method": "POST", "url.full": URL, "http.response.status_code": 429}
        if retry_after is not None:
            attrs["http.response.header.retry-after"] = [str(retry_after)]
        rows.append(span(f"c{i}", t, t + 0.4, parent_id="root", kind="llm", model="gpt-4o", agent="kb",
                         status="error", error_type="RateLimitError", error_message="Error code: 429"))
        rows.append(span(f"h{i}", t + 0.01, t + 0.39, parent_id=f"c{i}", kind="unknown", name="POST",
                         status="error", error_type="429", attributes=json.dumps(attrs)))
        t += 0.4 + wait
    return rows


def test_resend_that_ignored_the_retry_after_of_the_model_call_is_decisive() -> None:
    f = one(run(*_loop(wait=0.8, retry_after=20)), "retry_storm")
    assert f["decisive_span_id"] == "c1" and "Retry-After" in f["explanation"]


def test_no_retry_after_or_the_wait_honoured() -> None:
    # Near-misses: without the header the first failed attempt is decisive; waiting out the 20 s
    # each time is the backoff the server asked for (the same flat 21 s spacing with no header
    # asking for it is a storm).
    assert one(run(*_loop(wait=0.8, retry_after=None)), "retry_storm")["decisive_span_id"] == "c0"
    assert "retry_storm" not in detectors(run(*_loop(wait=21.0, retry_after=20, n=4)))
