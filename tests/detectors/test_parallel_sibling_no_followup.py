"""A call of the same parallel batch is no follow-up of a failure handed back to the model.

LangGraph's ToolNode runs one model turn's tool calls concurrently (and the OpenAI Agents SDK runs a
turn's function tools with asyncio.gather): a sibling call that started before the failed call came
back was issued together with it, by the same model turn, so it cannot be the model doing something
about the failure. Only work started after the failure returned can be.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

ANSWER = "Reno has 520 units and Savannah 455; Columbus has 0, so you are 525 short of the PO."


def _batch(sibling_start: float) -> list[dict[str, object]]:
    return [
        span("root", 0, 20, kind="agent", name="Inventory Agent", output=ANSWER),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", output='{"tool_calls": 2}'),
        span("t1", 2.0, 12.0, parent_id="root", kind="tool", tool="get_inventory",
             input='{"sku": "HX-220", "warehouse": "CMH2"}', status="error",
             error_message="Error running tool (non-fatal)",
             output="An error occurred while running the tool. Please try again. Error: ReadTimeout"),
        span("t2", sibling_start, sibling_start + 0.8, parent_id="root", kind="tool", tool="get_stock_levels",
             input='{"sku": "HX-220", "warehouse": "SAV1"}', output='{"on_hand": 455}'),
        span("l2", 15, 16, parent_id="root", kind="llm", model="gpt-4o", output=ANSWER),
    ]


def test_a_sibling_of_the_same_batch_is_no_way_around_the_failure() -> None:
    # t2 started 0.01 s after t1, 10 s before t1's timeout came back: the same batch.
    c = run(*_batch(2.01))
    assert one(c, "swallowed_error")["decisive_span_id"] == "t1"


def test_near_miss_a_read_started_after_the_failure_came_back() -> None:
    # t2 started after t1 failed: the model may have read around the failure (another read).
    c = run(*_batch(13.0))
    assert not {"swallowed_error", "unhandled_error"} & detectors(c)
