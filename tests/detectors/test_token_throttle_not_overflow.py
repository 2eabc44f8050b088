"""A provider's token *rate limit* is not a context window exceeded.

Amazon Bedrock answers a tokens-per-minute quota with a ThrottlingException whose message is "Too many
tokens, please wait before trying again." (botocore's error text: "An error occurred
(ThrottlingException) when calling the ConverseStream operation (reached max retries: 4): Too many
tokens, please wait before trying again."; Strands raises it as ModelThrottledException,
strands-agents/sdk-python ``src/strands/models/bedrock.py``). "Too many tokens" is also how some
providers say a prompt is past the window, so the overflow text read the throttle as an overflow: a
run that backed off and went on was called context collapse. anomalyco/opencode PR #39621 fixed the
same misreading. A real window error with the same words and no throttle stays an overflow.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

ROOT = {"kind": "agent", "name": "ops", "agent": "ops", "output": "Here is the capacity summary you asked for."}
THROTTLE = (
    "An error occurred (ThrottlingException) when calling the ConverseStream operation (reached max retries: 4): "
    "Too many tokens, please wait before trying again."
)


def _bedrock(span_id: str, start: float, **kw: object) -> dict[str, object]:
    return span(span_id, start, start + 2, parent_id="root", kind="llm", model="us.anthropic.claude-sonnet-4-20250514-v1:0",
                agent="ops", input_tokens=12_000, output_tokens=400, **kw)


def test_near_miss_bedrock_throttle_then_the_call_goes_through() -> None:
    c = run(
        span("root", 0, 60, **ROOT),
        _bedrock("l1", 1, status="error", error_type="ModelThrottledException", error_message=THROTTLE, output=None),
        _bedrock("l2", 30, output="Capacity is at 71% across the three regions."),
    )
    assert "context_overflow" not in detectors(c)


def test_too_many_tokens_for_the_window_is_still_an_overflow() -> None:
    c = run(
        span("root", 0, 60, **ROOT),
        _bedrock("l1", 1, status="error", error_type="ValidationException",
                 error_message="An error occurred (ValidationException) when calling the Converse operation: "
                 "Too many tokens in the input: 214000 tokens exceed the model's limit.", output=None),
    )
    f = one(c, "context_overflow")
    assert f["decisive_span_id"] == "l1"
