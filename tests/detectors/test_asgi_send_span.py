"""An ASGI ``http send`` span's status code is the response the server sent, not a failure of its own.

opentelemetry-instrumentation-asgi (open-telemetry/opentelemetry-python-contrib
``instrumentation/opentelemetry-instrumentation-asgi/src/opentelemetry/instrumentation/asgi/__init__.py``,
``_get_otel_send``) opens an internal span ``"{method} {route} http send"`` for each ASGI message the
app sends, with ``asgi.event.type`` = ``http.response.start`` and the response's
``http.response.status_code``, beside the SERVER span. A FastAPI endpoint whose Semantic Kernel agent
failed on an Azure 503 answered 500: the failure is the agent's (an unhandled error), and the 500
told the client. The send span, outside any agent, was read as a failure of its own with no owner
(orphan_failure). The SERVER span's own 500 and the agent's error still count.
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span


def _endpoint(send_attrs: dict[str, object]) -> list[dict[str, object]]:
    return [
        span("srv", 0, 3, kind="unknown", name="POST /api/chat", status="error",
             attributes=json.dumps({"http.response.status_code": 500, "http.route": "/api/chat"})),
        span("recv", 0.01, 0.02, parent_id="srv", kind="unknown", name="POST /api/chat http receive",
             attributes=json.dumps({"asgi.event.type": "http.request"})),
        span("agent", 0.1, 2.5, parent_id="srv", kind="agent", name="invoke_agent ClaimsFAQAgent", agent="ClaimsFAQAgent",
             status="error", error_type="ServiceResponseException"),
        span("chat", 0.2, 2.4, parent_id="agent", kind="llm", model="gpt-4o", agent="ClaimsFAQAgent",
             status="error", error_type="ServiceResponseException", error_message="(503) Service Unavailable"),
        span("send", 2.9, 2.95, parent_id="srv", kind="unknown", name="POST /api/chat http send",
             attributes=json.dumps(send_attrs)),
    ]


def test_near_miss_the_asgi_send_span_of_a_500_is_no_orphan_failure() -> None:
    found = detectors(run(*_endpoint({"asgi.event.type": "http.response.start", "http.response.status_code": 500})))
    assert "orphan_failure" not in found
    assert "unhandled_error" in found


def test_a_failed_http_call_outside_any_agent_is_still_an_orphan() -> None:
    # The same 500 on a span that is no ASGI message (an outgoing request nobody owned) still counts.
    found = detectors(run(*_endpoint({"http.request.method": "POST", "http.response.status_code": 500})))
    assert "orphan_failure" in found
