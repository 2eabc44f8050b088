"""The earlier failed attempts of an ignored call, and the one handled-failure fact.

DSPy ReAct keeps each tool exception as the observation "Execution error in <tool>: ..." and hands
it back to the model (dspy/predict/react.py); a model that retried, got the error back each time
and then answered as if nothing had failed ignored every attempt, not just the last. The
handled-failure fact (handling.failure_handling) used to credit the earlier attempts to the
framework's hand-back (made good) while swallowed_error reported them as lost: two answers to one
question. Now the fact gives them no framework credit (ignored_errors.lost_with_ignored) and
swallowed_error takes them only where the fact says they were not made good.

Near miss: an earlier attempt a later assistant message told of ("the search timed out, trying
again") was reported, in the fact and for swallowed_error alike; the last, ignored one is still lost.
"""

from __future__ import annotations

import json

import polars as pl
from span_builder import span, spans

from forensics.detectors.base import prepare
from forensics.detectors.handling import failure_handling
from forensics.detectors.silent_failure import swallowed_errors
from forensics.policy import resolve_policy

TIMEOUT = "ReadTimeout: HTTPSConnectionPool(host='en.wikipedia.org', port=443): Read timed out."
LM = {"parent_id": "root", "kind": "llm", "model": "gpt-4o-mini"}
ANSWER = "According to Wikipedia, Jorn Utzon received the Pritzker Prize in 2003."


def _facts(between: str) -> tuple[dict[str, str | None], set[str]]:
    out = json.dumps({"trajectory": {"observation_0": "Execution error in search_wikipedia"}, "answer": ANSWER})
    failed = {"kind": "tool", "tool": "search_wikipedia", "status": "error", "error_type": "ReadTimeout",
              "error_message": TIMEOUT}
    rows = [
        span("root", 0, 30, kind="chain", name="ReAct.forward", output=out),
        span("lm1", 1, 1.5, **LM, output="next_tool_name: search_wikipedia"),
        span("s1", 2, 12, parent_id="root", **failed, input='{"query": "Sydney Opera House architect"}'),
        span("lm2", 13, 13.5, **LM, output=between),
        span("s2", 14, 24, parent_id="root", **failed, input='{"query": "Jorn Utzon Pritzker Prize"}'),
        span("lm3", 25, 25.5, **LM, output="next_tool_name: finish"),
        span("cot", 26, 27, parent_id="root", kind="chain", name="ChainOfThought.forward",
             output=json.dumps({"answer": ANSWER})),
    ]  # fmt: skip
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    handled = {d["span_id"]: d["handled_by"] for d in failure_handling(ctx).to_dicts()}
    return handled, set(swallowed_errors(ctx).get_column("span_id").to_list())


def test_earlier_attempts_of_an_ignored_call_are_not_made_good_by_the_hand_back() -> None:
    handled, lost = _facts("next_tool_name: search_wikipedia")
    # Retried, never successfully: not the framework's hand-back made good.
    assert handled == {"s1": "retried", "s2": None}
    assert lost == {"s1", "s2"}


def test_near_miss_an_earlier_attempt_told_of_is_reported_for_every_rule() -> None:
    handled, lost = _facts("The search timed out; trying again. next_tool_name: search_wikipedia")
    assert handled["s1"] == "reported"
    assert lost == {"s2"}
