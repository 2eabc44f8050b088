"""error_as_data: a custom smolagents ``@tool`` catches the database driver's exception and returns its text.

huggingface/smolagents ``src/smolagents/tools.py`` (``tool``): the decorator makes a ``SimpleTool`` whose
``forward`` is the function, so what the function returns is the call's result; a function that does
``except Exception as e: return str(e)`` returns the driver's message, and Arize-ai/openinference
``.../openinference-instrumentation-smolagents/src/openinference/instrumentation/smolagents/_wrappers.py``
(``_ToolCallWrapper``) ends the TOOL span OK with it as ``output.value``. The driver's message is the
server's: PostgreSQL's "permission denied for table payroll" (postgres ``src/backend/catalog/aclchk.c``
``aclcheck_error``), as psycopg gives it, or behind SQLAlchemy's "(psycopg2.errors.InsufficientPrivilege)"
(sqlalchemy ``lib/sqlalchemy/exc.py`` ``StatementError``). The near misses: the agent told the user,
and a log search whose lines say "Permission denied" (data).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from smol_rows import smol_span

from forensics.classify import classify
from forensics.load import load

_TRACE = "17890aa11bb22cc33dd44ee55ff66778"
_STATEMENT = {"query": "UPDATE payroll SET approved = true WHERE period = '2025-03'"}


def _span(span_id: str, parent: str, name: str, second: int, attrs: dict[str, Any], children: list[Any]) -> dict[str, Any]:
    return smol_span(_TRACE, span_id, parent, name, second, attrs, children, service="finance-agent")


def _run(tmp_path: Path, result: str, answer: str, *, tool: str = "run_sql", kwargs: dict[str, str] = _STATEMENT) -> pl.DataFrame:
    """A ToolCallingAgent: step 1 calls ``tool`` (a ``@tool`` function, span SimpleTool) which returns
    ``result``; step 2 answers ``answer`` with final_answer."""
    def model(span_id: str, parent: str, second: int, name: str, args: dict[str, str]) -> dict[str, Any]:
        return _span(span_id, parent, "LiteLLMModel.__call__", second, {
            "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o", "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": name,
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": json.dumps(args),
        }, [])  # fmt: skip

    def call(span_id: str, parent: str, second: int, name: str, args: dict[str, str], output: str) -> dict[str, Any]:
        return _span(span_id, parent, "SimpleTool" if name != "final_answer" else "FinalAnswerTool", second, {
            "openinference.span.kind": "TOOL", "tool.name": name, "output.value": output, "output.mime_type": "text/plain",
            "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": True, "kwargs": args}),
        }, [])  # fmt: skip

    step1 = _span("a200000000000002", "a200000000000001", "Step 1", 1, {"openinference.span.kind": "CHAIN", "output.value": result}, [
        model("b200000000000001", "a200000000000002", 1, tool, kwargs), call("c200000000000001", "a200000000000002", 2, tool, kwargs, result)])  # fmt: skip
    step2 = _span("a200000000000003", "a200000000000001", "Step 2", 5, {"openinference.span.kind": "CHAIN", "output.value": answer}, [
        model("b200000000000002", "a200000000000003", 5, "final_answer", {"answer": answer}),
        call("c200000000000099", "a200000000000003", 6, "final_answer", {"answer": answer}, answer)])  # fmt: skip
    root = _span("a200000000000001", "", "ToolCallingAgent.run", 0, {
        "openinference.span.kind": "AGENT", "smolagents.task": "Approve the March payroll run.",
        "smolagents.tools_names": [tool, "final_answer"], "output.value": answer,
    }, [step1, step2])  # fmt: skip
    path = tmp_path / "smol_payroll.json"
    path.write_text(json.dumps({"trace_id": _TRACE, "spans": [root]}))
    return load(path).to_polars()


@pytest.mark.parametrize(
    "said",
    [
        "permission denied for table payroll",
        "Query failed: permission denied for table payroll",
        "(psycopg2.errors.InsufficientPrivilege) permission denied for table payroll\n[SQL: UPDATE payroll SET approved = true]",
    ],
)
def test_the_drivers_refusal_returned_as_the_result_is_error_as_data(tmp_path: Path, said: str) -> None:
    f = classify(_run(tmp_path, said, "The March payroll run is approved.")).to_polars()[0]
    assert f.get_column("detector").to_list() == ["error_as_data"]
    assert f.get_column("decisive_span_id").to_list() == ["c200000000000001"]


def test_near_miss_the_agent_told_the_user_it_was_refused(tmp_path: Path) -> None:
    told = "I could not approve the March payroll: the database refused with permission denied for table payroll."
    assert classify(_run(tmp_path, "permission denied for table payroll", told)).to_polars()[0].height == 0


def test_near_miss_the_statement_ran(tmp_path: Path) -> None:
    assert classify(_run(tmp_path, "UPDATE 212", "The March payroll run is approved.")).to_polars()[0].height == 0


@pytest.mark.parametrize(
    "lines",
    [
        "sshd[812]: Permission denied (publickey) for root from 10.0.0.5\nsshd[813]: Accepted publickey for deploy",
        "2025-03-19T10:00:01Z Permission denied (publickey) for root from 10.0.0.5",
    ],
)
def test_near_miss_log_lines_that_say_permission_denied_are_data(tmp_path: Path, lines: str) -> None:
    table = _run(tmp_path, lines, "One refused SSH login for root in the window.", tool="search_logs", kwargs={"query": "sshd"})
    assert classify(table).to_polars()[0].height == 0


#: An Elasticsearch ``_bulk`` response with a rejected item: ``errors`` is true when any item failed,
#: each failed item carries its ``status`` and ``error`` (Elasticsearch docs, Bulk API, "Response body").
_BULK = {"kwargs": {"index": "customers-v7", "source_file": "/tmp/batch.ndjson"}}


def _bulk_result(errors: bool) -> str:
    items = [{"index": {"_index": "customers-v7", "_id": "88117", "status": 400, "error": {
        "type": "mapper_parsing_exception", "reason": "failed to parse field [signup_date] of type [date]"}}}] if errors else []
    return json.dumps({"took": 312, "errors": errors, "items": items})  # fmt: skip


def test_the_step_that_mirrors_its_tool_result_is_not_decisive(tmp_path: Path) -> None:
    # ``Step 1`` carries the tool's observation as its own output (openinference ``_StepWrapper``)
    # and starts first; the tool call returned the error-shaped result, so it is decisive.
    table = _run(tmp_path, _bulk_result(True), "Re-indexed 500 customer profiles into customers-v7.",
                 tool="es_bulk_index", kwargs=_BULK["kwargs"])  # fmt: skip
    f = classify(table).to_polars()[0].filter(pl.col("detector") == "error_as_data")
    assert f.get_column("decisive_span_id").to_list() == ["c200000000000001"]
    assert "a200000000000002" not in f.get_column("evidence_span_ids").to_list()[0]


def test_near_miss_a_bulk_response_without_errors_is_clean(tmp_path: Path) -> None:
    table = _run(tmp_path, _bulk_result(False), "Re-indexed 500 customer profiles into customers-v7.",
                 tool="es_bulk_index", kwargs=_BULK["kwargs"])  # fmt: skip
    assert classify(table).to_polars()[0].height == 0
