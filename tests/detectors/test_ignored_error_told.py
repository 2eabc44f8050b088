"""An error handed back to the model that the answer then names in fault words was told, for every rule.

The OpenAI Agents SDK hands a function tool's exception to the model as the call's result
(``failure_error_function``: "An error occurred while running the tool. Please try again. Error:
...") and marks the span "Error running tool (non-fatal)" (src/agents/tool.py). ignored_tool_errors
read the final answer with MENTIONS_FAILURE only, which has no word for "a technical issue"; the
handled-failure fact reads TELLS_OF_FAULT, which has. An answer saying "there was a technical issue
with the weather lookup" was then told for the fact and ignored for swallowed_error. Now the answer
that tells in either words is no ignored error. Near miss: an answer with no word of it swallowed it.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from span_builder import detectors, one, run, span, spans

from forensics.detectors.base import prepare
from forensics.detectors.handling import failure_handling
from forensics.policy import resolve_policy

A = {"agent": "assistant", "parent_id": "root"}
HANDED_BACK = "An error occurred while running the tool. Please try again. Error: weather upstream answered 503"


def _rows(answer: str) -> list[dict[str, Any]]:
    return [
        span("root", 0, 10, kind="agent", agent="assistant", name="Agent workflow", input="Weather in SF?", output=answer),
        span("l1", 1, 2, kind="llm", model="gpt-4o", **A, output='{"tool_calls": [{"name": "get_weather"}]}'),
        span("t1", 2, 3, kind="tool", tool="get_weather", **A, input='{"city": "SF"}', status="error",
             error_message="Error running tool (non-fatal)", output=HANDED_BACK),
        span("l2", 6, 7, kind="llm", model="gpt-4o", **A, output=answer),
    ]  # fmt: skip


def test_an_answer_naming_a_technical_issue_told_the_handed_back_error() -> None:
    rows = _rows("There was a technical issue with the weather lookup, so I can only say SF is usually mild.")
    assert "swallowed_error" not in detectors(run(*rows))
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    assert failure_handling(ctx).row(0, named=True)["made_good"]


def test_near_miss_an_answer_with_no_word_of_it_swallowed_it() -> None:
    assert one(run(*_rows("SF is usually mild this time of year.")), "swallowed_error")["decisive_span_id"] == "t1"
