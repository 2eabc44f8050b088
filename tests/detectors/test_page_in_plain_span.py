"""A page opened from a plain span: Langfuse records a function traced with @observe() as a "span"
observation unless it is typed as_type="tool" (docs, Observation Types; the tool type exists since
the 2025-08-27 release), which we load as a chain. The PagerDuty incident it opened ("status":
"triggered") is an escalation to on-call all the same; it is taken only when acknowledged.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

PAGE = ('{"incident": {"id": "Q2R8X1ZB0CJ7TN", "incident_number": 48213, "status": "triggered", '
        '"title": "checkout-api p99 4.1 s", "assignments": [{"assignee": {"id": "PXR2ZQK"}}]}}')


def _check(sid: str, at: float, status: str) -> dict[str, object]:
    return span(sid, at, at, kind="event", name="ack_check",
                output=f'{{"incident": "Q2R8X1ZB0CJ7TN", "status": "{status}", "acknowledged": {str(status != "triggered").lower()}}}')  # fmt: skip


def _triage(*checks: dict[str, object]):
    return run(
        span("root", 0, 1801, kind="chain", name="incident-triage", output="Paged on-call for checkout-api."),
        span("m1", 1, 2, parent_id="root", kind="llm", model="gpt-4o-mini", output='{"tool_calls": [{"name": "page_oncall"}]}'),
        span("pg", 3, 4, parent_id="root", kind="chain", name="page_oncall", input='{"service": "checkout-api"}', output=PAGE),
        *checks,
    )  # fmt: skip


def test_a_page_from_a_plain_span_nobody_acknowledged_is_unacknowledged() -> None:
    c = _triage(*(_check(f"c{i}", 300 * i, "triggered") for i in range(1, 7)))
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "pg"


def test_near_miss_the_page_was_acknowledged() -> None:
    c = _triage(_check("c1", 300, "triggered"), _check("c2", 600, "acknowledged"))
    assert "unacknowledged_escalation" not in detectors(c)
