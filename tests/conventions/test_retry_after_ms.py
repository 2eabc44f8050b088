"""Azure OpenAI's 429 asks for its wait in milliseconds (retry-after-ms).

openai-python's client reads the non-standard ``retry-after-ms`` header before ``retry-after``
(_base_client.py _parse_retry_after_header: float(retry_ms_header) / 1000) and sleeps that long
before it sends the request again, all inside the one chat call. The HTTP client spans under the
chat span are the attempts; the header is recorded on each refused one
(http.response.header.retry-after-ms). Retries spaced as the server asked (7.2 s, then 3.1 s: the
spacing shrinks) are no storm; the same header answered by a resend a fraction of a second later is.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

URL = "https://example-eus2.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"


def _chat(asked_ms: list[int], waits: list[float]) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, 60, kind="agent", agent="reviewer", name="invoke_agent reviewer"),
        span("chat", 0.1, 50, parent_id="root", kind="llm", model="gpt-4o", agent="reviewer"),
    ]
    t = 0.2
    for i, (ms, wait) in enumerate(zip(asked_ms, waits, strict=True)):
        attrs: dict[str, Any] = {"http.request.method": "POST", "url.full": URL, "http.response.status_code": 429,
                                 "http.response.header.retry-after-ms": [str(ms)]}
        rows.append(span(f"h{i}", t, t + 0.2, parent_id="chat", kind="unknown", name="POST", status="error",
                         error_type="429", attributes=json.dumps(attrs)))
        t += 0.2 + wait
    ok = {"http.request.method": "POST", "url.full": URL, "http.response.status_code": 200}
    rows.append(span("ok", t, t + 0.9, parent_id="chat", kind="unknown", name="POST", attributes=json.dumps(ok)))
    return rows


def test_retries_spaced_as_retry_after_ms_asked_are_no_storm() -> None:
    assert "retry_storm" not in detectors(run(*_chat([7200, 3100], [7.22, 3.13])))


def test_retry_after_ms_ignored_is_a_storm() -> None:
    # Near-miss: the same header, but each resend follows 0.3 s after the refusal.
    f = one(run(*_chat([7200, 7200, 7200], [0.3, 0.3, 0.3])), "retry_storm")
    assert f["decisive_span_id"] == "h1" and "Retry-After" in f["explanation"]
