"""A retried create answered 409 "already exists": the first attempt's create had landed.

Kubernetes answers a create whose object exists with a Status of code 409, reason AlreadyExists,
message '<kind> "<name>" already exists' (k8s.io/apimachinery pkg/api/errors NewAlreadyExists), and
its clients treat it as the object being there (client-go apierrors.IsAlreadyExists). OpenTelemetry
marks every 4xx on an HTTP client span as an error (semantic-conventions docs/http/http-spans.md).
An agent's create_namespace whose first request timed out (the API server had created it; the answer
was lost) and whose retry came back 409 did its job.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

URL = "https://k8s.example:6443/api/v1/namespaces"
ALREADY = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                      "message": 'namespaces "team-a" already exists', "reason": "AlreadyExists", "code": 409})
MODIFIED = ('Operation cannot be fulfilled on namespaces "team-a": the object has been modified; '
            "please apply your changes to the latest version and try again")


def _http(sid: str, parent: str, t: float, status: int | None, message: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {"http.request.method": "POST", "url.full": URL}
    if status is not None:
        attrs["http.response.status_code"] = status
    return span(sid, t, t + 0.4, parent_id=parent, kind="unknown", name="POST", status="error",
                error_type=str(status or "ReadTimeoutError"), error_message=message, attributes=json.dumps(attrs))


def _create(*, first_timed_out: bool, tool_says: str, http_says: str = "409",
            crashed: bool = False) -> list[dict[str, Any]]:
    """With ``crashed`` the agent's run span ends in error (the run did not report success)."""
    end = {"status": "error", "error_type": "AgentRunError"} if crashed else {}
    rows = [
        span("root", 0, 20, kind="agent", agent="ops", name="ops", input="Create namespace team-a",
             output="Namespace team-a is ready.", **end),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="ops", output="create_namespace(team-a)"),
    ]
    if first_timed_out:
        rows += [
            span("t1", 2, 12, parent_id="root", kind="tool", tool="create_namespace", agent="ops",
                 input='{"name": "team-a"}', status="error", error_type="ReadTimeoutError",
                 error_message="HTTPSConnectionPool(host='k8s.example', port=6443): Read timed out. (read timeout=10)"),
            _http("h1", "t1", 2.1, None, "Read timed out."),
        ]
    rows += [
        span("t2", 12.5, 13.5, parent_id="root", kind="tool", tool="create_namespace", agent="ops",
             input='{"name": "team-a"}', output=tool_says),
        _http("h2", "t2", 12.6, 409, http_says),
        span("l2", 14, 15, parent_id="root", kind="llm", model="gpt-4o", agent="ops", output="Namespace team-a is ready."),
    ]
    return rows


def _failed(rows: list[dict[str, Any]], sid: str) -> bool:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return bool(ctx.spans.filter(pl.col("span_id") == sid).get_column("failed").item())


def test_a_retried_create_that_found_its_object_did_not_fail() -> None:
    # Near-miss: the first request timed out, the retry's 409 says the namespace exists (in the
    # tool's result, or in the request's own error): nothing failed that was not retried.
    for tool_says, http_says in (("namespace team-a already exists", "409"), ("created", ALREADY)):
        rows = _create(first_timed_out=True, tool_says=tool_says, http_says=http_says)
        assert _failed(rows, "h2") is False
        assert _failed(rows, "t1") is True  # the timeout itself was a failure, retried
        assert not detectors(run(*rows)) & {"unhandled_error", "swallowed_error"}


def test_a_409_with_no_failed_attempt_before_it_or_a_conflict_still_fails() -> None:
    # Firing: with no earlier attempt, "already exists" may be someone else's object; and a 409 that
    # is a write conflict (the object has been modified) is no "already exists". In a run that then
    # ended in error the unhandled request is unhandled_error's; in one that reported success it is
    # swallowed_error's alone (an error the run reported success over is one story, told once).
    crashed = _create(first_timed_out=False, tool_says="namespace team-a already exists", crashed=True)
    assert _failed(crashed, "h2") is True
    assert "unhandled_error" in detectors(run(*crashed))
    first = _create(first_timed_out=False, tool_says="namespace team-a already exists")
    assert _failed(first, "h2") is True
    found = detectors(run(*first))
    assert "swallowed_error" in found and "unhandled_error" not in found
    conflict = _create(first_timed_out=True, tool_says=MODIFIED, http_says=MODIFIED)
    assert _failed(conflict, "h2") is True
    assert "swallowed_error" in detectors(run(*conflict))
