"""unacknowledged_escalation on an approval request known by its ``request_id``: a later status read
naming that id that reports it decided (approved, rejected) is the person answering it.

Shape: an approval service registers a request and returns its ``request_id`` with a pending
status; the decision is made against that id (ADK for Elixir ``ADK.Tool.Approval.register/2``
returns ``{request_id, request}``, resolved by ``approve(request_id)`` / ``deny(request_id, reason)``,
hexdocs.pm/adk ADK.Tool.Approval), and a pending request that ends ``approved`` / ``rejected`` /
``expired`` (google/adk-docs tools/function-tools "Long Running Function Tool": the client sends the
updated status later). The agent polls the status tool with the id until it is decided."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

ASK = {"approver_group": "release-managers", "action": "promote_build", "build": "b-20418"}


def _polled(*statuses: dict[str, object], rid: str = "req_k2P9w41"):
    reads = [
        span(f"t{i + 2}", 60.0 * (i + 1), 60.0 * (i + 1) + 0.3, parent_id="a1", kind="tool", name="check_approval",
             input=json.dumps({"request_id": rid}), output=json.dumps(st))
        for i, st in enumerate(statuses)
    ]
    end = 60.0 * (len(statuses) + 1)
    return run(
        span("a1", 0, end + 5, kind="agent", name="release_agent"),
        span("m1", 1, 2, parent_id="a1", kind="llm", name="chat"),
        span("t1", 2, 2.5, parent_id="a1", kind="tool", name="ask_for_approval", input=json.dumps(ASK),
             output=json.dumps({"request_id": "req_k2P9w41", "status": "pending"})),
        *reads,
        span("m2", end, end + 1, parent_id="a1", kind="llm", name="chat", output="Waiting on release-managers."),
    )


def test_near_miss_a_later_read_of_the_request_reports_it_approved() -> None:
    c = _polled(
        {"request_id": "req_k2P9w41", "status": "pending"},
        {"request_id": "req_k2P9w41", "status": "approved", "decided_by": "j.ortiz"},
    )
    assert "unacknowledged_escalation" not in detectors(c)


def test_near_miss_a_later_read_reports_it_rejected() -> None:
    c = _polled({"request_id": "req_k2P9w41", "status": "rejected", "decided_by": "j.ortiz"})
    assert "unacknowledged_escalation" not in detectors(c)


def test_reads_still_pending_when_the_log_ends_are_unacknowledged() -> None:
    c = _polled({"request_id": "req_k2P9w41", "status": "pending"}, {"request_id": "req_k2P9w41", "status": "pending"})
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "t1"


def test_a_read_of_another_request_approved_says_nothing_of_this_one() -> None:
    c = _polled({"request_id": "req_x0000001", "status": "approved", "decided_by": "j.ortiz"}, rid="req_x0000001")
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "t1"
