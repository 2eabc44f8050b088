"""limbo reads the run's last activity, not whatever span the instrumentation wrote last.

A run that never ended (its root has no end) and whose last call was an escalation nobody took is in
limbo even when a span that is no activity (a wrapper step, a logging span) started after the
escalation; a model call after the escalation is activity, and then the escalation was not the last.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _open_run(after: dict[str, object]) -> list[dict[str, object]]:
    return [
        span("root", 0, None, kind="agent", name="support_agent"),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", output='{"tool": "escalate_to_human"}'),
        span("e1", 3, 3.5, parent_id="root", kind="tool", tool="escalate_to_human",
             input='{"reason": "chargeback dispute over $2,400"}', output='{"queued": true}'),
        after,
    ]


def test_an_open_run_whose_last_call_was_the_escalation_is_in_limbo() -> None:
    c = run(*_open_run(span("w1", 4, None, parent_id="root", kind="chain", name="await_agent_reply")))
    assert one(c, "limbo")["decisive_span_id"] == "e1"


def test_near_miss_a_model_call_after_the_escalation() -> None:
    c = run(*_open_run(span("l2", 4, None, parent_id="root", kind="llm", model="gpt-4o")))
    assert "limbo" not in detectors(c)
