"""A poll that keeps reading a state that has ended in failure is a loop, however long it waits.

Firing shape, from the framework's own code: a smolagents CodeAgent writes one code action that
polls ``while True: status = get_job_status(job_id=...); ...; time.sleep(60)`` and breaks only on
success. The whole action runs in the agent's python executor before its observation goes back to
the model (huggingface/smolagents ``src/smolagents/agents.py`` ``CodeAgent._step_stream``), and the
OpenInference instrumentation traces each tool call made from the code on its own
(openinference-instrumentation-smolagents ``_wrappers.py`` ``_ToolCallWrapper``). Once the job reads
``"state": "FAILED"`` nothing is left to wait for: every read after is the same failure again.

Near misses: the same poll on a job that progresses and succeeds (the loop's break), a failed job
read twice (the news the poll was for, once confirmed), a job still running read with the run idle
(a wait: polls.py), and a failed job read again only after other work.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

AGENT = "CodeAgent.run"
JOB = "bf-20261130-7731"
ARGS = json.dumps({"args": [], "sanitize_inputs_outputs": False, "kwargs": {"job_id": JOB}})


def _state(state: str, progress: float) -> str:
    return json.dumps({"job_id": JOB, "state": state, "progress": progress, "message": f"stage {progress}"})


def _poll(
    states: list[tuple[str, float]], gap: float = 60.0, other_work: bool = False
) -> list[dict[str, Any]]:
    """Step 1 starts the job; step 2's code polls it every ``gap`` seconds, one read per state."""
    rows: list[dict[str, Any]] = [
        span("root", 0, 3000, kind="agent", name=AGENT, agent=AGENT, input="Run the backfill and report row counts"),
        span("s1", 1, 6, parent_id="root", kind="chain", name="Step 1", agent=AGENT),
        span("l1", 1.1, 3.5, parent_id="s1", kind="llm", model="gpt-4o", agent=AGENT,
             output="Thought: start the backfill.\n<code>\njob = trigger_backfill(dataset='sales')\n</code>"),
        span("t0", 3.6, 4.6, parent_id="s1", kind="tool", tool="trigger_backfill", name="SimpleTool", agent=AGENT,
             input=json.dumps({"kwargs": {"dataset": "sales"}}), output=json.dumps({"job_id": JOB, "state": "QUEUED"})),
        span("s2", 7, None, parent_id="root", kind="chain", name="Step 2", agent=AGENT),
        span("l2", 7.1, 10, parent_id="s2", kind="llm", model="gpt-4o", agent=AGENT,
             output="Thought: poll until done.\n<code>\nwhile True:\n    s = get_job_status(job_id=job)\n"
                    "    if s['state'] == 'SUCCEEDED':\n        break\n    time.sleep(60)\n</code>"),
    ]  # fmt: skip
    t = 10.5
    for i, (state, progress) in enumerate(states):
        rows.append(span(f"p{i}", t, t + 0.3, parent_id="s2", kind="tool", tool="get_job_status", name="SimpleTool",
                         agent=AGENT, input=ARGS, output=_state(state, progress)))  # fmt: skip
        for j in range(3 if other_work else 0):  # repeat_count calls, each with a new result
            rows.append(span(f"w{i}{j}", t + 1 + j, t + 1.3 + j, parent_id="s2", kind="tool", tool="read_log",
                             name="SimpleTool", agent=AGENT, input=json.dumps({"kwargs": {"line": 10 * i + j}}),
                             output=f"log line {10 * i + j}"))  # fmt: skip
        t += gap
    return rows


def test_a_failed_job_polled_on_and_on_is_a_loop() -> None:
    """Two reads while running, then the same failure read five times, a minute apart."""
    rows = _poll([("RUNNING", 0.08), ("RUNNING", 0.31)] + [("FAILED", 0.31)] * 5)
    f = one(run(*rows), "repeated_action")
    assert f["failure_class"] == "context_collapse"
    assert f["decisive_span_id"] == "p3"
    assert "5 times in a row after the state it read had ended in failure" in f["explanation"]


def test_near_miss_a_job_polled_until_it_succeeds_is_clean() -> None:
    states = [("RUNNING", p / 10) for p in range(1, 9)] + [("SUCCEEDED", 1.0)]
    assert "repeated_action" not in detectors(run(*_poll(states)))


def test_near_miss_a_failure_read_twice_is_clean() -> None:
    assert "repeated_action" not in detectors(
        run(*_poll([("RUNNING", 0.08), ("FAILED", 0.31), ("FAILED", 0.31)]))
    )


def test_near_miss_a_running_job_read_with_the_run_idle_stays_a_poll() -> None:
    """The same 'running' result five times a minute apart: a state that may still move (polls.py)."""
    assert "repeated_action" not in detectors(run(*_poll([("RUNNING", 0.31)] * 5)))


def test_near_miss_a_failed_job_read_again_after_other_work_is_clean() -> None:
    """Each read followed by repeat_count calls that brought something new: re-checks once the agent
    moved on (new_information), not a loop."""
    rows = _poll([("RUNNING", 0.08)] + [("FAILED", 0.31)] * 4, other_work=True)
    assert "repeated_action" not in detectors(run(*rows))
