"""A turn limit the run's error handler answered is no budget_exceeded.

The OpenAI Agents SDK's ``Runner.run(..., error_handlers={"max_turns": handler})``: past max_turns
the SDK still attaches ``SpanError("Max turns exceeded", {"max_turns": n})`` to the agent span, then
calls the handler; a handler that returns a final output ends the run with it instead of raising
``MaxTurnsExceeded`` (src/agents/run_internal/error_handlers.py resolve_run_error_handler_result;
src/agents/run.py). The SDK traces no span for the handler; the application recorded one (a
custom span) holding the handler's ``final_output``.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _turns(handler: dict[str, str] | None) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("agent", 0, 20, kind="agent", name="Patent Search Agent", status="error",
             error_message="Max turns exceeded", attributes='{"max_turns": 6}'),
    ]
    queries = ["sulfide interlayer", "Li6PS5Cl coating", "argyrodite interface"]
    for i, q in enumerate(queries):
        rows.append(span(f"l{i}", 1 + 6 * i, 2 + 6 * i, parent_id="agent", kind="llm", model="gpt-4o", output="{}"))
        rows.append(span(f"t{i}", 2.5 + 6 * i, 4 + 6 * i, parent_id="agent", kind="tool", tool="search_patents",
                         input=json.dumps({"query": q}), output=json.dumps({"hits": [f"US{i}"]})))
    if handler is not None:
        rows.append(span("h", 20.1, 20.2, kind="chain", name="run_error_handler", attributes=json.dumps({"data": handler})))
    return rows


def test_an_unanswered_turn_limit_is_a_limit_stop() -> None:
    f = one(run(*_turns(None)), "budget_exceeded")
    assert f["decisive_span_id"] == "agent"
    assert "turn or step limit" in f["explanation"]


def test_near_miss_the_error_handler_answered_with_a_final_output() -> None:
    handler = {"kind": "max_turns", "final_output": "I reached my step limit; read so far: US0, US1, US2."}
    assert "budget_exceeded" not in detectors(run(*_turns(handler)))
    # A handler span with no final output answered nothing: the stop stands.
    assert "budget_exceeded" in detectors(run(*_turns({"kind": "max_turns", "final_output": ""})))
