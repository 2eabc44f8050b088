"""The final output that failed to parse raised ModelBehaviorError from the turn holding the last
model call: the run ended in error, even though that turn is no step of its own.

The OpenAI Agents SDK parses the final output with ``validate_json`` (src/agents/util/_json.py),
which attaches SpanError("Invalid JSON provided") to the span current at that moment (the agent's,
or a turn span an exporter writes around the generation) and raises ModelBehaviorError out of
Runner.run. The generation under it is the run's last step and started after the turn did.
"""

from __future__ import annotations

from span_builder import detectors, one, run, run_row, span


def _extractor(*after: dict[str, object]):
    return run(
        span("task", 0, 30, kind="chain", name="task"),
        span("ag", 0.1, 30, parent_id="task", kind="agent", name="Invoice Extractor", agent="Invoice Extractor"),
        span("turn1", 0.2, 5, parent_id="ag", kind="chain", name="turn"),
        span("g1", 0.3, 3, parent_id="turn1", kind="llm", model="gpt-4o", output="calling ocr_page"),
        span("ocr", 3.1, 4.9, parent_id="turn1", kind="tool", tool="ocr_page", output="[14 pages]"),
        span("turn2", 5.1, 28, parent_id="ag", kind="chain", name="turn", status="error",
             error_message="Invalid JSON provided"),
        span("g2", 5.2, 27.9, parent_id="turn2", kind="llm", model="gpt-4o", output='{"invoice": {"lines": [{"sku": "A-1'),
        *after,
    )  # fmt: skip


def test_a_turn_that_raised_around_the_last_model_call_ended_the_run_in_error() -> None:
    c = _extractor()
    assert run_row(c)["reported_outcome"] == "error"
    assert one(c, "unhandled_error")["decisive_span_id"] == "turn2"
    assert "swallowed_error" not in detectors(c)


def test_near_miss_the_app_asked_again_after_the_raise() -> None:
    c = _extractor(
        span("turn3", 28.5, 29.5, parent_id="ag", kind="chain", name="turn"),
        span("g3", 28.6, 29.4, parent_id="turn3", kind="llm", model="gpt-4o", output='{"invoice": {"lines": []}}'),
    )
    assert run_row(c)["reported_outcome"] == "success"
