"""A write answered 404 / 410 did not land, however the tool around it returned.

OpenTelemetry's HTTP client instrumentations mark every 4xx as an error (semantic-conventions
docs/http/http-spans.md; open-telemetry/opentelemetry-js-contrib
plugins/node/instrumentation-undici/src/undici.ts ``onResponseHeaders``: ``SpanStatusCode.ERROR`` at
400 and up, the client Mastra's Node tools use). A read answered 404 / 410 inside a tool that
returned normally is the tool's answer ("no such supplier"; a retired endpoint whose successor the
tool followed), and ``not_found_answer`` clears it. A POST, PUT or PATCH so answered had nowhere to
land (RFC 9110 section 9.3; a Slack incoming webhook answers a post to an archived channel 410
``channel_is_archived``). A Mastra workflow step (mastra-ai/mastra ``@mastra/otel-exporter``:
``workflow_run`` / ``workflow_step`` / ``tool_call`` spans, the step's result its output) that
catches that answer and returns ``{"posted": true}`` swallowed it: the run ends ``success``.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

HOOK = "https://hooks.slack.com/services/T0/B0/x"


def _request(sid: str, parent: str, t: float, method: str, url: str, status: int) -> dict[str, Any]:
    attrs = {"http.request.method": method, "url.full": url, "http.response.status_code": status}
    failed = {"status": "error", "error_type": str(status)} if status >= 400 else {"status": "unset"}
    return span(sid, t, t + 0.3, parent_id=parent, kind="unknown", name=method, attributes=json.dumps(attrs), **failed)


def _handover(method: str, status: int) -> list[dict[str, Any]]:
    """A Mastra workflow: write the handover, then a step whose tool sends it with ``method`` and
    gets ``status`` back; the step returns ``{"posted": true}`` and the workflow ends success."""
    done = json.dumps({"status": "success", "result": {"posted": True}})
    return [
        span("wf", 0, 20, kind="chain", name="workflow_run oncall-handover", output=done),
        span("s1", 1, 8, parent_id="wf", kind="chain", name="workflow_step summarize"),
        span("a1", 1.1, 7.9, parent_id="s1", kind="agent", agent="handover-writer", name="invoke_agent handover-writer"),
        span("m1", 1.2, 7.8, parent_id="a1", kind="llm", model="claude-sonnet-4-5", agent="handover-writer",
             output="Shift handover: 4 incidents, one open."),
        span("s2", 9, 15, parent_id="wf", kind="chain", name="workflow_step post-to-slack", output='{"posted": true}'),
        span("t1", 9.1, 14.9, parent_id="s2", kind="tool", tool="slack-post-handover",
             input=json.dumps({"text": "Shift handover: 4 incidents, one open."}), output='{"posted": true}'),
        _request("h1", "t1", 9.2, method, HOOK, status),
    ]


def test_a_post_answered_410_under_a_step_that_returned_posted_is_swallowed() -> None:
    c = run(*_handover("POST", 410))
    hit = one(c, "swallowed_error")
    assert hit["decisive_span_id"] == "h1"
    assert "HTTP 410" in hit["explanation"]


def test_put_and_patch_answered_404_did_not_land_either() -> None:
    for method in ("PUT", "patch"):
        assert one(run(*_handover(method, 404)), "swallowed_error")["decisive_span_id"] == "h1", method


def test_a_read_answered_410_whose_successor_the_tool_followed_stays_clean() -> None:
    # Microsoft Agent Framework tool over httpx: the retired v1 endpoint answers 410 Gone with a
    # successor-version Link (RFC 8288), the tool GETs v2 and returns the record.
    rows = [
        span("root", 0, 10, kind="agent", agent="procurement", name="invoke_agent procurement",
             output="Brenner Fasteners is active; insurance valid until March."),
        span("t1", 1, 4, parent_id="root", kind="tool", tool="get_supplier_status", agent="procurement",
             input='{"supplier_id": "SUP-30417"}', output='{"status": "active"}'),
        _request("h1", "t1", 1.1, "GET", "https://erp.example/api/v1/suppliers/SUP-30417", 410),
        _request("h2", "t1", 1.5, "GET", "https://erp.example/api/v2/suppliers/SUP-30417", 200),
    ]
    assert detectors(run(*rows)) == set()


def test_a_read_or_delete_answered_not_found_inside_a_normal_tool_stays_clean() -> None:
    for method, status in (("GET", 410), ("GET", 404), ("DELETE", 404), ("HEAD", 404)):
        # (An HTTP DELETE is the policy's irreversible act, unguarded_irreversible's to judge.)
        found = detectors(run(*_handover(method, status)))
        assert not found & {"swallowed_error", "unhandled_error", "undelivered_output"}, (method, status, found)
