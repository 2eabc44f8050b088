"""A Claude Code Task call is a tool_use block of the assistant message that issued it: the
handoff span starts when that model call does. That model call is not the main thread acting
again after the delegation: a session that ends with the Task open (no tool_result) waits on it
(reported_outcome open, stall), however the two are ordered at the same instant."""

from __future__ import annotations

from span_builder import detectors, one, run, run_row, span


def _session(main_spoke_after: bool):
    rows = [
        span("u0", 0, 0, kind="human", name="user", agent="main", output="Map the scheduler and write it up."),
        # The Task handoff first, then the model call that issued it, both at t=1 (the loader adds
        # an open tool_use's span after the message that holds it).
        span("task", 1, None, parent_id="m1", kind="handoff", name="Task", agent="main", handoff_to="Explore"),
        span("m1", 1, 1, parent_id="u0", kind="llm", model="claude", agent="main", output="Delegating."),
        span("g1", 2, 2.1, parent_id="task", kind="tool", tool="Glob", agent="Explore",
             input='{"pattern": "*"}', output="src/sched.py"),  # fmt: skip
    ]
    if main_spoke_after:
        rows.append(span("m2", 5, 6, parent_id="u0", kind="llm", model="claude", agent="main",
                         output="The scheduler picks by priority, see docs/scheduler.md."))  # fmt: skip
    return run(*rows)


def test_a_session_ending_on_an_open_task_stalls_even_when_its_issuing_call_ties() -> None:
    c = _session(main_spoke_after=False)
    assert run_row(c)["reported_outcome"] == "open"
    assert one(c, "stall")["decisive_span_id"] == "task"
    assert "premature_success" not in detectors(c)


def test_near_miss_the_main_thread_spoke_after_the_task() -> None:
    c = _session(main_spoke_after=True)
    assert run_row(c)["reported_outcome"] == "success"
    assert "stall" not in detectors(c)
