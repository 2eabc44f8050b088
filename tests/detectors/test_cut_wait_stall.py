"""A call that never returned while the step waiting on it was cancelled: the wait was cut, a stall.

LangGraph's ToolNode runs a turn's tool calls with asyncio.gather (prebuilt/tool_node.py _afunc).
When the request serving the graph is cancelled (a client gone, a server timeout), the awaiting
node raises CancelledError and its run ends in error, while the tool call still in flight never gets
its end (LangSmith leaves that run pending: langsmith-sdk issue 453; langgraph issue 2055).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _toolnode(*, sibling_fails: bool = False, node_status: str = "error"):
    err = {"error_type": "CancelledError", "error_message": "CancelledError()"} if node_status == "error" else {}
    return run(
        span("root", 0, 62, kind="chain", name="LangGraph", status=node_status, **err),
        span("l1", 0.1, 2, parent_id="root", kind="llm", model="gpt-4o", output="three get_rates calls"),
        span("tools", 2.1, 62, parent_id="root", kind="chain", name="tools", status=node_status, **err),
        span("r1", 2.2, 3, parent_id="tools", kind="tool", tool="get_rates", input='{"carrier": "dhl"}',
             **({"status": "error", "error_type": "HTTPError", "error_message": "502 Bad Gateway"}
                if sibling_fails else {"output": "41.20"})),
        span("r2", 2.2, 2.9, parent_id="tools", kind="tool", tool="get_rates", input='{"carrier": "ups"}', output="44.10"),
        # Never returned: no end, no status of its own.
        span("r3", 2.3, None, parent_id="tools", kind="tool", tool="get_rates", input='{"carrier": "geodis"}', status="unset"),
    )


def test_open_call_under_a_cancelled_step_is_a_stall() -> None:
    f = one(_toolnode(), "stall")
    assert f["failure_class"] == "missing_fallback"
    assert f["decisive_span_id"] == "r3"
    assert "never returned" in f["explanation"] and "CancelledError" in f["explanation"]


def test_near_miss_a_sibling_failure_ended_the_step() -> None:
    # A sibling's failure ended the step (an asyncio.TaskGroup cancels the rest when one raises):
    # the open call was cancelled with it, not waited on until the wait was cut.
    assert "stall" not in detectors(_toolnode(sibling_fails=True))


def test_near_miss_a_step_that_ended_ok_around_the_open_call() -> None:
    # The step ended without error: premature_success tells that one, not stall.
    found = detectors(_toolnode(node_status="ok"))
    assert "stall" not in found
