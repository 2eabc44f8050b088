"""A Strands overflow its conversation manager reduced and retried lost no answer.

Strands' ``Agent._execute_event_loop_cycle`` catches ``ContextWindowOverflowException``, has the
conversation manager ``reduce_context`` (the default sliding window trims the oldest messages) and
runs the event-loop cycle again (strands-agents/sdk-python src/strands/agent/agent.py). The tracer
ends the model call and the cycle span with the error (telemetry/tracer.py ``end_span_with_error``),
and the next cycle's model call under the same agent answers. Near misses: the retried cycle's
model call overflowed too (nothing left to reduce), and another framework's overflow error with the
same later call (a plain provider error no framework reduced for).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

A = {"agent": "report_writer"}
MSG = ("An error occurred (ValidationException) when calling the ConverseStream operation: "
       "Input is too long for requested model.")  # fmt: skip
STRANDS = "strands.types.exceptions.ContextWindowOverflowException"


def _session(error_type: str = STRANDS, retried_ok: bool = True):
    # Nothing left to reduce: reduce_context raises the overflow again and the agent fails with it.
    second = {} if retried_ok else {"status": "error", "error_type": error_type, "error_message": MSG}
    rest = (
        span("c3", 13, 18, parent_id="agent", kind="chain", name="execute_event_loop_cycle", **A),
        span("m3", 13, 18, parent_id="c3", kind="llm", model="claude-3-7-sonnet", output="Section 3 written.", **A),
    ) if retried_ok else ()
    return run(
        span("agent", 0, 20, kind="agent", name="invoke_agent report_writer", output="Section 3 written.", **A,
             **second),
        span("c1", 1, 3, parent_id="agent", kind="chain", name="execute_event_loop_cycle", status="error",
             error_type=error_type, error_message=MSG, **A),
        span("m1", 1, 3, parent_id="c1", kind="llm", model="claude-3-7-sonnet", status="error",
             error_type=error_type, error_message=MSG, **A),
        span("c2", 4, 12, parent_id="agent", kind="chain", name="execute_event_loop_cycle", **A),
        span("m2", 4, 10, parent_id="c2", kind="llm", model="claude-3-7-sonnet", output="Writing section 3.", **A,
             **second),
        *rest,
    )  # fmt: skip


def test_an_overflow_strands_reduced_and_retried_is_no_overflow() -> None:
    assert "context_overflow" not in detectors(_session())


def test_near_miss_the_retried_cycle_overflowed_too() -> None:
    assert "context_overflow" in detectors(_session(retried_ok=False))


def test_near_miss_a_plain_provider_overflow_nobody_reduced() -> None:
    assert one(_session(error_type="ValidationException"), "context_overflow")["decisive_span_id"] == "m1"
