"""OpenAI Agents SDK multiple handoffs: the first handoff is taken, so its span's error is no failure.

execute_handoffs (src/agents/_run_impl.py) runs run_handoffs[0], sets the span's to_agent, and
records SpanError("Multiple handoffs requested", data={"requested_agents": [...]}) for the rest.
"""

from __future__ import annotations

from span_builder import detectors, run, span

_DATA = '{"@error_data": {"requested_agents": ["Shipping Desk", "Returns Desk"]}}'


def _turn(handoff_to: str | None, error: str) -> list[dict[str, object]]:
    answer = "Your parcel ships Monday; the label is in your inbox."
    return [
        span("root", 0, 20, kind="agent", name="Front Desk", output=answer),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4.1"),
        span("h1", 2, parent_id="root", kind="handoff", handoff_to=handoff_to, status="error",
             error_message=error, attributes=_DATA),
        span("s1", 3, 12, parent_id="root", kind="agent", name="Shipping Desk"),
        span("q1", 4, parent_id="s1", kind="tool", tool="book_pickup", input='{"day": "Mon"}', output='{"ok": true}'),
        span("s2", 5, 12, parent_id="root", kind="agent", name="Returns Desk"),
        span("l2", 18, parent_id="root", kind="llm", model="gpt-4.1", output=answer),
    ]


def test_taken_handoff_with_the_multiple_handoffs_error_is_not_swallowed() -> None:
    assert "swallowed_error" not in detectors(run(*_turn("Shipping Desk", "Multiple handoffs requested")))


def test_near_miss_a_handoff_that_failed_otherwise_is_still_swallowed() -> None:
    # "Invalid JSON provided" (src/agents/handoffs.py): the handoff raised, nobody was handed to.
    assert "swallowed_error" in detectors(run(*_turn("Shipping Desk", "Invalid JSON provided")))
