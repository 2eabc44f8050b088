"""A search checked again after the agent moved on to other work is a re-check, not a loop.

The OpenAI Agents SDK runs a planning agent as model turns, each calling one function tool, and
openinference-instrumentation-openai-agents writes each as a TOOL span under the agent span with
``tool.name``, ``input.value`` (the arguments) and ``output.value`` (the result)
(openinference/instrumentation/openai_agents/_processor.py, ``FunctionSpanData``). A planner that
searched the flights twice, then spent turns on hotels, fare rules and meeting rooms, and searched
the flights once more before holding the booking got the same list all three times: repeated_action
called it a loop. TAXONOMY: 3+ identical calls "with no new information in between"; an agent that
made repeat_count calls bringing new results between two repeats moved on.

Firing twins: three back-to-back searches; a short loop body with a new page between each repeat;
a new stretch of work that is itself the loop going round (the same answers each time).
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

FLIGHTS = ("search_flights", {"origin": "LIS", "destination": "CPH", "date": "2026-10-08"},
           json.dumps({"offers": [{"id": "off_1", "price": "412.00", "currency": "EUR"}]}))  # fmt: skip
HOLD = ("hold_booking", {"offer_id": "off_1"}, json.dumps({"status": "held", "ref": "H1"}))


def _new(i: int) -> tuple[str, dict[str, Any], str]:
    """A call bringing something the agent had not seen: another tool, its own arguments and result."""
    return (f"check_step_{i % 3}", {"item": i}, json.dumps({"items": 10 + i}))


def _planner(calls: list[tuple[str, dict[str, Any], str]]):
    spans = [span("wf", 0, 200, kind="agent", name="Agent workflow"),
             span("ag", 0.1, 199, parent_id="wf", kind="agent", name="Trip Planner", agent="Trip Planner",
                  input="Plan the offsite, EUR only, hold for 24h, no payment.")]  # fmt: skip
    t = 1.0
    for i, (tool, args, out) in enumerate(calls):
        spans.append(span(f"l{i}", t, t + 1, parent_id="ag", kind="llm", model="gpt-4o", output=""))
        spans.append(span(f"t{i}", t + 1.1, t + 2, parent_id="ag", kind="tool", tool=tool, name=tool,
                          input=json.dumps(args), output=out))  # fmt: skip
        t += 2.5
    spans.append(span("fin", t, t + 1, parent_id="ag", kind="llm", model="gpt-4o", output="Held: ref H1, EUR 4452."))
    return run(*spans)


def test_near_miss_a_search_checked_again_after_other_work_is_no_loop() -> None:
    calls = [FLIGHTS, FLIGHTS, *[_new(i) for i in range(5)], FLIGHTS, HOLD]
    assert "repeated_action" not in detectors(_planner(calls))


def test_three_back_to_back_searches_are_a_loop() -> None:
    f = one(_planner([FLIGHTS, FLIGHTS, FLIGHTS, HOLD]), "repeated_action")
    assert f["decisive_span_id"] == "t1" and "3 times" in f["explanation"]


def test_a_short_loop_body_with_something_new_each_time_is_still_a_loop() -> None:
    # The search and one new call, round and round: the body is shorter than repeat_count.
    calls = [FLIGHTS, _new(0), FLIGHTS, _new(1), FLIGHTS, _new(2), FLIGHTS, HOLD]
    assert "repeated_action" in detectors(_planner(calls))


def test_other_work_that_is_the_loop_going_round_moves_nothing_on() -> None:
    # The same three checks between each search, with the same answers each time: nothing new.
    body = [_new(0), _new(1), _new(2)]
    calls = [FLIGHTS, *body, FLIGHTS, *body, FLIGHTS, HOLD]
    assert "repeated_action" in detectors(_planner(calls))
