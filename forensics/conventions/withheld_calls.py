"""Calls the framework did not run, on purpose: a hook cancelled it, or the tool asked for approval first.

Both end the call's span with an error result, yet nothing failed that a retry or a fallback could
answer: the call was held back by design.

* **Strands Agents** runs the ``BeforeToolCallEvent`` hooks before every tool; a hook that sets
  ``event.cancel_tool`` (True, or its own message) stops the tool from running, and
  ``ToolExecutor._stream`` answers the model with ``{"status": "error", "content": [{"text":
  cancel_message}]}``, the hook's message or "tool cancelled by user"
  (strands-agents/sdk-python ``src/strands/tools/executors/_executor.py``); ``end_tool_call_span``
  writes the status as ``gen_ai.tool.status`` and ends the span OK (``src/strands/telemetry/tracer.py``).
  A tool that raised gets ``"Error: {e}"`` from the same executor, and an unknown tool
  ``"Unknown tool: {name}"``: a result in error that is neither, on a tool span with nothing under
  it (the tool never ran), is the cancel.
* **pydantic-ai**: a tool raises ``ApprovalRequired`` (human-in-the-loop approval) or
  ``CallDeferred`` (the call is to be made outside the run) and the agent ends its run with the
  call in ``DeferredToolRequests`` instead of running it (pydantic/pydantic-ai
  ``pydantic_ai_slim/pydantic_ai/exceptions.py``, ``_tool_manager.py``): the 'running tool' span
  records the exception.

``withheld_call`` marks such a span. It stays failed (it did not do its work); whether the run then
reported success over it is still ``swallowed_error``'s, but it was no unhandled failure
(``hidden_errors``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, json_scalar, register

#: pydantic-ai's deferral exceptions, bare or module-qualified (exception.type).
DEFERRED: Final = r"(?:^|[.:])(?:ApprovalRequired|CallDeferred)$"

#: The texts Strands' executor gives a tool result in error that are not a cancel: a tool that
#: raised ("Error: ...", also the @tool wrapper's) and a tool the registry does not hold.
_EXECUTOR_ERROR: Final = r'^\s*(?:\[\s*\{\s*"text"\s*:\s*")?(?:Error:|Unknown tool:)'


def _extract() -> list[pl.Expr]:
    return [
        (json_scalar("attributes", r"(?:gen_ai\.)?tool\.status", "tool.status") == "error")
        .fill_null(False)
        .alias("_cv_wh_tool_status_error"),
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    parents = df.get_column("parent_k").drop_nulls().implode()
    cancelled = (
        pl.col("_cv_wh_tool_status_error")
        & (pl.col("kind") == "tool")
        & pl.col("output").is_not_null()
        & ~pl.col("output").str.contains(_EXECUTOR_ERROR).fill_null(False)
        & ~pl.col("span_k").is_in(parents)
    )
    deferred = pl.col("error_type").str.contains(DEFERRED).fill_null(False)
    return df.with_columns((pl.col("failed") & (cancelled | deferred)).alias("withheld_call"))


register(
    Convention(
        name="withheld_calls",
        signals=(
            Signal(
                "a tool span with gen_ai.tool.status (tool.status) 'error' whose result is not the executor's "
                "'Error: ...' nor 'Unknown tool: ...' and with no span under it (the tool never ran)",
                "Strands Agents (BeforeToolCallEvent.cancel_tool)",
                "strands-agents/sdk-python src/strands/tools/executors/_executor.py (ToolExecutor._stream: cancel_tool -> "
                "status error with the cancel message); src/strands/telemetry/tracer.py (end_tool_call_span)",
                "withheld_call (not an unhandled failure)",
            ),
            Signal(
                "exception.type ApprovalRequired or CallDeferred on a 'running tool' span",
                "pydantic-ai (deferred tools)",
                "pydantic/pydantic-ai pydantic_ai_slim/pydantic_ai/exceptions.py (ApprovalRequired, CallDeferred); _tool_manager.py",
                "withheld_call",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "withheld_call": "a call the framework held back on purpose (a Strands hook's cancel_tool, a pydantic-ai "
            "tool's ApprovalRequired / CallDeferred): failed, but no failure a retry or fallback answers"
        },
    )
)
