"""unacknowledged_escalation on an OpenAI Agents SDK call stopped for approval (needs_approval): the
runner resuming from its RunState (work inside an agent) takes it up; an application's own marker
span outside every agent (a custom span saying it asked) does not."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

OA = {"source_format": "openai-agents"}
WIRE = json.dumps({"vendor_id": "V-20931", "amount": 48250.0, "currency": "EUR"})


def _wire(*after: dict[str, object]):
    return run(
        span("a1", 0, 8, kind="agent", name="Treasury Agent", **OA),
        span("m1", 1, 2, parent_id="a1", kind="llm", name="response", **OA),
        span("t1", 7, 7.01, parent_id="a1", kind="tool", name="send_wire", input=WIRE, output=None, **OA),
        span("c1", 8.1, 8.2, kind="chain", name="approval_requested",
             input=json.dumps({"tool": "send_wire", "channel": "#treasury-approvals"}), **OA),
        *after,
    )


def test_a_call_awaiting_approval_with_only_the_apps_marker_after_it_is_unacknowledged() -> None:
    f = one(_wire(), "unacknowledged_escalation")
    assert f["decisive_span_id"] == "t1"
    assert "send_wire" in f["explanation"]


def test_near_miss_the_run_resumed_and_ran_the_approved_call() -> None:
    c = _wire(
        span("a2", 300, 306, kind="agent", name="Treasury Agent", **OA),
        span("t2", 300.1, 302, parent_id="a2", kind="tool", name="send_wire", input=WIRE,
             output="{'wire_id': 'W-1', 'status': 'sent'}", **OA),
        span("m2", 302.1, 305, parent_id="a2", kind="llm", name="response", **OA),
    )
    found = detectors(c)
    assert "unacknowledged_escalation" not in found
    assert "unguarded_irreversible" not in found
