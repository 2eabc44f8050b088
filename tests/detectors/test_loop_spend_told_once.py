"""Tokens over the fleet's budget in a run a turn limit stopped in a loop are the loop's story.

OpenAI Agents SDK: the Runner raises MaxTurnsExceeded (src/agents/run.py) and records SpanError
"Max turns exceeded" on the agent span. The agent called the same lookup with the same arguments
and got the same answer each turn until then (repeated_action); its tokens went where its turns
went, so a budget inferred from the fleet (5x the median of the agent's other runs: weak) is not
reported beside the loop, as the turn limit itself is not. Near misses: the same spend without a
loop (a different lookup each turn) is over the fleet's budget; a budget the policy states stays.
"""

from __future__ import annotations

import dataclasses

from span_builder import concat, detectors, span, spans

from forensics.classify import classify
from forensics.policy import load_policy


def _run(run_id: str, tokens: list[int], *, same_lookup: bool = True, stopped: bool = True):
    root = {"status": "error", "error_type": "MaxTurnsExceeded", "error_message": "Max turns exceeded"} if stopped else {}
    rows = [span("root", 0, 60, kind="agent", name="Tracker", agent="Tracker", **root)]
    for i, t in enumerate(tokens):
        rows.append(span(f"m{i}", 1 + 4 * i, 2 + 4 * i, parent_id="root", kind="llm", agent="Tracker", model="gpt-4.1",
                         input_tokens=t, output_tokens=1_000))  # fmt: skip
        arg = "1Z999AA10123456784" if same_lookup else f"1Z999AA1012345678{i}"
        rows.append(span(f"t{i}", 3 + 4 * i, 3.5 + 4 * i, parent_id="root", kind="tool", agent="Tracker",
                         tool="get_shipment_status", input=f'{{"tracking": "{arg}"}}',
                         output='{"status": "unknown", "events": []}'))  # fmt: skip
    return spans(*rows, run_id=run_id)


def _fleet():
    return [_run("small", [10_000], stopped=False), _run("mid", [20_000], stopped=False)]


def test_fleet_spend_of_a_loop_stopped_by_its_turn_limit_is_the_loop_s() -> None:
    c = classify(concat(*_fleet(), _run("loop", [40_000] * 6)))
    found = detectors(c)
    assert "repeated_action" in found
    assert "budget_exceeded" not in found


def test_near_miss_no_loop_or_a_stated_budget_is_still_over_budget() -> None:
    no_loop = classify(concat(*_fleet(), _run("loop", [40_000] * 6, same_lookup=False)))
    assert "budget_exceeded" in detectors(no_loop)
    stated = dataclasses.replace(load_policy(), max_tokens_per_run=100_000, max_cost_usd_per_run=100.0)
    looped = classify(concat(*_fleet(), _run("loop", [40_000] * 6)), policy=stated)
    assert {"repeated_action", "budget_exceeded"} <= detectors(looped)
