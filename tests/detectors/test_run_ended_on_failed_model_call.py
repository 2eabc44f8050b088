"""A run whose last model call failed and whose agent span then ended saying nothing (status unset,
no output) never answered: there was no success for the failure to be swallowed under. The failure
is unhandled (no retry, no fallback model), not swallowed. A run that answered, or whose last
failure was a tool call after the model had spoken, keeps swallowed_error."""

from __future__ import annotations

from span_builder import detectors, one, run, span

OVERFLOW = {
    "status": "error",
    "error_type": "ContextWindowExceededError",
    "error_message": "litellm.ContextWindowExceededError: This model's maximum context length is 128000 tokens",
}


def _research(root_output: str | None = None, last: dict[str, object] | None = None):
    return run(
        span("root", 0, 60, kind="agent", name="deep_researcher", status="unset", output=root_output),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", status="unset", output='[{"tool.name": "visit_webpage"}]'),
        span("t1", 3, 4, parent_id="root", kind="tool", tool="visit_webpage", status="unset",
             input='{"url": "https://example.org/a"}', output="# Page A ..."),  # fmt: skip
        span("l2", 5, 6, parent_id="root", kind="llm", model="gpt-4o", status="unset", output='[{"tool.name": "visit_webpage"}]'),
        span("t2", 7, 8, parent_id="root", kind="tool", tool="visit_webpage", status="unset",
             input='{"url": "https://example.org/b"}', output="# Page B ..."),  # fmt: skip
        last or span("l3", 9, 10, parent_id="root", kind="llm", model="gpt-4o", **OVERFLOW),
    )


def test_a_run_that_stopped_on_its_failed_model_call_never_answered_so_it_is_unhandled() -> None:
    c = _research()
    assert one(c, "unhandled_error")["decisive_span_id"] == "l3"
    assert "swallowed_error" not in detectors(c)


def test_near_miss_the_run_answered_success_over_the_failure() -> None:
    c = _research(root_output="Lithium was discovered in 1817 by Arfwedson.")
    assert one(c, "swallowed_error")["decisive_span_id"] == "l3"


def test_near_miss_the_last_failure_is_a_tool_call_after_the_model_spoke() -> None:
    post = span("t3", 9, 10, parent_id="root", kind="tool", tool="post_digest", input='{"channel": "#standup"}',
                status="error", error_type="HTTPError", error_message="500 Internal Server Error")  # fmt: skip
    assert "swallowed_error" in detectors(_research(last=post))


def _session(*tail: dict[str, object]):
    # A transcript: its root is the person's message, the task, not a report of the run.
    return run(
        span("u1", 0, 0, kind="human", output="why did last night's etl job produce 0 rows for eu?"),
        span("a1", 2, 2, parent_id="u1", kind="llm", model="claude-opus-4-1"),
        span("r1", 2, 6, parent_id="a1", kind="tool", tool="Read", input='{"file_path": "logs/etl.log"}',
             output="1\t2025-10-07T03:00:01 INFO start ... [48MB]"),  # fmt: skip
        span("a2", 8, 8, parent_id="r1", kind="llm", model="<synthetic>", status="error", error_type="api_error",
             error_message="Prompt is too long", output="Prompt is too long"),  # fmt: skip
        *tail,
    )


def test_a_session_whose_last_api_call_failed_never_answered_so_it_is_unhandled() -> None:
    c = _session()
    assert one(c, "unhandled_error")["decisive_span_id"] == "a2"
    assert "swallowed_error" not in detectors(c)


def test_near_miss_the_session_answered_after_the_failed_call() -> None:
    # The next model call went through (a retry of the failed one) and answered: nothing unhandled.
    later = span("a3", 20, 20, parent_id="a2", kind="llm", model="claude-opus-4-1",
                 output="The EU extract read an empty S3 prefix; the job is fixed.")  # fmt: skip
    found = detectors(_session(later))
    assert "unhandled_error" not in found
    assert "swallowed_error" not in found
