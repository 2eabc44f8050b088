"""A meeting claimed booked is backed by the calendar event the run created.

Google Calendar's API creates an event with events.insert ("Creates an event") or events.quickAdd;
calendar MCP servers expose it as create_event. "I've scheduled the meeting with Dana" after a
successful create_event is backed. Near misses: the event call failed; the run made no calendar
call at all (a lookup of free slots only).
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span

ANSWER = "I've scheduled the meeting with Dana for Tuesday at 3pm."


def _session(tool: str, ok: bool = True):
    args = json.dumps({"calendarId": "primary", "summary": "Sync with Dana", "start": "2026-12-08T15:00:00"})
    result = {"output": json.dumps({"id": "evt_81k", "status": "confirmed"})} if ok else {
        "status": "error", "error_type": "HttpError", "output": "403 Forbidden: insufficient permissions"}  # fmt: skip
    return run(
        span("run", 0, 20, kind="chain", name="assistant"),
        span("u", 0.5, 0.5, parent_id="run", kind="human", output="Set up a meeting with Dana on Tuesday at 3pm."),
        span("t1", 2, 3, parent_id="run", kind="tool", tool=tool, input=args, **result),
        span("fin", 6, 6.5, parent_id="run", kind="llm", name="final", output=ANSWER),
    )


def test_a_created_calendar_event_backs_the_meeting_claim() -> None:
    assert "claimed_but_not_done" not in detectors(_session("create_event"))
    assert "claimed_but_not_done" not in detectors(_session("events.insert"))


def test_near_miss_the_event_call_failed_or_only_a_lookup() -> None:
    assert "claimed_but_not_done" in detectors(_session("create_event", ok=False))
    assert "claimed_but_not_done" in detectors(_session("find_free_slots"))
