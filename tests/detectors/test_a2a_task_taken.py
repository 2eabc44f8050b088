"""A handoff sent as an A2A task is taken when a later read of the task finds the remote agent on it.

A2A ``message/send`` to a remote agent that works in the background answers with a ``Task`` in state
``submitted``; the client follows it with ``tasks/get`` (a2aproject/a2a-python
``src/a2a/client/transports/jsonrpc.py`` ``get_task``), whose ``status.state`` (``TaskState``,
``src/a2a/types.py``) goes ``working``, then ``completed`` with its artifacts. The remote agent's own
spans need not be in the caller's trace. Near misses: the task stays ``submitted`` and nobody reads it
again (the remote never took it); a later read of another task id; a task read that the remote rejected.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _task(task_id: str, state: str, **extra: object) -> str:
    return json.dumps(
        {"kind": "task", "id": task_id, "contextId": "ctx-1", "status": {"state": state}, **extra}
    )


def _delegated(*reads: tuple[str, str]):
    polls = []
    for i, (task_id, state) in enumerate(reads):
        polls.append(
            span(
                f"g{i}",
                3 + 2 * i,
                3.3 + 2 * i,
                parent_id="a1",
                kind="tool",
                tool="get_delegated_task",
                input=json.dumps({"task_id": task_id}),
                output=_task(task_id, state),
            )
        )
    return run(
        span("a1", 0, 12, kind="agent", agent="trip-concierge", name="invoke_agent trip-concierge",
             output="Booked the hotel, confirmation HB-1."),
        span("l1", 0.5, 1, parent_id="a1", kind="llm", model="gpt-4o", output=""),
        span("h", 2, 2.4, parent_id="a1", kind="tool", tool="delegate_to_hotel_agent",
             input=json.dumps({"agent": "Hotel Booking Agent", "message": "Book a hotel in Frankfurt."}),
             output=_task("t-1", "submitted")),
        *polls,
        span("l2", 11, 11.5, parent_id="a1", kind="llm", model="gpt-4o", output="Booked the hotel, confirmation HB-1."),
    )  # fmt: skip


def test_task_polled_until_the_remote_worked_and_completed_it_was_taken() -> None:
    assert "dangling_handoff" not in detectors(_delegated(("t-1", "working"), ("t-1", "completed")))
    # The v1 protobuf JSON spelling of the state.
    assert "dangling_handoff" not in detectors(_delegated(("t-1", "TASK_STATE_COMPLETED")))


def test_near_miss_task_left_submitted_or_another_task_read() -> None:
    assert one(_delegated(), "dangling_handoff")["decisive_span_id"] == "h"
    assert one(_delegated(("t-1", "submitted")), "dangling_handoff")["decisive_span_id"] == "h"
    assert one(_delegated(("t-9", "completed")), "dangling_handoff")["decisive_span_id"] == "h"
    assert one(_delegated(("t-1", "rejected")), "dangling_handoff")["decisive_span_id"] == "h"
