"""An OpenAI Agents SDK function span left open is a call still running, not one stopped for approval.

The runner opens ``with function_span(name)`` around each tool call and, for a ``needs_approval``
tool with no decision yet, returns the ToolApprovalItem from inside it: that span ends
(src/agents/run_internal/tool_execution.py run_single_tool). A function span with no end is a call
that never came back before the log stopped (a streamed run its client abandoned, spans dumped
open at shutdown): the run stalled (stall), it did not hand a decision to a person.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

OA = {"source_format": "openai-agents"}
ARGS = '{"account": "BA-00318", "from": "2025-04-01", "to": "2025-06-30"}'


def _statement(tool_end: float | None) -> list[dict[str, object]]:
    return [
        span("a1", 0, None, kind="agent", name="Statements Agent", **OA),
        span("m1", 0.1, 1.0, parent_id="a1", kind="llm", name="response", **OA),
        span("t1", 1.1, 1.4, parent_id="a1", kind="tool", name="get_statement_period", input='{"account": "BA-00318"}',
             output='{"from": "2025-04-01"}', **OA),
        span("m2", 1.5, 2.5, parent_id="a1", kind="llm", name="response", **OA),
        span("t2", 2.6, tool_end, parent_id="a1", kind="tool", name="render_statement_pdf", input=ARGS, output=None, **OA),
    ]


def test_an_ended_call_with_no_result_and_no_later_model_call_awaits_approval() -> None:
    found = detectors(run(*_statement(2.61)))
    assert "unacknowledged_escalation" in found, found


def test_near_miss_a_call_left_open_stalled_instead() -> None:
    c = run(*_statement(None))
    found = detectors(c)
    assert not {"unacknowledged_escalation", "limbo"} & found, found
    assert one(c, "stall")["decisive_span_id"] == "t2"
