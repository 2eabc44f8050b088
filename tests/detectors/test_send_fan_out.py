"""A graph node sent many times in one step is a fan-out, though no agent started it.

LangGraph's Send (a conditional edge returning ``[Send("researcher", q) for q in plan]``) runs the
node once per Send, all in the next superstep, in parallel (LangGraph docs: low-level concepts,
Send; how-tos/map-reduce). The node runs sit under the graph's root chain, which no agent runs, so
fan_out's "sub-agents one agent started" never saw them. Near misses: a router running the same node
in turn (each run ending before the next starts), and a Send of exactly max_fan_out (8).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

ROOT = span("root", 0, 100, kind="chain", name="deep_research", output="The report.")


def _graph(n: int, *, in_turn: bool = False):
    rows = [
        ROOT,
        span("plan", 0.01, 4.2, parent_id="root", kind="agent", name="planner", agent="planner"),
        span("plan_llm", 0.02, 4.1, parent_id="plan", kind="llm", model="claude-opus-4", input_tokens=3200),
    ]
    for i in range(n):
        start = 4.3 + (6.0 * i if in_turn else 0.01 * i)
        end = start + (5.0 if in_turn else 50.0)
        rows.append(span(f"r{i}", start, end, parent_id="root", kind="agent", name="researcher", agent="researcher"))
        rows.append(span(f"r{i}_llm", start + 0.01, end - 0.01, parent_id=f"r{i}", kind="llm", model="claude-opus-4",
                         input_tokens=100_000))
    return run(*rows)


def test_a_node_sent_ten_times_in_one_step_is_a_fan_out_of_the_planner() -> None:
    f = one(_graph(10), "fan_out")
    assert f["decisive_span_id"] == "plan"
    assert "agent planner started 10 sub-agents against a limit of 8" in f["explanation"]


def test_near_miss_the_same_node_run_in_turn_is_no_fan_out() -> None:
    assert "fan_out" not in detectors(_graph(10, in_turn=True))


def test_near_miss_eight_sent_at_once_is_within_the_limit() -> None:
    assert "fan_out" not in detectors(_graph(8))
