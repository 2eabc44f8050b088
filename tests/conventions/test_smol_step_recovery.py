"""smolagents failures that the trace shows with status OK (exceptions.py _recovered_steps,
_tool_said_failed).

* A step whose action raised AgentToolCallError / AgentToolExecutionError (``execute_tool_call``:
  "Unknown tool X, should be one of: ...", a tool that raised) is stored on the memory step and
  shown to the model (src/smolagents/agents.py ``_run_stream``); the OpenInference instrumentation
  records it as an ``agent.step_recovery`` event with the error's ``dict()`` (type, message) and
  ``severity: expected``, and sets the step span's status OK (``_record_step_error``,
  openinference-instrumentation-smolagents _wrappers.py). The step failed, and the failure was
  handed back.
* VisitWebpageTool catches its own failure and returns "The request timed out. Please try again
  later or check the URL." / f"Error fetching the webpage: {e}" (src/smolagents/default_tools.py):
  the tool span is OK, the call failed, and its error went to the model.

The rows are the OpenTelemetry Collector ClickHouse exporter's (JSONEachRow), loaded by the
``otel-clickhouse`` loader, so the event is read in the shape the loader keeps it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import clickhouse_row

from forensics.detectors.base import prepare
from forensics.load import load
from forensics.policy import resolve_policy

TRACE = "5d1c0a7e9b2f4c6d8e0f1a2b3c4d5e6f"
RECOVERY = "agent.step_recovery"


def _row(*args: Any, **kw: Any) -> dict[str, Any]:
    return clickhouse_row(TRACE, *args, **kw)


def _prepared(tmp_path: Path, rows: list[dict[str, Any]]) -> pl.DataFrame:
    path = tmp_path / "otel_traces.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return prepare(pl.DataFrame(pl.from_arrow(load(str(path)).spans)), resolve_policy(None)).spans


def _step(tmp_path: Path, step_name: str, event: str, *, status: str = "Ok",
          error: list[tuple[str, dict[str, str]]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """A ToolCallingAgent whose managed agent is news_search_agent; the model called 'search_agent'."""
    recovery = {"type": "AgentToolExecutionError",
                "message": "Unknown tool search_agent, should be one of: news_search_agent, final_answer.",
                "severity": "expected"}  # fmt: skip
    rows = [
        _row("a000000000000001", "", "ToolCallingAgent.run", "AGENT", 0,
             attrs={"input.value": json.dumps({"task": "Any strikes at FRA next week?"}),
                    "smolagents.managed_agents.0.name": "news_search_agent", "output.value": "None announced."}),
        _row("a000000000000002", "a000000000000001", step_name, "CHAIN", 1, status=status,
             events=[*error, (event, recovery)]),
        _row("a000000000000003", "a000000000000002", "OpenAIServerModel.generate", "LLM", 2),
        _row("a000000000000004", "a000000000000001", "Step 2", "CHAIN", 3),
    ]  # fmt: skip
    return _prepared(tmp_path, rows).filter(pl.col("span_id") == "a000000000000002").row(0, named=True)


def test_a_step_with_a_step_recovery_event_failed_and_was_handed_back(tmp_path: Path) -> None:
    step = _step(tmp_path, "Step 1", RECOVERY)
    assert step["failed"] is True and step["error_handled"] is True
    assert step["error_type"] == "AgentToolExecutionError" == step["agent_error"] == step["error_label"]


def test_near_miss_another_event_or_a_span_that_is_no_step_did_not_fail(tmp_path: Path) -> None:
    assert _step(tmp_path, "Step 1", "agent.step_started")["failed"] is False
    assert _step(tmp_path, "plan_step", RECOVERY)["failed"] is False


def test_near_miss_a_step_that_raised_keeps_its_own_error(tmp_path: Path) -> None:
    # An error step (status ERROR, its exception event) is read as before: the step_recovery text
    # does not replace the exception's type.
    exc = ("exception", {"exception.type": "smolagents.utils.AgentParsingError",
                         "exception.message": "Error in code parsing"})  # fmt: skip
    step = _step(tmp_path, "Step 1", RECOVERY, status="Error", error=[exc])
    assert step["failed"] is True and step["error_handled"] is True
    assert step["error_type"] == "smolagents.utils.AgentParsingError" == step["error_label"]


def _visit(tmp_path: Path, result: str) -> dict[str, Any]:
    rows = [
        _row("b000000000000001", "", "ToolCallingAgent.run", "AGENT", 0,
             attrs={"input.value": json.dumps({"task": "Port throughput in 2008?"}), "output.value": "421 Mt"}),
        _row("b000000000000002", "b000000000000001", "Step 1", "CHAIN", 1),
        _row("b000000000000003", "b000000000000002", "VisitWebpageTool", "TOOL", 2,
             attrs={"tool.name": "visit_webpage", "input.value": json.dumps({"args": [], "kwargs": {"url": "https://x.example/t"}}),
                    "output.value": result}),
    ]  # fmt: skip
    return _prepared(tmp_path, rows).filter(pl.col("span_id") == "b000000000000003").row(0, named=True)


def test_visit_webpage_s_own_failure_text_is_a_failed_call_handed_back(tmp_path: Path) -> None:
    for said in ("The request timed out. Please try again later or check the URL.",
                 "Error fetching the webpage: 403 Client Error: Forbidden for url: https://x.example/t",
                 "An unexpected error occurred: 'NoneType' object has no attribute 'text'"):  # fmt: skip
        tool = _visit(tmp_path, said)
        assert tool["failed"] is True and tool["error_handled"] is True, said


def test_near_miss_a_page_that_quotes_the_words_is_a_page(tmp_path: Path) -> None:
    for page in ("# Troubleshooting\n\nIf you see 'Error fetching the webpage: ...', check the URL.",
                 "The request timed out. Please try again later or check the URL.\n\n# Port statistics\n421.1 Mt in 2008"):  # fmt: skip
        tool = _visit(tmp_path, page)
        assert tool["failed"] is False and tool["error_handled"] is False, page


def test_near_miss_a_failure_text_the_error_shape_rules_read_stays_an_error_shaped_result(tmp_path: Path) -> None:
    # "Too Many Requests" is ERROR_SHAPED already: the result stays an OK call with an error-shaped
    # output (error_as_data and the loop rules read it so), not a second reading of the same failure.
    tool = _visit(tmp_path, "Error fetching the webpage: 429 Client Error: Too Many Requests for url: https://x.example/t")
    assert tool["failed"] is False and tool["error_shaped"] is True

