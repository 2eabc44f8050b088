"""swallowed_error: a route that answered 200 over the model call that failed under it.

A Next.js route handler traced by Next.js' own OpenTelemetry (span ``POST /api/...``, ``next.span_type``
``BaseServer.handleRequest``, ``http.response.status_code``) calls the Vercel AI SDK's ``generateText``
with ``experimental_telemetry``: the SDK's spans ``ai.generateText`` and ``ai.generateText.doGenerate``
(vercel/ai packages/ai/core/telemetry) end in error with the provider's ``AI_APICallError`` (OpenAI's 429
``insufficient_quota``, "You exceeded your current quota", which the SDK does not retry). The server span's
status stays unset for any 1xx-4xx answer (semantic-conventions docs/http/http-spans.md "Status": a
server span is Error only for 5xx), so its 200 is the run's report: success, over an error nothing
recovered (TAXONOMY swallowed_error), not a run that ended with nothing said (unhandled_error's).

Near misses: the route answered 500 (the failure reported: not swallowed); the route fell back to
another provider for the same prompt, which answered (recovered: clean).
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, run, span

_QUOTA = ("You exceeded your current quota, please check your plan and billing details. For more information "
          "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.")


def _route(status_code: int, *, fallback: bool = False) -> list[dict[str, Any]]:
    server = {"http.request.method": "POST", "http.route": "/api/support/reply", "http.response.status_code": status_code,
              "next.span_type": "BaseServer.handleRequest"}
    rows = [
        span("route", 0, 3, kind="unknown", name="POST /api/support/reply", attributes=json.dumps(server),
             status="error" if status_code >= 500 else "unset"),
        span("gen", 0.1, 0.5, parent_id="route", kind="chain", name="ai.generateText", model="gpt-4o-2024-08-06",
             status="error", error_type="AI_APICallError", error_message=_QUOTA),
        span("call", 0.11, 0.4, parent_id="gen", kind="llm", name="ai.generateText.doGenerate", model="gpt-4o-2024-08-06",
             status="error", error_type="AI_APICallError", error_message=_QUOTA),
    ]
    if fallback:
        rows += [
            span("gen2", 0.6, 2.5, parent_id="route", kind="chain", name="ai.generateText", model="claude-sonnet-4-5"),
            span("call2", 0.61, 2.4, parent_id="gen2", kind="llm", name="ai.generateText.doGenerate",
                 model="claude-sonnet-4-5", output="I'm sorry the lamp base arrived cracked: a replacement is on its way."),
        ]
    return rows


def test_a_200_over_the_failed_model_call_is_a_swallowed_error() -> None:
    found = detectors(run(*_route(200)))
    assert "swallowed_error" in found and "unhandled_error" not in found, found


def test_near_miss_a_500_answer_or_a_fallback_that_answered() -> None:
    found = detectors(run(*_route(500)))
    assert "swallowed_error" not in found, found
    assert not detectors(run(*_route(200, fallback=True)))
