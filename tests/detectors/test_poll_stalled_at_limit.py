"""A status read that stood still until the turn limit stopped the run is repeated_action, not
budget_exceeded.

The OpenAI Agents SDK's agent loop (openai/openai-agents-python src/agents/run.py): past
``max_turns`` it attaches ``SpanError("Max turns exceeded", {"max_turns": n})`` to the agent span
and raises ``MaxTurnsExceeded``; each turn is one model response and the function tools it calls
(``function_span`` per tool, its input and output recorded). A model that re-reads an async
export's status every two seconds, the status moving once (progress 0.0, then 0.05) and then
standing still, used its turns up in that loop: the loop is the story (context_collapse), told
once, and the turn limit is no runaway cost.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _poll(progress: list[float], status_last: str = "running", limit: bool = True) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("agent", 0, 2.2 * len(progress) + 3, kind="agent", name="Reporting Agent",
             status="error" if limit else "ok", error_message="Max turns exceeded" if limit else None,
             attributes='{"max_turns": 10}' if limit else None),
        span("l0", 0.1, 1.0, parent_id="agent", kind="llm", model="gpt-4o", output="{}"),
        span("start", 1.1, 1.9, parent_id="agent", kind="tool", tool="start_export",
             input=json.dumps({"report": "general_ledger", "period": "2026-10"}),
             output=json.dumps({"export_id": "exp_1", "status": "queued", "estimated_seconds": 240})),
    ]
    for i, p in enumerate(progress):
        t = 2.0 + 2.2 * i
        status = status_last if i == len(progress) - 1 else "running"
        rows.append(span(f"l{i + 1}", t, t + 0.4, parent_id="agent", kind="llm", model="gpt-4o", output="{}"))
        rows.append(span(f"s{i}", t + 0.5, t + 2.0, parent_id="agent", kind="tool", tool="get_export_status",
                         input=json.dumps({"export_id": "exp_1"}),
                         output=json.dumps({"export_id": "exp_1", "status": status, "progress": p})))
    return rows


def test_a_status_that_stood_still_until_the_turn_limit_is_a_loop() -> None:
    found = detectors(run(*_poll([0.0, 0.0, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05])))
    assert "repeated_action" in found
    # The loop is where the turns went: the limit stop is not told again as runaway cost.
    assert "budget_exceeded" not in found
    f = one(run(*_poll([0.0, 0.0, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05])), "repeated_action")
    assert "7 times in a row until its turn or step limit" in f["explanation"]


def test_near_miss_a_poll_that_ended_its_wait_is_no_loop() -> None:
    # Three reads while running, then done: no limit stopped the run, the wait ended.
    found = detectors(run(*_poll([0.1, 0.1, 0.1, 1.0], status_last="done", limit=False)))
    assert "repeated_action" not in found


def test_near_miss_a_status_moving_at_each_read_is_progress_watched() -> None:
    # Stopped by the limit, but each read brought a new progress: no stretch stood still.
    found = detectors(run(*_poll([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])))
    assert "repeated_action" not in found
    # Two equal reads in a row under the limit are not repeat_count of them.
    assert "repeated_action" not in detectors(run(*_poll([0.0, 0.1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])))
