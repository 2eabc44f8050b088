"""limbo on a run suspended at a pause for a person's decision that nobody answered.

A LangGraph node that calls ``interrupt(...)`` raises GraphInterrupt (langgraph/errors.py): the
invocation ends with the thread pending (``__interrupt__`` in the output, the state's ``next``
still set) until someone sends ``Command(resume=...)``. That run has no terminal state; when no
work follows the pause and nobody resumed it (no later run of the thread), its last activity is
that escalation: limbo, as well as unacknowledged_escalation.
"""

from __future__ import annotations

from span_builder import concat, detectors, one, span, spans

from forensics.classify import classify

MSG = "GraphInterrupt((Interrupt(value='Approve wire of EUR 48,250 to V-20931?', resumable=True, ns=['approve:1']),))"
PAUSED = {"status": "error", "error_type": "GraphInterrupt", "error_message": MSG, "session_id": "thread-4"}


def _thread(*, resumed: bool, work_after: bool = False):
    first = [
        span("g1", 0, 5, kind="chain", name="LangGraph", run_id="r1", **PAUSED),
        span("l1", 0.5, 1.5, parent_id="g1", kind="llm", model="gpt-4o", run_id="r1", session_id="thread-4", output="{}"),
        span("n1", 2, 4, parent_id="g1", kind="chain", name="approve_wire", run_id="r1", **PAUSED),
    ]
    if work_after:
        first.append(span("t9", 4.2, 4.4, parent_id="g1", kind="tool", tool="notify_treasury", run_id="r1",
                          session_id="thread-4", input='{"channel": "#treasury"}', output='{"ok": true}'))
    tables = [spans(*first, run_id="r1")]
    if resumed:
        tables.append(spans(
            span("g2", 60, 70, kind="chain", name="LangGraph", session_id="thread-4", input='{"resume": "approved"}',
                 output="Wire sent."),
            span("t2", 61, 62, parent_id="g2", kind="tool", tool="send_wire", session_id="thread-4",
                 input='{"vendor": "V-20931"}', output='{"wire_id": "W-1"}'),
            run_id="r2",
        ))
    return classify(concat(*tables))


def test_a_run_suspended_on_an_unanswered_interrupt_is_in_limbo() -> None:
    c = _thread(resumed=False)
    assert one(c, "limbo")["decisive_span_id"] == "n1"
    assert "unacknowledged_escalation" in detectors(c)


def test_near_misses_resumed_later_or_work_after_the_pause() -> None:
    # The thread was resumed by a later run: answered, no limbo (nor unacknowledged_escalation).
    assert "limbo" not in detectors(_thread(resumed=True))
    # The run went on working after the pause: its last activity was not the escalation.
    assert "limbo" not in detectors(_thread(resumed=False, work_after=True))
