"""An answer that is the caught exception's own text: the error returned as the run's result.

At max_steps smolagents' ``_handle_max_steps_reached`` asks the model once more for an answer
(``provide_final_answer``, src/smolagents/agents.py); when that call raises, it catches the
exception and returns ``f"Error in generating final LLM output: {e}"`` as the answer, and the run
ends OK. No model read the failure and wrote about it: the fault words in the answer are the
exception's, not a report (conventions.quoted_errors). Near misses: a model that answered after
the failure, relaying it; an answer that does not hold the error's text.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from span_builder import detectors, one, run, span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy


def _quoted(rows: list[dict[str, Any]]) -> Any:
    runs = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None)).runs
    return runs.get_column("quoted_error_id").item()

_E = (
    "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for gpt-4o-mini "
    "in organization org-x on tokens per min (TPM): Limit 200000. Please try again in 1.6s."
)


def _run(answer: str, relayed_by_model: bool = False) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("run", 0, 40, kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent.run", output=answer,
             attributes='{"openinference.span.kind": "AGENT", "smolagents.max_steps": 2}'),
        span("s1", 1, 10, parent_id="run", kind="chain", name="Step 1", agent="ToolCallingAgent.run"),
        span("g1", 1.5, 4, parent_id="s1", kind="llm", model="gpt-4o-mini", agent="ToolCallingAgent.run",
             output='{"role": "assistant", "tool_calls": [{"function": {"name": "web_search"}}]}'),
        span("t1", 4.5, 9, parent_id="s1", kind="tool", tool="web_search", agent="ToolCallingAgent.run",
             input='{"query": "tram line opened"}', output="## Search Results\n[Trondheim Tramway] opened 1901"),
        span("s2", 11, 20, parent_id="run", kind="chain", name="Step 2", agent="ToolCallingAgent.run"),
        span("g2", 11.5, 14, parent_id="s2", kind="llm", model="gpt-4o-mini", agent="ToolCallingAgent.run",
             output='{"role": "assistant", "tool_calls": [{"function": {"name": "web_search"}}]}'),
        span("t2", 14.5, 19, parent_id="s2", kind="tool", tool="web_search", agent="ToolCallingAgent.run",
             input='{"query": "Graakallbanen history"}', output="## Search Results\n[Graakallbanen 100 years]"),
        span("final", 30, 31, parent_id="run", kind="llm", model="gpt-4o-mini", agent="ToolCallingAgent.run",
             status="error", error_type="RateLimitError", error_message=f"RateLimitError: {_E}"),
    ]
    if relayed_by_model:
        rows.append(span("again", 33, 36, parent_id="run", kind="llm", model="gpt-4o-mini", agent="ToolCallingAgent.run",
                         output=answer))
    return rows


def test_the_closing_call_failed_and_its_error_became_the_answer() -> None:
    rows = _run(f"Error in generating final LLM output: {_E}")
    assert _quoted(rows) == "final"
    f = one(run(*rows), "swallowed_error")
    assert f["decisive_span_id"] == "final"
    assert "HTTP 429" in f["explanation"] or "RateLimitError" in f["explanation"]


def test_near_miss_a_model_answered_after_the_failure() -> None:
    # A model that read the failure and answered wrote the answer: its words told of it.
    rows = _run(f"I could not answer: the model call failed ({_E})", relayed_by_model=True)
    assert _quoted(rows) is None
    assert "swallowed_error" not in detectors(run(*rows))


def test_near_miss_an_answer_that_does_not_hold_the_error() -> None:
    rows = _run("The Graakallbanen line opened in 1924.")
    assert _quoted(rows) is None
