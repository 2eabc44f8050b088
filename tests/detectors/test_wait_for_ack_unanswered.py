"""A step named for acknowledgement whose own result says nobody acknowledged is no acknowledgement.

An on-call copilot pages through the PagerDuty Events API v2 (answer {"status": "success", "message":
"Event processed", "dedup_key": ...}) and then waits for the acknowledgement; the wait returns the
incident still "triggered" (PagerDuty incident status: triggered, acknowledged, resolved) or
"acknowledged": false (Opsgenie alerts) when nobody took it. The page went unacknowledged.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

PAGED = json.dumps({"status": "success", "message": "Event processed", "dedup_key": "k1"})


def _page(wait_result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        span("root", 0, 950, kind="agent", agent="copilot", name="agent run", output="On-call is on it."),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="copilot", output=""),
        span("p1", 3, 4, parent_id="root", kind="tool", tool="page_oncall", agent="copilot",
             input='{"service": "checkout", "severity": "high"}', output=PAGED),
        span("w1", 5, 905, parent_id="root", kind="tool", tool="wait_for_ack", agent="copilot",
             input='{"dedup_key": "k1", "timeout_s": 900}', output=json.dumps(wait_result)),
        span("l2", 906, 907, parent_id="root", kind="llm", model="gpt-4o", agent="copilot", output="On-call is on it."),
    ]


def test_a_wait_that_came_back_unacknowledged_leaves_the_page_unacknowledged() -> None:
    for result in ({"acknowledged": False, "status": "triggered", "assignee": None},
                   {"acknowledged": False, "waited_s": 900}):
        f = one(run(*_page(result)), "unacknowledged_escalation")
        assert f["decisive_span_id"] == "p1", result


def test_a_wait_that_got_its_acknowledgement_is_one() -> None:
    for result in ({"acknowledged": True, "status": "acknowledged", "assignee": "kim"},
                   {"status": "acknowledged"}):
        assert "unacknowledged_escalation" not in detectors(run(*_page(result))), result
