"""A smolagents managed agent that failed inside the manager's step: the failure was handed back.

huggingface/smolagents ``src/smolagents/agents.py`` ``ToolCallingAgent.execute_tool_call``: a
managed agent's exception is caught and raised again as AgentToolExecutionError("Error executing
request to team member '<name>' with arguments ...: <error>\\nPlease try again or request to another
team member"); ``_run_stream`` stores it on the manager's step and shows it to the manager's model in
the next one. openinference-instrumentation-smolagents ``_wrappers.py`` ``_record_step_error``
writes it as the ``Step N`` span's ``agent.step_recovery`` event, status OK. A managed run fails at
all only on AgentGenerationError (a model call that raised: ``_run_stream`` re-raises it).

So the failure reached its owner. A manager that answered with figures anyway swallowed the error
(swallowed_error, on the failing model call), it did not leave the work to nobody
(dropped_delegation). A manager step with no such error says nothing of the failure having come
back: there dropped_delegation still stands. Rows in the OpenTelemetry Collector ClickHouse
exporter's shape (JSONEachRow), loaded by the ``otel-clickhouse`` loader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import clickhouse_row

from forensics.classify import classify
from forensics.load import load

TRACE = "3c9d0a7e9b2f4c6d8e0f1a2b3c4d5e70"
ERROR = "Error code: 402 - {'error': {'message': 'Insufficient Balance', 'type': 'unknown_error'}}"
ANSWER = "Q3 revenue $12.1B, up 9% y/y; operating margin 31.0%. Source: the company's 10-Q."


def _row(*args: Any, **kw: Any) -> dict[str, Any]:
    return clickhouse_row(TRACE, *args, minute="2026-04-02 13:05", **kw)


def _findings(tmp_path: Path, *, handed_back: bool) -> dict[str, dict[str, Any]]:
    task = "Extract Q3 revenue and operating margin from the latest 10-Q."
    recovery = {"type": "AgentToolExecutionError", "severity": "expected",
                "message": f"Error executing request to team member 'filings_agent' with arguments "
                           f"{json.dumps({'task': task})}: Error while generating output:\n{ERROR}\n"
                           "Please try again or request to another team member"}  # fmt: skip
    failed = [("exception", {"exception.type": "AgentGenerationError", "exception.message": ERROR})]
    rows = [
        _row("b000000000000001", "", "ToolCallingAgent.run", "AGENT", 0,
             attrs={"input.value": json.dumps({"task": "A 2-line earnings brief, with sources."}),
                    "smolagents.managed_agents.0.name": "filings_agent", "output.value": ANSWER}),
        _row("b000000000000002", "b000000000000001", "Step 1", "CHAIN", 1,
             events=[("agent.step_recovery", recovery)] if handed_back else []),
        _row("b000000000000003", "b000000000000002", "OpenAIServerModel.generate", "LLM", 2),
        _row("b000000000000004", "b000000000000002", "ToolCallingAgent.run", "AGENT", 3, status="Error",
             attrs={"input.value": json.dumps({"task": f"You're a helpful agent named 'filings_agent'.\nYou have "
                                                       f"been submitted this task by your manager.\n---\nTask:\n{task}\n---\n"})},
             events=failed),
        _row("b000000000000005", "b000000000000004", "Step 1", "CHAIN", 4, status="Error", events=failed),
        _row("b000000000000006", "b000000000000005", "OpenAIServerModel.generate", "LLM", 5, status="Error",
             events=[("exception", {"exception.type": "APIStatusError", "exception.message": ERROR})]),
        _row("b000000000000007", "b000000000000001", "Step 2", "CHAIN", 7, attrs={"output.value": ANSWER}),
        _row("b000000000000008", "b000000000000007", "OpenAIServerModel.generate", "LLM", 8),
        _row("b000000000000009", "b000000000000007", "FinalAnswerTool", "TOOL", 9,
             attrs={"tool.name": "final_answer", "input.value": json.dumps({"answer": ANSWER})}),
    ]  # fmt: skip
    path = tmp_path / "otel_traces.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    found = pl.DataFrame(pl.from_arrow(classify(load(str(path)).spans).findings))
    return {f["detector"]: f for f in found.to_dicts()}


def test_a_failure_handed_back_to_the_manager_and_answered_over_is_swallowed_not_dropped(tmp_path: Path) -> None:
    found = _findings(tmp_path, handed_back=True)
    assert "dropped_delegation" not in found
    assert found["swallowed_error"]["decisive_span_id"] == "b000000000000006"  # the model call that failed


def test_near_miss_a_manager_step_that_records_no_error_still_dropped_the_work(tmp_path: Path) -> None:
    found = _findings(tmp_path, handed_back=False)
    assert found["dropped_delegation"]["decisive_span_id"] == "b000000000000004"
