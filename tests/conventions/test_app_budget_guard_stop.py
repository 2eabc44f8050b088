"""An application's own spend guard stopping the run is a spend limit: budget_exceeded.

Applications guard their spend with an exception of their own, ``class BudgetExceeded(Exception)``
(no Error suffix), raised when the run's accumulated cost passes its cap; the agent span records
it ("BudgetExceeded: run cost $5.15 exceeds budget $5.00"). Near misses: the run ended on another
error; an exception type that only begins with the name is another type.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _run(error_type: str, message: str):
    return run(
        span("root", 0, 30, kind="agent", name="invoke_agent market_scout", agent="market_scout",
             status="error", error_type=error_type, error_message=message),  # fmt: skip
        span("m1", 1, 2, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o",
             input_tokens=5_000, output_tokens=300, cost_usd=0.02),  # fmt: skip
        span("s1", 3, 4, parent_id="root", kind="tool", tool="web_search", input=json.dumps({"query": "ACME guidance"}),
             output="[]"),  # fmt: skip
        span("m2", 5, 6, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o",
             input_tokens=9_000, output_tokens=300, cost_usd=0.03),  # fmt: skip
    )


def test_an_application_budget_guard_is_a_spend_limit() -> None:
    f = one(_run("BudgetExceeded", "BudgetExceeded: run cost $5.15 exceeds budget $5.00"), "budget_exceeded")
    assert f["decisive_span_id"] == "root"
    assert "spend budget" in f["explanation"]


def test_near_miss_another_error_or_a_longer_type_name_is_no_budget_stop() -> None:
    assert "budget_exceeded" not in detectors(_run("TimeoutError", "TimeoutError: search backend timed out"))
    assert "budget_exceeded" not in detectors(_run("BudgetExceededWarningLimit", "BudgetExceededWarningLimit: 3"))
