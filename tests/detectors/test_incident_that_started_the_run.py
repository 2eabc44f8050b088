"""An incident that started the run is no page the run sent.

A PagerDuty webhook (v3 ``event_type`` "incident.triggered", PagerDuty developer docs "Webhooks v3
overview": incident.triggered, incident.acknowledged, incident.resolved) often starts an agent job
that summarises the incident for the on-call channel. The job's top span keeps the event that
started it: Langfuse records it as the trace's ``metadata`` (langfuse-python ``Langfuse.trace(...,
metadata=...)``; the loader keeps trace metadata on the root span's attributes), OpenTelemetry as
the server span's attributes. That incident was triggered before the run and by someone else; the
run received it. A page the run sends is a call under its top span (a ``trigger_incident`` tool, an
Events API request), and a run that is nothing but that call is still the page.
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span

TRIGGER = json.dumps({"trigger": "pagerduty.incident.triggered", "router": "prod-router"})


def _summary_job(*extra: dict[str, object], root_attributes: str = TRIGGER) -> list[dict[str, object]]:
    return [
        span("root", 0, 45, kind="chain", name="summarize_incident", attributes=root_attributes,
             input=json.dumps({"incident": "Q2MPKD7X1E", "service": "checkout-api"}),
             output=json.dumps({"posted_to": "#inc-checkout"})),
        span("timeline", 0.1, 0.3, parent_id="root", kind="chain", name="fetch_timeline",
             input=json.dumps({"incident_id": "Q2MPKD7X1E"}), output=json.dumps({"alerts": 14})),
        span("llm", 1.0, 30.0, parent_id="root", kind="llm", name="acompletion", model="gpt-4o",
             output="checkout-api p99 > 2s since 02:59 UTC, 61 s after deploy 9c1e0b2."),
        span("post", 31.0, 31.5, parent_id="root", kind="tool", tool="post_slack_message",
             input=json.dumps({"channel": "#inc-checkout"}), output=json.dumps({"ok": True})),
        *extra,
    ]


def test_the_incident_that_started_the_job_is_not_an_escalation_it_made() -> None:
    assert "unacknowledged_escalation" not in detectors(run(*_summary_job()))


def test_near_miss_a_page_the_job_sent_under_its_top_span_still_counts() -> None:
    page = span("page", 32.0, 32.4, parent_id="root", kind="tool", tool="trigger_incident",
                input=json.dumps({"routing_key": "R0UT1NG", "event_action": "trigger"}),
                output=json.dumps({"status": "success", "message": "Event processed", "dedup_key": "dk-77"}))
    assert "unacknowledged_escalation" in detectors(run(*_summary_job(page)))


def test_near_miss_a_run_that_is_only_the_page_is_still_the_page() -> None:
    lone = span("root", 0, 1, kind="chain", name="notify", attributes=json.dumps({"event_type": "incident.triggered"}),
                output=json.dumps({"incident": {"id": "Q9", "status": "triggered"}}))
    assert "unacknowledged_escalation" in detectors(run(lone))
