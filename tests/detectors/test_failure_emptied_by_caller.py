"""A failed call whose caller caught the exception and returned an empty result: unhandled and swallowed.

Traceloop's @task and Langfuse's @observe wrap an application function in a span of its own (kind
chain) that ends OK when the function returns; a function written ``except Exception: return ""``
around a model call leaves that span OK with an empty output over the failed call (Traceloop writes
the return value as JSON, '""'). Nothing retried the call, no other model was tried, no failure
result was given: the run carried on with nothing (unhandled_error), and it reported success over
it (swallowed_error).
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, run, span


def _digest(summary_output: str | None) -> list[dict[str, Any]]:
    return [
        span("root", 0, 10, kind="chain", name="daily_digest", output='{"status": "posted"}'),
        span("fetch", 1, 2, parent_id="root", kind="chain", name="fetch_incidents", output='{"count": 14}'),
        span("summ", 3, 5, parent_id="root", kind="chain", name="summarize_incidents", output=summary_output),
        span("chat", 3.1, 4.5, parent_id="summ", kind="llm", model="claude-sonnet-4-5", status="error",
             error_type="OverloadedError", error_message="Error code: 529 - overloaded_error"),
        span("post", 6, 7, parent_id="root", kind="chain", name="post_digest", output='{"ok": true}'),
    ]


def test_model_call_emptied_by_its_caller_is_unhandled_and_swallowed() -> None:
    for empty in ("", '""', "  "):
        found = detectors(run(*_digest(empty)))
        assert {"unhandled_error", "swallowed_error"} <= found, (empty, found)


def test_caller_that_returned_something_or_recorded_nothing_leaves_it_to_swallowed_error() -> None:
    # Near-misses: the caller returned a value in the failure's place (a default text), or recorded
    # no output at all: the run reported success over the failure, swallowed_error's alone.
    for output in ("No incidents to summarise today.", None):
        found = detectors(run(*_digest(output)))
        assert "swallowed_error" in found and "unhandled_error" not in found, (output, found)
