"""A request refused for the window and answered by a larger model lost nothing.

LiteLLM's router falls back to a larger model group when the error is a context window exceeded
error (``context_window_fallbacks``, docs/proxy/reliability.md); LangChain's ``with_fallbacks``
does the same by hand. The refused call is followed, under the same parent, by a call to another
model that finishes normally. Near misses: the same model asked again with the same prompt; the
fallback model refused too; no fallback at all.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

MSG = ("litellm.ContextWindowExceededError: litellm.BadRequestError: OpenAIException - This model's maximum "
       "context length is 16385 tokens. However, your messages resulted in 21544 tokens.")  # fmt: skip


def _session(*after: dict[str, object]):
    return run(
        span("run", 0, 20, kind="chain", name="summarizer"),
        span("u", 0.5, 0.5, parent_id="run", kind="human", output="Summarise this contract."),
        span("l1", 1, 2, parent_id="run", kind="llm", model="gpt-3.5-turbo", status="error",
             error_type="ContextWindowExceededError", error_message=MSG, input_tokens=21544),  # fmt: skip
        *after,
    )


def _answer(model: str, **kw: object) -> dict[str, object]:
    return span("l2", 3, 8, parent_id="run", kind="llm", model=model, input_tokens=21544, output_tokens=400,
                output="The contract sets a 24-month term with a 60-day notice period.", **kw)  # fmt: skip


def test_a_refusal_answered_by_the_fallback_model_is_no_overflow() -> None:
    assert "context_overflow" not in detectors(_session(_answer("gpt-4o")))


def test_near_miss_same_model_again_fallback_refused_too_or_none() -> None:
    assert one(_session(_answer("gpt-3.5-turbo")), "context_overflow")["decisive_span_id"] == "l1"
    refused = _answer("gpt-3.5-turbo-16k", status="error", error_type="ContextWindowExceededError", error_message=MSG)
    assert one(_session(refused), "context_overflow")["decisive_span_id"] == "l1"
    assert one(_session(), "context_overflow")["decisive_span_id"] == "l1"
