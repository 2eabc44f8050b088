"""A model call that failed after its client's own resends, with nothing after it, is unhandled.

openai-python re-sends a failed request itself (_base_client.py _retry_request, max_retries=2,
exponential backoff from 0.5 s), each resend its own HTTP client span under the one chat span
(opentelemetry-python-contrib httpx instrumentation; http.request.resend_count on the resends). When
every attempt fails the client raises and the chat span ends Error: the resends were the client's,
the call failed, and no fallback model, escalation or failure result followed.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

URL = "https://api.openai.com/v1/chat/completions"


def _post(sid: str, t: float, status: int, resend: int) -> dict[str, Any]:
    attrs: dict[str, Any] = {"http.request.method": "POST", "url.full": URL, "http.response.status_code": status}
    if resend:
        attrs["http.request.resend_count"] = resend
    failed = status >= 400
    return span(sid, t, t + 0.3, parent_id="c2", kind="unknown", name="POST", status="error" if failed else "ok",
                error_type=str(status) if failed else None, attributes=json.dumps(attrs))


def _job(gaps: tuple[float, ...], last_status: int) -> list[dict[str, Any]]:
    times = [20.0]
    for g in gaps:
        times.append(times[-1] + 0.3 + g)
    statuses = [500] * (len(times) - 1) + [last_status]
    ok = last_status < 400
    rows = [
        span("root", 0, times[-1] + 1, kind="agent", agent="onboard", name="invoke_agent onboard",
             status="ok" if ok else "error", error_type=None if ok else "InternalServerError",
             output="Workspace ready." if ok else None),
        span("c1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="onboard", output=""),
        span("t1", 3, 4, parent_id="root", kind="tool", tool="create_account", agent="onboard",
             input='{"email": "a@x.example"}', output='{"account_id": "acc_1", "created": true}'),
        span("c2", 19.9, times[-1] + 0.5, parent_id="root", kind="llm", model="gpt-4o", agent="onboard",
             status="ok" if ok else "error", error_type=None if ok else "InternalServerError",
             error_message=None if ok else "Error code: 500", output="Workspace ready." if ok else None),
    ]
    rows += [_post(f"h{i}", t, st, i) for i, (t, st) in enumerate(zip(times, statuses, strict=True))]
    return rows


def test_a_chat_call_that_failed_after_the_clients_resends_is_unhandled() -> None:
    # Firing: three attempts, growing backoff (0.6 s, 1.4 s), all 500, the job crashed.
    f = one(run(*_job((0.6, 1.4), 500)), "unhandled_error")
    assert f["decisive_span_id"] == "c2"


def test_resends_that_recovered_or_stormed_are_not_unhandled() -> None:
    # Near-misses: the third attempt answered 200 (recovered); eight resends at a fixed interval
    # are retry_storm's story, not a second one.
    assert "unhandled_error" not in detectors(run(*_job((0.6, 1.4), 200)))
    stormed = detectors(run(*_job((1.0,) * 7, 500)))
    assert "retry_storm" in stormed and "unhandled_error" not in stormed
