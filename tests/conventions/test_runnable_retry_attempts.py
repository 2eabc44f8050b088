"""LangChain's RunnableRetry runs the runnable it wraps once per attempt, each a child run of the
retry run (langchain_core/runnables/retry.py ``_invoke``: ``super().invoke(input, self._patch_config(...))``
inside the tenacity loop; attempts after the first tagged ``retry:attempt:<n>``). A wrapped
RunnableLambda or sequence is a chain run, not a tool: its children with the same input are still the
attempts of one request, and eight of them 0.1 s apart with no wait growing are a retry storm."""

from __future__ import annotations

from typing import Any

from span_builder import detectors, one, run, span

ERR = "HTTPStatusError: Client error '429 Too Many Requests'"


def _node(wrapper: str, statuses: list[str], gap: float = 0.01) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, 5, kind="chain", name="LangGraph", status="error" if statuses[-1] == "error" else "ok",
             error_message=ERR if statuses[-1] == "error" else None),
        span("retry", 0.01, 4.9, parent_id="root", kind="chain", name=wrapper,
             status="error" if statuses[-1] == "error" else "ok", error_message=ERR if statuses[-1] == "error" else None),
    ]
    t = 0.02
    for i, st in enumerate(statuses):
        rows.append(span(f"a{i}", t, t + 0.085, parent_id="retry", kind="chain", name="geocode_address",
                         input='{"address": "1180 Harmon Ave, Oakland CA"}', status=st,
                         error_message=ERR if st == "error" else None,
                         output=None if st == "error" else '{"lat": 37.8, "lng": -122.2}'))
        t += 0.085 + gap
    return rows


def test_runnable_retry_children_without_backoff_are_a_retry_storm() -> None:
    c = run(*_node("RunnableRetry", ["error"] * 8))
    f = one(c, "retry_storm")
    assert f["decisive_span_id"] == "a0" and "failed 8 time(s)" in f["explanation"]


def test_other_wrappers_or_a_recovered_retry_are_no_storm() -> None:
    # Near-misses: the same children under a sequence are steps, not attempts; a RunnableRetry
    # whose second attempt answered recovered the request.
    assert "retry_storm" not in detectors(run(*_node("RunnableSequence", ["error"] * 8)))
    assert "retry_storm" not in detectors(run(*_node("RunnableRetry", ["error", "ok"])))
