"""A scheduled job failing outside any agent: nobody owned the failure (orphan_failure).

A LlamaIndex workflow run on a schedule, no agent in it: a step raises, the step worker's exception
ends the run and ``handler`` raises it to the caller (llama_index/core/workflow/workflow.py); the
OpenInference LlamaIndex span handler ends the workflow's own span with that error (openinference-
instrumentation-llama-index _handler.py: prepare_to_drop_span -> _Span.end(err), status ERROR), while
the step that raised may end OK or not be recorded at all. orphan_failure read only runs with agents,
so the run's one failure, on its root, was found by no rule. Twins: the same job run that finished
(clean), and a job whose root failed because its model call failed (that call is unhandled_error's
failure, told once).
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, one, run, span


def _nightly(*, failed: bool, model_failed: bool = False, cancelled: bool = False) -> list[dict[str, Any]]:
    root_error: dict[str, Any] = (
        {"status": "error", "error_type": "llama_index.core.workflow.errors.WorkflowCancelledByUser", "error_message": ""}
        if cancelled else
        {"status": "error", "error_type": "ConnectionRefusedError",
         "error_message": "[Errno 111] Connect call failed ('10.0.4.12', 5432)"}
        if failed else {"output": "Report for 2025-11-19 written to s3://reports/daily/2025-11-19.md"}
    )  # fmt: skip
    llm_error: dict[str, Any] = (
        {"status": "error", "error_type": "APIConnectionError", "error_message": "Connection error."}
        if model_failed else {"output": "Revenue rose 4% day over day."}
    )  # fmt: skip
    return [
        span("wf", 0, 12, kind="chain", name="DailyReportWorkflow.run", input='{"kwargs": {"day": "2025-11-19"}}',
             **root_error),
        span("s1", 0.1, 3, parent_id="wf", kind="chain", name="DailyReportWorkflow.load_orders",
             input='{"ev": "StartEvent()"}', output='{"orders": 1824}'),
        span("s2", 3.1, 11, parent_id="wf", kind="chain", name="DailyReportWorkflow.summarise",
             input='{"ev": "OrdersLoaded(orders=1824)"}',
             **({"status": "error", "error_type": "APIConnectionError", "error_message": "Connection error."}
                if model_failed else {"output": '{"summary": "Revenue rose 4% day over day."}'})),
        span("l1", 3.2, 10.9, parent_id="s2", kind="llm", model="gpt-4o-mini", name="OpenAI.achat",
             input="Summarise the day's orders.", **llm_error),
    ]  # fmt: skip


def test_a_scheduled_workflow_that_failed_on_its_root_only_is_an_orphan_failure() -> None:
    c = run(*_nightly(failed=True))
    hit = one(c, "orphan_failure")
    assert hit["decisive_span_id"] == "wf"
    assert hit["failure_class"] == "ownership_gap"
    assert "outside any agent" in hit["explanation"]


def test_near_miss_the_same_job_finished() -> None:
    assert detectors(run(*_nightly(failed=False))) == set()


def test_near_miss_a_job_failed_by_its_model_call_is_that_calls_failure() -> None:
    found = detectors(run(*_nightly(failed=True, model_failed=True)))
    assert "unhandled_error" in found
    assert "orphan_failure" not in found


def test_near_miss_a_workflow_its_caller_cancelled_is_no_failure() -> None:
    # handler.cancel_run(): the workflow ends with WorkflowCancelledByUser, "raised when a run is
    # cancelled via the handler or programmatically" (run-llama/workflows workflows/errors.py).
    assert detectors(run(*_nightly(failed=True, cancelled=True))) == set()
