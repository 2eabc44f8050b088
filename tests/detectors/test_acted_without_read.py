"""A read that failed, then an act that needed it, with nothing got another way: unhandled_error.

The OpenAI Agents SDK hands a function tool's exception to the model as the tool's output
(``failure_error_function``: "An error occurred while running the tool. Please try again. Error:
...", openai/openai-agents-python src/agents/tool.py); smolagents' ToolCallingAgent puts the tool's
error in the step's observation (huggingface/smolagents src/smolagents/agents.py
``execute_tool_call``); a BeeAI agent traced through OpenInference records the tool's FetchError on
its TOOL span and asks the model again. A model that then submits the purchase order, or books the
transfer, without the stock or the bed board it failed to read carried on past the failure: the
hand-back, and a word of it in the answer, were no path (TAXONOMY unhandled_error;
forensics/detectors/acted_without.py). One failure, one class: not also swallowed_error.
Near misses: the same thing read another way first (a replica snapshot), the read retried into a
success (a DR endpoint), an act that is neither the next call nor about the same values, and an act
that passes the fault on.
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, one, run, span

A = {"agent": "replenishment_planner", "parent_id": "root"}
READ = '{"sku_ids": ["HB-2231", "HB-2240"], "warehouse": "RNO-2"}'
HANDED_BACK = ("An error occurred while running the tool. Please try again. Error: CircuitBreakerError: "
               "Circuit 'inventory-svc' is OPEN")
PO = '{"supplier_id": "SUP-0412", "warehouse": "RNO-2", "lines": [{"sku": "HB-2231", "qty": 480}]}'
PO_OK = '{"po_number": "PO-77120", "status": "Pending Receipt"}'


def _rows(between: list[dict[str, Any]], answer: str, act: dict[str, Any] | None = None,
          handed_back: bool = True) -> list[dict[str, Any]]:  # fmt: skip
    failed = {"output": HANDED_BACK, "error_message": "Error running tool (non-fatal)"} if handed_back else {
        "error_type": "FetchError", "error_message": "getaddrinfo ENOTFOUND inventory.svc.internal"}
    act = act or span("po", 20, 21, kind="tool", tool="create_purchase_order", **A, input=PO, output=PO_OK)
    return [
        span("root", 0, 30, kind="agent", name="Replenishment Planner", agent="replenishment_planner", output=answer),
        span("l1", 1, 2, kind="llm", model="gpt-4.1-mini", **A, output='{"tool_calls": ["get_inventory_levels"]}'),
        span("r1", 3, 4, kind="tool", tool="get_inventory_levels", **A, input=READ, status="error", **failed),
        span("l2", 5, 6, kind="llm", model="gpt-4.1-mini", **A, output='{"tool_calls": ["..."]}'),
        *between,
        act,
        span("l3", 25, 26, kind="llm", model="gpt-4.1-mini", **A, output=answer),
    ]  # fmt: skip


def test_a_handed_back_read_failure_then_the_order_told_or_not_is_unhandled() -> None:
    told = "Inventory levels could not be read this morning, so I used the usual quantities. Submitted PO-77120."
    c = run(*_rows([], told))
    assert one(c, "unhandled_error")["decisive_span_id"] == "r1"
    assert "swallowed_error" not in detectors(c)


def test_a_read_failure_then_the_act_under_a_success_report_is_unhandled_not_swallowed() -> None:
    c = run(*_rows([], "Submitted PO-77120 for HB-2231.", handed_back=False))
    assert one(c, "unhandled_error")["decisive_span_id"] == "r1"
    assert "swallowed_error" not in detectors(c)


def test_another_read_between_and_an_act_on_the_same_values_is_unhandled() -> None:
    forecast = span("f1", 10, 11, kind="tool", tool="get_demand_forecast", **A, input=READ,
                    output='{"avg_daily_units": 410, "target_units": 12300}')  # fmt: skip
    assert one(run(*_rows([forecast], "Submitted PO-77120.")), "unhandled_error")["decisive_span_id"] == "r1"


def test_near_miss_the_stock_read_another_way_first() -> None:
    snapshot = span("s1", 10, 11, kind="tool", tool="get_inventory_snapshot", **A, input=READ,
                    output='{"source": "reporting-replica", "items": [{"sku": "HB-2231", "on_hand": 62}]}')  # fmt: skip
    answer = "Live inventory was unavailable, so I sized PO-77120 from the replica snapshot."
    assert "unhandled_error" not in detectors(run(*_rows([snapshot], answer)))


def test_near_miss_the_read_retried_into_a_success() -> None:
    again = span("r2", 10, 11, kind="tool", tool="get_inventory_levels", **A,
                 input='{"sku_ids": ["HB-2231", "HB-2240"], "warehouse": "RNO-2", "endpoint": "dr"}',
                 output='{"items": [{"sku": "HB-2231", "on_hand": 62}]}')  # fmt: skip
    c = run(*_rows([again], "Submitted PO-77120 for HB-2231.", handed_back=False))
    assert {"unhandled_error", "swallowed_error"}.isdisjoint(detectors(c))


def test_near_miss_an_act_about_something_else_after_other_work() -> None:
    other = span("c1", 10, 11, kind="tool", tool="get_open_tickets", **A, input='{"queue": "ops"}', output="[]")
    note = span("n1", 20, 21, kind="tool", tool="send_message", **A, input='{"channel": "#standup", "text": "on shift"}',
                output='{"ok": true}')  # fmt: skip
    assert "unhandled_error" not in detectors(run(*_rows([other], "Posted the stand-up note.", act=note)))


def test_near_miss_the_act_passes_the_fault_on() -> None:
    ticket = span("t1", 20, 21, kind="tool", tool="create_ticket", **A,
                  input='{"queue": "ops", "summary": "Inventory service unavailable: circuit breaker open for RNO-2"}',
                  output='{"ticket": "OPS-311"}')  # fmt: skip
    answer = "I couldn't read inventory (the service is unavailable), so I opened OPS-311 for ops instead of ordering."
    assert "unhandled_error" not in detectors(run(*_rows([], answer, act=ticket)))
