"""pydantic-ai runs stopped by their own limits.

* A tool's last allowed retry: pydantic-ai raises ToolRetryError out of the 'running tool' span and
  hands it to the model as a retry prompt (_tool_manager.py), except past the tool's max_retries,
  where UnexpectedModelBehavior ("Tool 'create_ticket' exceeded max retries count of 1") goes up and
  no model request follows. That last failure was not handed back: nothing caught it, the run died
  (unhandled_error). Near miss: the model is asked again after the retry and fixes the call.
* UsageLimits(request_limit=5) raises UsageLimitExceeded ("The next request would exceed the
  request_limit of 5", pydantic_ai/usage.py): a limit on usage, a spend budget (budget_exceeded),
  told beside the loop that spent it. Near miss: the same loop ending on a turn limit's error is the
  loop's story alone.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

AGENT = {"parent_id": "root", "agent": "intake_agent"}
RETRY = {"status": "error", "error_type": "pydantic_ai.exceptions.ToolRetryError",
         "error_message": "ToolRetryError: priority: Input should be 'P1', 'P2', 'P3' or 'P4'\n\nFix the errors and try again."}


def _ticket_run(fixed: bool) -> list[dict[str, object]]:
    rows = [
        span("m1", 1, 2, kind="llm", model="gpt-4o", **AGENT),
        span("t1", 2, 2.1, kind="tool", tool="create_ticket", name="running tool", input='{"priority": "urgent"}', **AGENT, **RETRY),
        span("m2", 3, 4, kind="llm", model="gpt-4o", **AGENT),
        span("t2", 4, 4.1, kind="tool", tool="create_ticket", name="running tool", input='{"priority": "high"}', **AGENT, **RETRY),
    ]
    if fixed:
        rows += [
            span("m3", 5, 6, kind="llm", model="gpt-4o", **AGENT),
            span("t3", 6, 6.1, kind="tool", tool="create_ticket", name="running tool", input='{"priority": "P1"}', output='{"id": "T-1"}', **AGENT),
            span("m4", 7, 8, kind="llm", model="gpt-4o", output="Ticket T-1 created (P1).", **AGENT),
        ]
        root = span("root", 0, 9, kind="agent", agent="intake_agent", name="agent run", output="Ticket T-1 created (P1).")
    else:
        root = span("root", 0, 4.2, kind="agent", agent="intake_agent", name="agent run", status="error",
                    error_type="pydantic_ai.exceptions.UnexpectedModelBehavior",
                    error_message="UnexpectedModelBehavior: Tool 'create_ticket' exceeded max retries count of 1")
    return [root, *rows]


def test_the_retry_past_the_tools_limit_was_not_handed_back() -> None:
    f = one(run(*_ticket_run(fixed=False)), "unhandled_error")
    assert f["decisive_span_id"] == "t2"


def test_near_miss_retries_read_by_the_next_model_call_are_handed_back() -> None:
    assert "unhandled_error" not in detectors(run(*_ticket_run(fixed=True)))


def _search_loop(error_type: str, message: str) -> set[str]:
    rows = [span("root", 0, 20, kind="agent", agent="docs_agent", name="agent run", status="error",
                 error_type=error_type, error_message=message)]
    for i in range(5):
        rows.append(span(f"m{i}", 1 + 3 * i, 2 + 3 * i, parent_id="root", kind="llm", model="gpt-4o-mini", agent="docs_agent"))
        rows.append(span(f"t{i}", 2 + 3 * i, 2.5 + 3 * i, parent_id="root", kind="tool", tool="search_docs", name="running tool",
                         agent="docs_agent", input='{"query": "rotate api key"}', output="[]"))
    return detectors(run(*rows))


def test_a_usage_limit_stop_is_a_spend_budget_told_beside_the_loop() -> None:
    found = _search_loop("pydantic_ai.exceptions.UsageLimitExceeded",
                         "UsageLimitExceeded: The next request would exceed the request_limit of 5")
    assert {"budget_exceeded", "repeated_action"} <= found


def test_near_miss_a_turn_limit_stop_is_the_loops_story_alone() -> None:
    found = _search_loop("agents.exceptions.MaxTurnsExceeded", "Max turns (10) exceeded")
    assert "repeated_action" in found
    assert "budget_exceeded" not in found
