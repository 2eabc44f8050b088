"""LangChain's AgentExecutor out of iterations answers with its stopped response: a failure verdict.

With early_stopping_method="force" (the default), an AgentExecutor that reaches max_iterations or
max_execution_time returns AgentFinish({"output": "Agent stopped due to iteration limit or time
limit."}) (langchain/agents/agent.py, return_stopped_response); the chain's output dict is the run's
answer. A run that ends on it reported no success, whatever the root span's OK status says.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, run, run_row, span

STOPPED = json.dumps({"output": "Agent stopped due to iteration limit or time limit."})
ERR = "Error: (sqlite3.OperationalError) no such column: cust_region"


def _sql_agent(answer: str) -> list[dict[str, Any]]:
    rows = [span("root", 0, 30, kind="chain", agent="AgentExecutor", name="AgentExecutor",
                  input='{"input": "top region?"}', output=answer)]
    for i in range(2):
        t = 1 + 10 * i
        rows += [
            span(f"l{i}", t, t + 2, parent_id="root", kind="llm", model="gpt-4o", output=""),
            span(f"q{i}", t + 3, t + 4, parent_id="root", kind="tool", tool="sql_db_query",
                 input=json.dumps({"query": f"SELECT cust_region FROM orders LIMIT {i + 1}"}), output=ERR),
        ]
    return rows


def test_the_executors_stopped_response_is_a_failure_verdict() -> None:
    # Firing (of the convention): the stopped response, as the output dict or as bare text.
    for answer in (STOPPED, "Agent stopped due to max iterations."):
        c = run(*_sql_agent(answer))
        assert run_row(c)["reported_outcome"] == "error", answer
        assert "error_as_data" not in detectors(c), answer


def test_an_answer_that_only_mentions_a_stop_is_no_verdict() -> None:
    # Near-miss: a real answer (the error read as data) or one that speaks of an agent stopping
    # mid-sentence is still a reported success; the error-shaped results still read as data.
    for answer in (json.dumps({"output": "The top region is EMEA."}),
                   "EMEA leads; the billing agent stopped due to iteration limits last week."):
        c = run(*_sql_agent(answer))
        assert run_row(c)["reported_outcome"] == "success", answer
        assert "error_as_data" in detectors(c), answer
