"""The model resending a rate-limited call before the wait the server stated: a storm.

A 429 (or GitHub's secondary-rate-limit 403) carries ``Retry-After``: how long the client "ought to
wait before making a follow-up request" (RFC 9110 10.2.3, delay-seconds). DSPy ReAct catches a
tool's exception and hands it to the model as the observation (stanfordnlp/dspy
``dspy/predict/react.py`` ``ReAct.forward``/``_call_tool``: ``f"Execution error in {tool_name}:
{_fmt_exc(err)}"``); an application's HTTP client quotes the header in the error it raises
("429 Too Many Requests (Retry-After: 3600)": conventions.attempts RETRY_AFTER_TEXT). A model that
asks for the identical call again a second later, each time, more than ``retry_limit`` times and
never getting through, ignores the server's stated wait: that is no backoff but the storm
(retry_storm), besides the model's loop (repeated_action). A model that waited the stated time, or
stopped within the limit, is no storm.
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, run, span

_LIMITED = ("requests.exceptions.HTTPError",
            "429 Too Many Requests for url: https://api.example.com/v1/hotel-offers (Retry-After: {wait})")  # fmt: skip


def _react(attempts: int, wait_s: int, gap_s: float) -> list[dict[str, Any]]:
    rows = [span("root", 0, 20000, kind="chain", name="ReAct.forward", output='{"answer": "service busy"}')]
    t = 1.0
    for i in range(attempts):
        rows.append(span(f"p{i}", t, t + 0.9, parent_id="root", kind="chain", name="Predict(StringSignature).forward"))
        rows.append(span(f"m{i}", t + 0.01, t + 0.85, parent_id=f"p{i}", kind="llm", name="LM.__call__", model="gpt-4o",
                         output='{"tool_calls": [{"name": "search_offers", "arguments": {"city": "LIS"}}]}'))
        rows.append(span(f"t{i}", t + 0.95, t + 1.0, parent_id="root", kind="tool", tool="search_offers",
                         name="Tool.__call__", input='{"city": "LIS"}', status="error", error_type=_LIMITED[0],
                         error_message=_LIMITED[1].format(wait=wait_s)))
        t += 1.0 + gap_s
    return rows


def test_model_resending_before_the_stated_wait_is_a_storm() -> None:
    found = detectors(run(*_react(attempts=6, wait_s=3600, gap_s=0.1)))
    assert {"retry_storm", "repeated_action"} <= found, found


def test_near_miss_resends_that_waited_the_stated_time_or_stayed_within_the_limit() -> None:
    # The model waited out each Retry-After (5 s asked, 6 s waited): the server's own pacing.
    found = detectors(run(*_react(attempts=6, wait_s=5, gap_s=6.0)))
    assert "retry_storm" not in found, found
    # Three sends, two resends: within retry_limit, the model's loop alone.
    found = detectors(run(*_react(attempts=3, wait_s=3600, gap_s=0.1)))
    assert "retry_storm" not in found, found


def test_githubs_request_id_is_no_news_but_a_changed_count_is() -> None:
    """GitHub answers each request with its own ``X-GitHub-Request-Id`` (five colon-separated hex
    groups, quoted again in the error body: "please include the request ID ..."): two refusals that
    differ in it alone told the model nothing new (missing_fallback.VOLATILE)."""
    import polars as pl

    from forensics.detectors.missing_fallback import VOLATILE

    def body(rid: str, left: int) -> str:
        return (f"HTTP/2.0 403 Forbidden\nRetry-After: 60\nX-Github-Request-Id: {rid}\nX-Ratelimit-Remaining: {left}\n"
                f'{{"message": "You have exceeded a secondary rate limit. ... include the request ID {rid}."}}')  # fmt: skip

    same = pl.Series([body("C1A4:2F11:9A3E7C:A04C12:6970E5D4", 4127), body("EB38:2597E:1126615:197B74F:5A5BFC7B", 4127)])
    moved = pl.Series([body("C1A4:2F11:9A3E7C:A04C12:6970E5D4", 4127), body("C1A4:2F11:9A3E7D:A04C12:6970E5D4", 4126)])
    assert same.str.replace_all(VOLATILE, "~").n_unique() == 1
    assert moved.str.replace_all(VOLATILE, "~").n_unique() == 2
