"""error_as_data: a SQL write whose result is PostgreSQL's command tag for no row changed.

A SQL tool built on psycopg that returns ``cursor.statusmessage`` hands the model the server's
CommandComplete tag (postgres src/backend/tcop/cmdtag.c): ``UPDATE 0`` is an UPDATE whose WHERE
matched nothing. The tool span ends OK; an agent that then tells the user the address was changed
read the failure as data (result_verdict.NO_ROWS_CHANGED). Near misses: the agent noticed, fixed
the WHERE and got ``UPDATE 1``; a write that changed rows.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

_LOOKUP = "SELECT o.id, s.id FROM orders o JOIN shipments s ON s.order_id = o.id WHERE o.order_number = '77120'"
_WRONG = "UPDATE shipments SET address_line1 = 'Prinsengracht 480' WHERE order_id = '77120'"
_RIGHT = "UPDATE shipments SET address_line1 = 'Prinsengracht 480' WHERE order_id = '831c5097'"


def _tool_message(content: str) -> str:
    # As langchain-core serialises a ToolMessage into a LangSmith run's outputs.
    return json.dumps({"output": {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "ToolMessage"],
                                  "kwargs": {"content": content, "type": "tool", "name": "run_sql", "status": "success"}}})  # fmt: skip


def _run(first_tag: str, fixed: bool = False) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, 30, kind="agent", name="LangGraph", agent="agent",
             output="Done: the shipping address for order 77120 is now Prinsengracht 480, Amsterdam."),
        span("l1", 1, 3, parent_id="root", kind="llm", model="gpt-4o", agent="agent", output="run_sql"),
        span("q1", 3.5, 4, parent_id="root", kind="tool", tool="run_sql", agent="agent",
             input=json.dumps({"query": _LOOKUP}), output=_tool_message("[('831c5097', 'shp_22709')]")),
        span("l2", 5, 7, parent_id="root", kind="llm", model="gpt-4o", agent="agent", output="run_sql"),
        span("u1", 7.5, 8, parent_id="root", kind="tool", tool="run_sql", agent="agent",
             input=json.dumps({"query": _WRONG}), output=_tool_message(first_tag)),
    ]
    if fixed:
        rows += [
            span("l3", 9, 11, parent_id="root", kind="llm", model="gpt-4o", agent="agent", output="run_sql"),
            span("u2", 11.5, 12, parent_id="root", kind="tool", tool="run_sql", agent="agent",
                 input=json.dumps({"query": _RIGHT}), output=_tool_message("UPDATE 1")),
        ]
    rows.append(span("l9", 20, 22, parent_id="root", kind="llm", model="gpt-4o", agent="agent",
                     output="Done: the shipping address for order 77120 is now Prinsengracht 480, Amsterdam."))
    return rows


def test_an_update_that_matched_no_row_reported_done_is_error_as_data() -> None:
    assert one(run(*_run("UPDATE 0")), "error_as_data")["decisive_span_id"] == "u1"


def test_near_miss_the_agent_fixed_the_where_and_updated_the_row() -> None:
    assert "error_as_data" not in detectors(run(*_run("UPDATE 0", fixed=True)))


def test_near_miss_the_update_changed_a_row() -> None:
    assert "error_as_data" not in detectors(run(*_run("UPDATE 1")))
