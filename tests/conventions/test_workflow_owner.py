"""A failure inside a Mastra workflow run is the workflow's: no orphan_failure.

``@mastra/otel-exporter`` writes each span's Mastra type as ``mastra.span.type``: the workflow run
(``workflow_run``), its steps (``workflow_step``), an agent run inside a step (``agent_run``), a
tool call (``tool_call``); an HTTP request the tool made sits under the tool. A step's error is
kept in the step's result and the run's (mastra-ai/mastra workflows/inngest/CHANGELOG.md; the
workflow's ``onError`` / ``onFinish`` options), so a failed request under a step has an owner
even with no agent span above it. Whether the workflow reported success over it is
swallowed_error's to say. Twin: the same failed request in a run that records no workflow, beside
an agent, is still owned by nobody.
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span


def _attrs(kind: str | None, **more: str) -> str:
    return json.dumps({**({"mastra.span.type": kind} if kind else {}), **more})


def _onboarding(workflow: bool) -> list[dict[str, object]]:
    wf = "workflow_run" if workflow else None
    step = "workflow_step" if workflow else None
    return [
        span("wf", 0, 7.4, kind="unknown", name="workflow run: 'customer-onboarding'", attributes=_attrs(wf),
             input='{"accountId": "acc_7Qm2"}', output='{"status": "success", "result": {"welcomeEmail": "queued"}}'),
        span("s1", 0.01, 1.2, parent_id="wf", kind="unknown", name="workflow step: 'create-workspace'",
             attributes=_attrs(step), output='{"workspaceId": "ws_91ab"}'),
        span("ag", 4.1, 7.2, parent_id="wf", kind="agent", agent="welcome-writer", name="invoke_agent welcome-writer",
             attributes=_attrs("agent_run")),
        span("l1", 4.15, 7.1, parent_id="ag", kind="llm", model="gpt-4o-mini", output="Welcome aboard!"),
        span("s3", 7.23, 443, parent_id="wf", kind="unknown", name="workflow step: 'send-welcome-email'",
             attributes=_attrs(step), status="error", error_message="TypeError: fetch failed"),
        span("post", 7.25, 443, parent_id="s3", kind="unknown", name="POST", status="error",
             error_message="UND_ERR_SOCKET", attributes=_attrs(None, **{"http.request.method": "POST"})),
    ]  # fmt: skip


def test_near_miss_a_failed_request_inside_a_workflow_run_has_an_owner() -> None:
    found = detectors(run(*_onboarding(workflow=True)))
    assert "orphan_failure" not in found
    assert "swallowed_error" in found  # the run reported success over it: that story stays


def test_the_same_failure_with_no_workflow_recorded_is_unowned() -> None:
    assert "orphan_failure" in detectors(run(*_onboarding(workflow=False)))
