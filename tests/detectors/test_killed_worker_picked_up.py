"""A call whose worker was killed under it, picked up by the session's next run, is no unhandled error.

Celery marks a task whose worker process died under it ``WorkerLostError: Worker exited
prematurely: signal 9 (SIGKILL)`` (celery/worker/request.py); the killed process runs no handler,
and the job system redelivers the task (task_reject_on_worker_lost): the next run of the session
makes the same call again. A call that failed with an error of its own (a 503) is still the run's to
handle, and a killed call nobody picked up again is still lost.
"""

from __future__ import annotations

from typing import Any

from span_builder import findings, run, span

KILLED = "WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL)"
ARGS = '{"customer": "cus_R3k8", "amount": 49.0}'


def _session(error: str, rerun: bool) -> list[dict[str, Any]]:
    rows = [
        span("r1", 0, 40, run_id="run1", session_id="dunning-1128", kind="agent", agent="dunning", name="dunning_agent",
             status="error", error_message=error),
        span("c1", 5, 40, run_id="run1", session_id="dunning-1128", parent_id="r1", kind="tool", tool="retry_charge",
             agent="dunning", input=ARGS, status="error", error_message=error),
    ]
    if rerun:
        rows += [
            span("r2", 900, 930, run_id="run2", session_id="dunning-1128", kind="agent", agent="dunning",
                 name="dunning_agent", output="Dunning run complete."),
            span("c2", 905, 906, run_id="run2", session_id="dunning-1128", parent_id="r2", kind="tool",
                 tool="retry_charge", agent="dunning", input=ARGS, output='{"status": "succeeded"}'),
        ]
    return rows


def _unhandled(rows: list[dict[str, Any]]) -> set[str]:
    return {f["run_id"] for f in findings(run(*rows), "unhandled_error")}


def test_killed_call_the_next_run_made_again_is_picked_up() -> None:
    assert "run1" not in _unhandled(_session(KILLED, rerun=True))


def test_a_call_that_failed_itself_or_a_kill_nobody_picked_up_is_unhandled() -> None:
    # Near-misses: the ledger's own 503 (the run's code could have retried it); a kill with no rerun.
    assert "run1" in _unhandled(_session("HTTPStatusError: Server error '503 Service Unavailable'", rerun=True))
    assert "run1" in _unhandled(_session(KILLED, rerun=False))
