"""Runs of one agent side by side each fetching the same page: fan-out, not one agent's loop.

crewAI runs a task with ``async_execution=True`` in a thread of its own (``Task.execute_async``,
crewAI src/crewai/task.py) and the crew collects the futures (src/crewai/crew.py
``_execute_tasks``): the researcher agent's runs for eighteen questions overlap in time under the
crew's span, and none can see what another fetched. Each fetching the vendor's pricing page is
the width of the fan-out (runaway_cost's rules), not repeated_action. Near-misses: one run of the
agent fetching the page three times is still a loop, and so are runs of it one after another.
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span


def _crew(starts: list[float], fetches_per_run: int = 1) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("crew", 0, 200, kind="agent", name="Crew_vendor_compare", agent="Crew_vendor_compare",
             input=json.dumps({"request": "Compare Paddle's pricing on list price, discounts and tax"}), output="| table |"),
    ]
    for i, t in enumerate(starts):
        rid = f"r{i}"
        rows.append(span(rid, t, t + 21, parent_id="crew", kind="agent", name=f"Researcher: Paddle / question {i}",
                         agent="researcher"))
        rows.append(span(f"{rid}s", t + 0.2, t + 1, parent_id=rid, kind="tool", tool="web_search",
                         input=json.dumps({"query": f"Paddle question {i} 2026"}), output=json.dumps({"results": 10 + i})))
        for j in range(fetches_per_run):
            rows.append(span(f"{rid}f{j}", t + 3 + 4 * j, t + 4 + 4 * j, parent_id=rid, kind="tool", tool="fetch_page",
                             input=json.dumps({"url": "https://www.paddle.com/pricing"}), output=json.dumps({"chars": 48211})))
        rows.append(span(f"{rid}l", t + 16, t + 20, parent_id=rid, kind="llm", model="gpt-4o", output=f"answer {i}"))
    return rows


def test_near_miss_parallel_runs_each_fetching_the_page_are_no_loop() -> None:
    assert "repeated_action" not in detectors(run(*_crew([10, 16.5, 20.5, 24.5, 31])))


def test_one_run_fetching_the_page_three_times_is_still_a_loop() -> None:
    assert "repeated_action" in detectors(run(*_crew([10, 16.5, 20.5], fetches_per_run=3)))


def test_runs_one_after_another_keep_one_memory() -> None:
    assert "repeated_action" in detectors(run(*_crew([10, 40, 70, 100])))
