"""A LlamaIndex workflow ends by raising WorkflowDone: that span did not fail.

The built-in ``_done`` step takes the StopEvent, records the result and raises ``WorkflowDone``
("Signal we want to stop the workflow", llama_index/core/workflow/workflow.py); the step worker
catches it. Steps run inside ``dispatcher.span``, and OpenInference's LlamaIndex span handler ends
the ``Workflow._done`` span with the exception (prepare_to_drop_span -> _Span.end(err): status
ERROR, description "WorkflowDone: "). A run shaped like the LlamaIndex JokeFlow example.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy


def _flow(*, done: dict[str, Any], step_error: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    critique = {"output": '{"result": "Thorough analysis..."}'} if step_error is None else step_error
    return [
        span("run", 0, 9, kind="chain", name="JokeFlow.run", input='{"kwargs": {"topic": "pirates"}}',
             output="Thorough analysis..." if step_error is None else None,
             **({} if step_error is None else {"status": "error", "error_type": "WorkflowRuntimeError",
                                                "error_message": "Error in step 'critique_joke': Connection error."})),
        span("s1", 0.1, 4, parent_id="run", kind="chain", name="JokeFlow.generate_joke", input='{"ev": "StartEvent()"}',
             output='{"joke": "Why did the pirate..."}'),
        span("l1", 0.2, 3.9, parent_id="s1", kind="llm", model="gpt-4o-mini", name="OpenAI.acomplete",
             input="Write your best joke about pirates.", output="Why did the pirate..."),
        span("s2", 4.1, 8, parent_id="run", kind="chain", name="JokeFlow.critique_joke", **critique),
        span("l2", 4.2, 7.9, parent_id="s2", kind="llm", model="gpt-4o-mini", name="OpenAI.acomplete",
             input="Give a thorough analysis and critique of the following joke: Why did the pirate...",
             **({"output": "Thorough analysis..."} if step_error is None else step_error)),
        *([] if step_error is not None else [
            span("done", 8.1, 8.2, parent_id="run", kind="chain", name="Workflow._done", status="error", **done)]),
    ]


def _failed(rows: list[dict[str, Any]], sid: str) -> bool:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return bool(ctx.spans.filter(pl.col("span_id") == sid).get_column("failed").item())


def test_the_done_step_raising_workflow_done_is_the_workflow_finishing() -> None:
    # Near-miss: the exception type bare or qualified (newer OpenTelemetry SDKs write the module),
    # or only the status description: the run is clean.
    for done in ({"error_type": "WorkflowDone", "error_message": "WorkflowDone: "},
                 {"error_type": "llama_index.core.workflow.errors.WorkflowDone", "error_message": ""},
                 {"error_message": "WorkflowDone: "}):  # fmt: skip
        rows = _flow(done=done)
        assert _failed(rows, "done") is False, done
        assert not detectors(run(*rows)), done


def test_a_step_that_failed_or_another_error_on_the_done_span_still_fails() -> None:
    # Firing: a step that raised (the workflow ends in WorkflowRuntimeError) is a failure, and so is
    # any other error type on the stop step (a timeout; a name that only contains the word).
    failed = _flow(done={}, step_error={"status": "error", "error_type": "APIConnectionError",
                                        "error_message": "Connection error."})
    assert _failed(failed, "l2") is True
    assert "unhandled_error" in detectors(run(*failed))
    for other in ({"error_type": "WorkflowTimeoutError", "error_message": "Operation timed out after 10.0 seconds"},
                  {"error_type": "WorkflowDoneError", "error_message": "boom"}):  # fmt: skip
        rows = _flow(done=other)
        assert _failed(rows, "done") is True, other
        assert detectors(run(*rows)) & {"unhandled_error", "swallowed_error"}, other
