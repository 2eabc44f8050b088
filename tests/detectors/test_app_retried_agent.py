"""An agent invoked again by the application's own retry loop: one request, attempted again.

Semantic Kernel (Python) traces each ``ChatCompletionAgent.get_response`` / ``invoke`` as its own
``invoke_agent <name>`` span (microsoft/semantic-kernel python/semantic_kernel/utils/telemetry/
agent_diagnostics/decorators.py: ``_start_as_current_span`` with gen_ai.operation.name,
gen_ai.agent.id / name; ``_set_agent_invocation_input`` writes the messages as
gen_ai.input.messages; ``_set_agent_invocation_error`` sets error.type and status ERROR with the
exception's repr when it raised). An application that catches the error and calls the agent again
with the same messages leaves sibling ``invoke_agent`` spans with the same input under its own span:
attempts of one request (conventions.attempts), not separate failures nobody retried.

Firing: three attempts back to back, every one failing the same way, the run ending failed without
an answer: retry_storm (retries whose spacing never grew), not a first failure "never retried".
Near misses: the third attempt answered (recovered: clean), and one agent asked three different
questions that each failed is three requests (no storm; each failure judged on its own).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import polars as pl

import forensics

ERROR = "ServiceResponseException(\"<class 'OpenAIChatCompletion'> service failed to complete the prompt\", InternalServerError('Error code: 500'))"


def _at(seconds: float) -> str:
    return (datetime(2025, 11, 20, tzinfo=UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _span(i: int, name: str, start: float, end: float, attributes: dict[str, Any], parent: int | None = 0,
          error: str | None = None, events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    # opentelemetry-sdk ReadableSpan.to_json(), one per line (the console / file exporter).
    status = {"status_code": "ERROR", "description": error} if error else {"status_code": "UNSET"}
    return {
        "name": name, "context": {"trace_id": "0x" + "ab" * 16, "span_id": f"0x{i + 1:016x}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL", "parent_id": None if parent is None else f"0x{parent + 1:016x}",
        "start_time": _at(start), "end_time": _at(end),
        "status": status, "attributes": attributes, "events": events or [], "links": [],
        "resource": {"attributes": {"service.name": "billing-support"}, "schema_url": ""},
    }  # fmt: skip


def _app(questions: list[str], *, last_ok: bool = False, gap: float = 0.5, record_input: bool = True,
         raised: str | None = None) -> list[dict[str, Any]]:
    spans = []
    t = 1.0
    for n, question in enumerate(questions):
        ok = last_ok and n == len(questions) - 1
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.id": "a1f3", "gen_ai.agent.name": "BillingAgent",
        }  # fmt: skip
        if record_input:
            attrs["gen_ai.input.messages"] = json.dumps([{"role": "user", "content": question}])
        events = []
        if ok:
            attrs["gen_ai.output.messages"] = json.dumps([{"role": "assistant", "content": "The second charge is a hold; it drops off in 3 days."}])
        else:
            attrs["error.type"] = "ServiceResponseException"
            if raised:
                # start_as_current_span(record_exception=True): str(exc) in the exception event.
                events = [{"name": "exception", "timestamp": _at(t + 3),
                           "attributes": {"exception.type": "ServiceResponseException", "exception.message": raised,
                                          "exception.escaped": "False"}}]  # fmt: skip
        spans.append(_span(n + 1, "invoke_agent BillingAgent", t, t + 3, attrs, error=None if ok else ERROR, events=events))
        t += 3 + gap
    failed = not last_ok
    root = _span(0, "handle_ticket", 0, t, {"ticket.id": "T-4411"}, parent=None,
                 error="AgentInvokeException('BillingAgent failed after 3 attempts')" if failed else None)
    return [root, *spans]


def _write(tmp_path: Path, spans: list[dict[str, Any]]) -> Path:
    path = tmp_path / "app.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    return path


def _detectors(tmp_path: Path, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = forensics.classify(forensics.load(_write(tmp_path, spans), format="otel-sdk-json").spans).findings
    return pl.DataFrame(pl.from_arrow(found)).to_dicts()


SAME = ["Why was I charged twice for order 4411?"] * 3


def test_an_agent_retried_by_the_app_and_exhausted_is_a_retry_storm(tmp_path: Path) -> None:
    found = _detectors(tmp_path, _app(SAME))
    assert [f["detector"] for f in found] == ["retry_storm"]
    (storm,) = found
    assert "failed 3 time(s)" in storm["explanation"] and "retried 2 time(s)" in storm["explanation"]
    assert storm["failure_class"] == "missing_fallback"


def test_near_miss_the_apps_third_attempt_answered(tmp_path: Path) -> None:
    assert _detectors(tmp_path, _app(SAME, last_ok=True)) == []


def test_near_miss_three_different_questions_are_three_requests(tmp_path: Path) -> None:
    questions = ["Why was I charged twice?", "Can I get an invoice?", "Close my account."]
    assert "retry_storm" not in {f["detector"] for f in _detectors(tmp_path, _app(questions))}


# Semantic Kernel writes gen_ai.input.messages only with its sensitive-data switch on
# (_set_agent_invocation_input: `if are_sensitive_events_enabled()`; the older decorators,
# trace_agent_get_response / trace_agent_invocation, write no input at all): by default the caller
# is the only evidence that two invocations are one request. The status says only "service failed
# to complete the prompt" (_set_completion_error: repr of the SK exception); the Azure 429's
# "Please retry after 28 seconds." is in the exception event the SDK records, str(exc).
AZURE_429 = (
    "<class 'AzureChatCompletion'> service failed to complete the prompt, Error code: 429 - {'error': {'code': '429', "
    "'message': 'Requests to the ChatCompletions_Create Operation have exceeded token rate limit. Please retry after 28 seconds.'}}"
)


def test_an_agent_retried_by_the_app_with_no_input_recorded_is_a_retry_storm(tmp_path: Path) -> None:
    found = _detectors(tmp_path, _app(SAME, gap=2.0, record_input=False, raised=AZURE_429))
    assert [f["detector"] for f in found] == ["retry_storm"]
    (storm,) = found
    assert "failed 3 time(s)" in storm["explanation"] and "Retry-After" in storm["explanation"]
    # The first resend that ignored the 28 s the 429 asked for (the second invocation, span 3).
    assert storm["decisive_span_id"] == f"{3:016x}"


def test_near_miss_no_input_recorded_and_the_wait_honoured(tmp_path: Path) -> None:
    # The same three failed attempts, the app waiting the 28 s the 429 asked for before each.
    spans = _app(SAME, gap=28.5, record_input=False, raised=AZURE_429)
    assert forensics.load(_write(tmp_path, spans), format="otel-sdk-json").spans.num_rows == 4
    assert "retry_storm" not in {f["detector"] for f in _detectors(tmp_path, spans)}
