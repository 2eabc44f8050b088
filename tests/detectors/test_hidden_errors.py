"""An error the run then reported success over: both unhandled and swallowed where nobody retried it
(hidden_errors), swallowed alone where it was retried until the retries gave up or held back on purpose.

TAXONOMY: unhandled_error is a call that failed with none of a retry, a fallback, an escalation or a
structured failure result after it; swallowed_error is a success report over an error never recovered.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

ANSWER = "Your refund for order 7731 has been issued."


def _root(*, crashed: bool = False) -> dict[str, Any]:
    end = {"status": "error", "error_type": "AgentRunError"} if crashed else {}
    return span("root", 0, 30, kind="agent", agent="support", name="support", input="Refund order 7731", output=ANSWER, **end)


def _http_error(sid: str, t: float, *, args: str = '{"order": "7731"}') -> dict[str, Any]:
    return span(sid, t, t + 0.5, parent_id="root", kind="tool", tool="refunds.create", agent="support", input=args,
                status="error", error_type="HTTPError", error_message="503 Service Unavailable",
                attributes=json.dumps({"http.response.status_code": 503}))


def _answer(t: float) -> dict[str, Any]:
    return span("l9", t, t + 1, parent_id="root", kind="llm", model="gpt-4o", agent="support", output=ANSWER)


def test_an_error_nobody_retried_under_a_success_report_is_unhandled_and_swallowed() -> None:
    # Firing: refunds.create failed once, nothing followed it, and the run answered that it was done.
    found = detectors(run(_root(), span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="support"),
                          _http_error("t1", 3), _answer(5)))
    assert {"unhandled_error", "swallowed_error"} <= found


def test_an_error_retried_until_the_retries_gave_up_then_hidden_is_swallowed_only() -> None:
    # Near miss: the same call was sent again (one retry, spacing not judged a storm), failed again,
    # and the run hid it: a retry followed the first failure, so the story is the swallow, told once.
    found = detectors(run(_root(), span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="support"),
                          _http_error("t1", 3), _http_error("t2", 5), _answer(8)))
    assert "swallowed_error" in found
    assert "unhandled_error" not in found and "retry_storm" not in found


def test_an_unretried_error_in_a_run_that_crashed_is_unhandled_only() -> None:
    # Near miss on the other side: no success report, nothing swallowed.
    found = detectors(run(_root(crashed=True), span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="support"),
                          _http_error("t1", 3), _answer(5)))
    assert "unhandled_error" in found and "swallowed_error" not in found


# --- Strands: a BeforeToolCallEvent hook's cancel_tool (strands/tools/executors/_executor.py) ----------


def _strands(result_text: str, *, child: bool = False) -> list[dict[str, Any]]:
    attrs = {"gen_ai.operation.name": "execute_tool", "gen_ai.system": "strands-agents",
             "gen_ai.tool.name": "update_listener", "gen_ai.tool.status": "error"}
    answer = "The listener now uses the new certificate."
    rows = [
        span("root", 0, 20, kind="agent", agent="ops", name="invoke_agent ops", input="Rotate the edge certificate",
             output=answer),
        span("l1", 1, 2, parent_id="root", kind="llm", model="claude-sonnet", agent="ops", output="update_listener(...)"),
        span("t1", 3, 3.01, parent_id="root", kind="tool", tool="update_listener", agent="ops",
             input='{"listener": "edge-1", "certificate": "cert-9"}', status="error",
             output=json.dumps([{"text": result_text}]), attributes=json.dumps(attrs)),
        span("l2", 4, 5, parent_id="root", kind="llm", model="claude-sonnet", agent="ops", output=answer),
    ]
    if child:
        rows.insert(3, span("h1", 3.001, 3.009, parent_id="t1", kind="unknown", name="PUT",
                            attributes=json.dumps({"http.request.method": "PUT"})))
    return rows


def _col(rows: list[dict[str, Any]], sid: str, column: str) -> Any:
    ctx = prepare(pl.from_arrow(spans(*rows)), resolve_policy(None))
    return ctx.spans.filter(pl.col("span_id") == sid).get_column(column).item()


def test_a_tool_a_strands_hook_cancelled_is_held_back_not_an_unhandled_failure() -> None:
    rows = _strands("change freeze in force; update_listener blocked by ChangeWindowHook")
    assert _col(rows, "t1", "withheld_call") is True
    found = detectors(run(*rows))
    assert "swallowed_error" in found and "unhandled_error" not in found


def test_a_strands_tool_that_raised_is_no_cancel() -> None:
    # Near miss: the executor's own text for a tool that raised ("Error: ..."), and a result in error
    # over a span that ran something (a request under it), are failures of the call.
    raised = _strands("Error: ConnectionError - listener API unreachable")
    assert _col(raised, "t1", "withheld_call") is False
    assert {"unhandled_error", "swallowed_error"} <= detectors(run(*raised))
    ran = _strands("listener API answered 500", child=True)
    assert _col(ran, "t1", "withheld_call") is False


def test_a_pydantic_ai_tool_deferred_for_approval_is_held_back() -> None:
    rows = [
        span("root", 0, 10, kind="agent", agent="refunds", name="agent run", input="Refund order 7731", output="Done."),
        span("t1", 1, 1.1, parent_id="root", kind="tool", tool="issue_refund", agent="refunds", status="error",
             error_type="pydantic_ai.exceptions.ApprovalRequired"),
        span("t2", 2, 2.1, parent_id="root", kind="tool", tool="issue_refund", agent="refunds", status="error",
             error_type="pydantic_ai.exceptions.ModelRetry"),
    ]
    assert _col(rows, "t1", "withheld_call") is True
    assert _col(rows, "t2", "withheld_call") is False
