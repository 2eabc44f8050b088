"""An approval a long-running tool asked for and reported pending: a pause for a person's decision.

Google ADK's ``LongRunningFunctionTool`` (src/google/adk/tools/long_running_tool.py) starts work
that finishes outside the invocation: its function returns an initial result (the ADK docs'
example, ``ask_for_approval``: ``{"status": "pending", "approver": ..., "ticket-id": ...}``), the
model tells the user it is waiting, and the invocation ends. The answer comes back when the client
sends the tool's updated ``FunctionResponse`` (same call id and name) in a later invocation of the
same session (docs, Function tools: long running function tools; flows/llm_flows/functions.py
``find_matching_function_call``). Until then the request sits with the person asked, as a
LangGraph interrupt does: it is judged like one (unacknowledged_escalation: answered when a later
run of the session starts, or when an answer arrives in the run itself: a person's turn or an
event after it, as an approval event mid-run), except that the asking run going on is no answer:
neither the model's own reply ("I've sent it to Sean Zhou") nor a tool it calls without one.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: The tool's own result saying the request waits for someone ("status": "pending").
PENDING: Final = r'(?i)\\?"status\\?"\s*:\s*\\?"pending\\?"'


def asked_and_pending() -> pl.Expr:
    """A tool call that asks a person to approve, confirm or review (unguarded_action's
    APPROVAL_REQUEST: ask_for_approval, request_review ...) and got back a pending status."""
    from forensics.detectors.unguarded_action import APPROVAL_REQUEST

    return (
        (pl.col("kind") == "tool")
        & pl.col("call").str.contains(APPROVAL_REQUEST).fill_null(False)
        & pl.col("output").str.contains(PENDING).fill_null(False)
    )


def pending_approvals(spans: pl.LazyFrame, cols: tuple[str, ...]) -> pl.LazyFrame:
    """The pending approval requests (:func:`asked_and_pending`) as escalations that are pauses
    (``pause_escalation`` true), with ``cols``."""
    return spans.filter(asked_and_pending() & ~pl.col("failed")).with_columns(pl.lit(True).alias("pause_escalation")).select(cols)
