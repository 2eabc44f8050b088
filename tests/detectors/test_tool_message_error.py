"""error_as_data: an error object handed back as the content of a recorded LangChain ToolMessage
(forensics/detectors/tool_messages.py).

LangChain turns a tool's return value into ``ToolMessage(content=<str>, status="success")``
(langchain_core messages/tool.py); a tracer that keeps the message whole (MLflow's LangChain
tracer) records ``{"content": "<result>", "type": "tool", ...}``. Unity Catalog's
``FunctionExecutionResult.to_json()`` puts ``{"error": "..."}`` there when the function failed
(unitycatalog ai/core/src/unitycatalog/ai/core/base.py), and the span stays OK.

Near misses: the result's value (``{"format": "SCALAR", "value": ...}``) and an ``"error": null``
beside data, in the same wrapper.
"""

from __future__ import annotations

import json

from span_builder import detectors, findings, run, span

ASK = "Did warehouse WH-7 ship more pallets in March than in February?"
ANSWER = "Yes: WH-7 shipped more pallets in March than in February, so the trend is up."


def _message(content: dict[str, object]) -> str:
    return json.dumps({"content": json.dumps(content), "type": "tool", "name": "ops__logistics__pallet_counts",
                       "tool_call_id": "toolu_01", "status": "success"})  # fmt: skip


def _run(result: str) -> object:
    return run(
        span("root", 0, 10, kind="chain", name="LangGraph", input=ASK, output=ANSWER),
        span("m1", 1, 2, kind="llm", parent_id="root", name="ChatDatabricks", model="databricks-claude-3-7-sonnet"),
        span("t1", 3, 4, kind="tool", parent_id="root", tool="ops__logistics__pallet_counts",
             input=json.dumps({"warehouse": "WH-7", "months": ["2026-02", "2026-03"]}), output=result),  # fmt: skip
        span("m2", 5, 6, kind="llm", parent_id="root", name="ChatDatabricks", model="databricks-claude-3-7-sonnet", output=ANSWER),
    )


def test_an_error_object_in_a_tool_message_is_error_as_data() -> None:
    failed = {"error": "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column `pallet_cnt` cannot be resolved. SQLSTATE: 42703"}
    (row,) = findings(_run(_message(failed)), "error_as_data")
    assert row["decisive_span_id"] == "t1"


def test_near_miss_a_value_or_a_null_error_in_a_tool_message() -> None:
    value = {"format": "SCALAR", "value": json.dumps({"2026-02": 1180, "2026-03": 1342}), "truncated": False}
    assert detectors(_run(_message(value))) == set()
    assert detectors(_run(_message({"error": None, "rows": [1180, 1342]}))) == set()


# The same message as LangChain's own tracer writes a LangSmith tool run's outputs: the ToolMessage
# serialised by langchain-core (langchain_core/load/serializable.py ``to_json``), its class path a
# list ahead of the content, which ERROR_SHAPED's "error object anywhere" reads as inside a list.
def _serialised(content: dict[str, object]) -> str:
    message = {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "ToolMessage"],
               "kwargs": {"content": json.dumps(content), "type": "tool", "name": "ops__logistics__pallet_counts",
                          "tool_call_id": "toolu_01", "status": "success"}}  # fmt: skip
    return json.dumps({"output": message})


def test_an_error_object_in_a_serialised_tool_message_is_error_as_data() -> None:
    failed = {"error": {"code": "UNRESOLVED_COLUMN", "message": "A column `pallet_cnt` cannot be resolved."}}
    (row,) = findings(_run(_serialised(failed)), "error_as_data")
    assert row["decisive_span_id"] == "t1"


def test_near_miss_a_value_or_a_null_error_in_a_serialised_tool_message() -> None:
    value = {"format": "SCALAR", "value": json.dumps({"2026-02": 1180, "2026-03": 1342}), "truncated": False}
    assert detectors(_run(_serialised(value))) == set()
    assert detectors(_run(_serialised({"error": None, "rows": [1180, 1342]}))) == set()
    # Error objects of the records a read returned (inside the content's list) are data.
    records = {"rows": [{"pallets": 1180, "error": {"code": "LATE", "message": "scanned late"}}]}
    assert detectors(_run(_serialised(records))) == set()
