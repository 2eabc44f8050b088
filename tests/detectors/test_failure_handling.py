"""One answer to "was this failure handled, and how?" (detectors.handling.failure_handling), read by
every error rule: a failure one rule sees as handled, no other rule reports.

Each healthy run has a near-miss twin that fails the same way and is still found.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.base import prepare
from forensics.detectors.handling import failure_handling
from forensics.policy import resolve_policy

ASK = "What's the weather in San Francisco?"
A = {"agent": "assistant", "parent_id": "root"}


def _handling(*rows: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return {d["span_id"]: (d["handled_by"], d["handled_span_id"]) for d in failure_handling(ctx).to_dicts()}


def _tool_failure(answer: str, *after: dict[str, Any], crashed: bool = False) -> list[dict[str, Any]]:
    end = {"status": "error", "error_type": "RuntimeError"} if crashed else {}
    return [
        span("root", 0, 10, kind="agent", name="agent", agent="assistant", input=ASK, output=answer, **end),
        span("l1", 1, 2, kind="llm", model="gpt-4o", **A, output='{"tool_calls": [{"name": "get_weather"}]}'),
        span("t1", 2, 3, kind="tool", tool="get_weather", **A, input='{"city": "SF"}', status="error",
             error_type="httpx.HTTPStatusError", error_message="Server error '503 Service Unavailable'"),
        *after,
        span("l2", 6, 7, kind="llm", model="gpt-4o", **A, output=answer),
    ]  # fmt: skip


def test_each_mechanism_is_named_with_its_evidence() -> None:
    retried = span(
        "t2", 4, 5, kind="tool", tool="get_weather", **A, input='{"city": "SF"}', output='{"temp_c": 18}'
    )
    assert _handling(*_tool_failure("It's 18°C in SF.", retried))["t1"] == ("retry", "t2")
    other = span("t2", 4, 5, kind="tool", tool="get_weather", **A, input='{"city": "SF"}', status="error",
                 error_type="httpx.HTTPStatusError")  # fmt: skip
    assert _handling(*_tool_failure("It's 18°C in SF.", other))["t1"] == ("retried", None)
    page = span(
        "e1", 4, 5, kind="tool", tool="escalate_to_human", **A, input='{"reason": "weather"}', output="ok"
    )
    assert _handling(*_tool_failure("A colleague will get back to you.", page))["t1"] == ("escalation", "e1")
    # Told in fault words by the answer (the model call that first gave it).
    told = _handling(*_tool_failure("The weather service is down at the moment; please try again later."))
    assert told["t1"] == ("reported", "l2")
    assert _handling(*_tool_failure("It's 18°C and sunny in SF."))["t1"] == (None, None)


def test_a_failure_told_to_the_user_in_fault_words_is_no_unhandled_error() -> None:
    # Healthy: the tool failed and the answer said so ("is down", "try again later"), without the
    # "I couldn't ..." words of a failure verdict: swallowed_error read it as told, and now
    # unhandled_error reads the same answer.
    assert (
        detectors(run(*_tool_failure("The weather service is down at the moment; please try again later.")))
        == set()
    )
    # Near miss: the same failure and an answer as if the lookup had worked.
    found = detectors(run(*_tool_failure("It's 18°C and sunny in SF.")))
    assert "swallowed_error" in found and "unhandled_error" not in found
    # Near miss: a run that crashed after it, nothing said.
    crashed = detectors(run(*_tool_failure("", crashed=True)))
    assert "unhandled_error" in crashed


def _http(sid: str, start: float, status: int) -> dict[str, Any]:
    """An HTTP client span (OpenTelemetry HTTP semantic conventions: http.request.method, url.full,
    http.response.status_code), a 5xx marked Error."""
    attributes = {"http.request.method": "POST", "url.full": "https://auth.example.com/v1/session",
                  "http.response.status_code": status}  # fmt: skip
    error = {"status": "error", "error_type": str(status)} if status >= 500 else {}
    return span(
        sid,
        start,
        start + 0.1,
        kind="unknown",
        name="POST",
        parent_id="root",
        attributes=json.dumps(attributes),
        **error,
    )


def _session_then_agent(*requests: dict[str, Any], answer: str = "It's 18°C in SF.") -> list[dict[str, Any]]:
    return [
        span("root", 0, 10, kind="chain", name="workflow", input=ASK, output=answer),
        *requests,
        span("ag", 1, 9, kind="agent", name="assistant", agent="assistant", parent_id="root", output=answer),
        span("l1", 2, 3, kind="llm", model="gpt-4o", parent_id="ag", output=answer),
    ]


def test_an_http_request_resent_into_a_success_outside_any_agent_is_owned() -> None:
    # Healthy: the client resent the request (the same method and URL under one parent) and the
    # second attempt answered 200: the client that retried it owned the failure.
    rows = _session_then_agent(_http("h1", 0.1, 503), _http("h2", 0.3, 200))
    assert _handling(*rows)["h1"] == ("retry", "h2")
    assert detectors(run(*rows)) == set()
    # Near miss: the resend failed too and nothing else took it up.
    failed = _session_then_agent(_http("h1", 0.1, 503), _http("h2", 0.3, 503))
    assert "orphan_failure" in detectors(run(*failed))
