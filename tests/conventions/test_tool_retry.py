"""pydantic-ai: a tool's ModelRetry is handed to the model, not an unhandled error.

A tool that raises ModelRetry (or whose arguments fail validation) is raised as ToolRetryError out
of the 'running tool' span, whose tool_response is the retry prompt (pydantic_ai/_tool_manager.py:
span.set_attribute('tool_response', part.model_response()); raise e); the agent graph catches it
and sends the model a RetryPromptPart ending "Fix the errors and try again." (messages.py). The
OpenTelemetry span records the exception and ERROR status on the way out.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

RETRY = "Unknown customer name 'Acme'; look the customer up with search_customers first.\n\nFix the errors and try again."
AGENT = {"parent_id": "root", "agent": "support_agent"}


def _run(*, t1: dict[str, Any], looked_up: bool, answer: str, crashed: bool = False) -> list[dict[str, Any]]:
    """With ``crashed`` the agent run's span ends in error (the run did not report success)."""
    end = {"status": "error", "error_type": "KeyError"} if crashed else {}
    rows = [
        span("root", 0, 20, kind="agent", name="agent run", agent="support_agent", input="What's Acme Corp's balance?",
             output=answer, **end),
        span("l1", 1, 3, kind="llm", model="gpt-4o", **AGENT,
             output='[{"type": "tool_call", "name": "customer_balance", "arguments": {"customer": "Acme"}}]'),
        span("t1", 3.1, 3.3, kind="tool", tool="customer_balance", name="running tool", **AGENT,
             input='{"customer": "Acme"}', status="error", **t1),
        span("l2", 3.4, 5, kind="llm", model="gpt-4o", **AGENT,
             input=json.dumps([{"role": "user", "parts": [{"type": "retry-prompt", "content": RETRY}]}]),
             output='[{"type": "tool_call", "name": "search_customers", "arguments": {"query": "Acme"}}]'
             if looked_up else answer),
    ]
    if looked_up:
        rows += [
            span("t2", 5.1, 5.3, kind="tool", tool="search_customers", name="running tool", **AGENT,
                 input='{"query": "Acme"}', output='[{"id": 1042, "name": "Acme Corp"}]'),
            span("l3", 5.4, 7, kind="llm", model="gpt-4o", **AGENT, output=answer),
        ]
    return rows


def _col(rows: list[dict[str, Any]], sid: str, name: str) -> bool:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return bool(ctx.spans.filter(pl.col("span_id") == sid).get_column(name).item())


def test_a_model_retry_the_model_acted_on_is_no_unhandled_error() -> None:
    # Near-miss: the model looked the customer up as the retry prompt asked, and answered; the
    # exception type, qualified or bare, or only the retry prompt as the tool's response.
    answer = "Acme Corp is customer 1042; its balance is on the account page."
    for t1 in ({"error_type": "ToolRetryError", "error_message": "ToolRetryError: " + RETRY, "output": RETRY},
               {"error_type": "pydantic_ai.exceptions.ToolRetryError", "error_message": RETRY},
               {"error_type": "ToolRetryError"}, {"output": RETRY}):  # fmt: skip
        rows = _run(t1=t1, looked_up=True, answer=answer)
        assert _col(rows, "t1", "error_handled") is True, t1
        assert not detectors(run(*rows)) & {"unhandled_error", "swallowed_error"}, t1


def test_a_model_retry_the_model_ignored_or_a_tool_crash_is_still_read() -> None:
    # Firing: handed back, the model did nothing with it and answered as if the lookup had worked:
    # the run swallowed it (swallowed_error alone: an error the run reported success over is one
    # story, told once, not unhandled_error too).
    ignored = _run(t1={"error_type": "ToolRetryError", "output": RETRY}, looked_up=False,
                   answer="Acme Corp's balance is $0.00.")
    assert _col(ignored, "t1", "error_handled") is True
    found = detectors(run(*ignored))
    assert "swallowed_error" in found and "unhandled_error" not in found
    # And a tool that raised anything else (pydantic-ai re-raises it: not handed to the model): in
    # a run that ended in error, unhandled_error; in one that reported success, swallowed_error.
    crash = {"error_type": "KeyError", "error_message": "'Acme'"}
    answer = "Acme Corp is customer 1042; its balance is on the account page."
    crashed = _run(t1=crash, looked_up=True, answer=answer, crashed=True)
    assert _col(crashed, "t1", "error_handled") is False
    assert "unhandled_error" in detectors(run(*crashed))
    found = detectors(run(*_run(t1=crash, looked_up=True, answer=answer)))
    assert "swallowed_error" in found and "unhandled_error" not in found
