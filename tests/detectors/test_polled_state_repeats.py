"""An agent that checks the state it waits on, with the run idle between checks, is polling, not looping.

A smolagents ToolCallingAgent that paged on-call then reads the incident back every minute gets
the same answer ("triggered", no acknowledgement) until someone acts. The minute between two reads
is the run waiting: smolagents runs a step callback after each step (src/smolagents/agents.py
``_finalize_step`` -> ``self.step_callbacks.callback(memory_step, agent=self)``), outside the step
the OpenInference instrumentation traces (``_StepWrapper``, ``Step N``), so a callback that sleeps
leaves the run with no span open but its root. A loop is the agent deciding again at once: the
next step starts the moment the result is back (``_run_stream`` goes straight to the next step).
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

AGENT = "ToolCallingAgent.run"
READ = ("get_incident", json.dumps({"incident_id": "Q2K7ZP81XJ4M"}),
        json.dumps({"id": "Q2K7ZP81XJ4M", "status": "triggered", "acknowledgements": []}))  # fmt: skip


def _steps(gap: float, model_s: float = 2.0, with_models: bool = True) -> list[dict[str, Any]]:
    """A run of four steps, the last three reading the same incident; ``gap`` seconds of nothing
    between one step's end and the next step's start."""
    rows = [span("root", 0, 1000, kind="agent", name=AGENT, agent=AGENT, input="Nightly backup check",
                 output="billing-eu1 backup corrupt; on-call paged.")]  # fmt: skip
    calls = [("page_oncall", json.dumps({"service": "database"}), "incident Q2K7ZP81XJ4M triggered"), READ, READ, READ]
    t = 1.0
    for i, (tool, args, out) in enumerate(calls, start=1):
        step_end = t + model_s + 1.5
        rows.append(span(f"s{i}", t, step_end, parent_id="root", kind="chain", name=f"Step {i}", agent=AGENT,
                         output=f"Observation: {out}"))  # fmt: skip
        if with_models:
            rows.append(span(f"l{i}", t + 0.01, t + model_s, parent_id=f"s{i}", kind="llm", model="gpt-4o", agent=AGENT,
                             output=json.dumps({"tool_calls": [{"name": tool, "arguments": args}]})))  # fmt: skip
        rows.append(span(f"t{i}", t + model_s + 0.1, t + model_s + 1.4, parent_id=f"s{i}", kind="tool", tool=tool,
                         name=tool, agent=AGENT, input=args, output=out))  # fmt: skip
        t = step_end + gap
    return rows


def test_reads_made_at_once_are_a_loop() -> None:
    f = one(run(*_steps(gap=0.05)), "repeated_action")
    assert "get_incident 3 times" in f["explanation"]


def test_near_miss_reads_a_minute_apart_with_the_run_idle_are_a_poll() -> None:
    assert "repeated_action" not in detectors(run(*_steps(gap=60)))


def test_an_idle_gap_shorter_than_the_policy_wait_is_no_poll() -> None:
    # 12 s of nothing between steps: under poll_wait_s (30 s), the run did not wait.
    assert "repeated_action" in detectors(run(*_steps(gap=12)))


def test_an_idle_gap_no_longer_than_the_models_own_calls_is_no_poll() -> None:
    # Model calls of 50 s, 40 s between steps: the run's own pace, not a wait.
    assert "repeated_action" in detectors(run(*_steps(gap=40, model_s=50)))


def test_without_recorded_model_calls_the_gaps_prove_nothing() -> None:
    # No model call in the log: the minute may be the model thinking, and a loop stays a loop.
    assert "repeated_action" in detectors(run(*_steps(gap=60, with_models=False)))


def test_one_read_made_at_once_among_waited_ones_keeps_the_loop() -> None:
    rows = _steps(gap=60)
    # The last step moved up to start right after the third ended: that repeat did not wait.
    s3_end = next(r["end_time"] for r in rows if r["span_id"] == "s3")
    shift = next(r["start_time"] for r in rows if r["span_id"] == "s4") - s3_end
    for r in rows:
        if r["span_id"] in {"s4", "l4", "t4"}:
            r["start_time"] -= shift
            r["end_time"] -= shift
    assert "repeated_action" in detectors(run(*rows))
