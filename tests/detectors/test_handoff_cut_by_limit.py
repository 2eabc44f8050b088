"""A handoff the run's recursion limit cut off is no dangling handoff.

LangGraph checks recursion_limit before each superstep and raises GraphRecursionError instead of
running the next node; a langgraph-swarm transfer (``Command(goto="flight_agent", graph=PARENT)``)
issued at the last allowed step is therefore never run. The target could not start: the limit
stopped the run there, nobody left the work lying.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _swarm(root_error: str | None) -> list[dict[str, object]]:
    root = {"kind": "chain", "name": "LangGraph"}
    if root_error:
        root.update(status="error", error_type=root_error, error_message="Recursion limit of 25 reached without hitting a stop condition.")
    return [
        span("root", 0, 10, **root, output=None if root_error else '{"messages": []}'),
        span("a1", 0.1, 2, parent_id="root", kind="agent", name="hotel_agent", agent="hotel_agent"),
        span("l1", 0.2, 1.5, parent_id="a1", kind="llm", model="gpt-4o", agent="hotel_agent", output="{}"),
        span("h1", 1.6, 1.7, parent_id="a1", kind="handoff", name="transfer_to_flight_agent", agent="hotel_agent",
             handoff_to="flight_agent"),
    ]


def test_a_handoff_nobody_took_before_the_run_ended_dangles() -> None:
    c = run(*_swarm(None))
    assert one(c, "dangling_handoff")["decisive_span_id"] == "h1"


def test_near_miss_the_recursion_limit_stopped_the_run_at_the_handoff() -> None:
    assert "dangling_handoff" not in detectors(run(*_swarm("GraphRecursionError")))
