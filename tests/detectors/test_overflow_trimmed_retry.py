"""A request refused for the window, then asked again of the same model with a prompt that fits.

OpenAI refuses an over-long request with code context_length_exceeded ("This model's maximum
context length is 128000 tokens. However, your messages resulted in 131907 tokens. Please reduce
the length of the messages."). A caller that does what it asks (summarises or trims the history)
and sends the same model a prompt the log shows under its window got its answer: nothing was lost
to the overflow. Near misses: the retry is refused again; the retry's prompt is not shown smaller
(no token count); no retry at all.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

MSG = ("Error code: 400 - {'error': {'message': \"This model's maximum context length is 128000 tokens. However, "
       "your messages resulted in 131907 tokens. Please reduce the length of the messages.\", "
       "'code': 'context_length_exceeded'}}")  # fmt: skip


def _ticket(retry: dict[str, object] | None) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("run", 0, 30, kind="chain", name="handle_ticket"),
        span("l1", 1, 2, parent_id="run", kind="llm", model="gpt-4o-mini", status="error",
             error_type="BadRequestError", error_message=MSG),
        span("c", 2.1, 9, parent_id="run", kind="chain", name="compact_history"),
        span("s", 2.2, 8.9, parent_id="c", kind="llm", model="gpt-4o-mini", input_tokens=96400, output_tokens=1180,
             output="Summary of the 392 older messages: ..."),
    ]
    if retry is not None:
        rows.append(span("l2", 9.5, 12, parent_id="run", kind="llm", model="gpt-4o-mini", output_tokens=233,
                         output="The replacement unit shipped on 12 May; tracking 1Z999.", **retry))
    return rows


def test_a_refusal_asked_again_with_a_prompt_that_fits_is_no_overflow() -> None:
    assert "context_overflow" not in detectors(run(*_ticket({"input_tokens": 14820})))


def test_near_miss_refused_again_no_size_shown_or_no_retry() -> None:
    again = {"status": "error", "error_type": "BadRequestError", "error_message": MSG}
    assert one(run(*_ticket(again)), "context_overflow")["decisive_span_id"] == "l1"
    assert one(run(*_ticket({})), "context_overflow")["decisive_span_id"] == "l1"
    assert one(run(*_ticket(None)), "context_overflow")["decisive_span_id"] == "l1"


def test_near_miss_a_tool_split_the_work_before_the_smaller_calls() -> None:
    rows = _ticket(None)
    rows += [
        span("chunk", 9.2, 9.4, parent_id="run", kind="tool", tool="text.chunk", input='{"size": 30000}', output='["part 1", "part 2"]'),
        span("p1", 9.5, 12, parent_id="run", kind="llm", model="gpt-4o-mini", input_tokens=30100, output_tokens=200, output="Part 1: ..."),
        span("p2", 12.5, 15, parent_id="run", kind="llm", model="gpt-4o-mini", input_tokens=30100, output_tokens=200, output="Part 2: ..."),
    ]
    assert one(run(*rows), "context_overflow")["decisive_span_id"] == "l1"


def test_near_miss_asked_again_on_a_truncated_prompt_with_no_summary_made() -> None:
    # The same refusal and the same smaller re-ask, but no model call summarised the history between
    # them: the caller cut the prompt (dropped the oldest messages) and what it cut is gone.
    rows = [r for r in _ticket({"input_tokens": 24000}) if r["span_id"] not in ("c", "s")]
    assert one(run(*rows), "context_overflow")["decisive_span_id"] == "l1"
