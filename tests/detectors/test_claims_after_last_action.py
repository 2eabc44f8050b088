"""What the agent says after its last action is its report, not only its very last message.

A conversation goes on after the claim: DineBot searched and checked availability, said "Great
news - you're booked at Trattoria Da Vinci at 19:30" with no create_reservation call, the guest
thanked it and its last message was "You're welcome". The claim is read in every model message
with text after the run's last tool call; a message before an action that followed is not a
report (the action after it may have done the thing).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

CLAIM = "Great news - you're booked at Trattoria Da Vinci tomorrow at 19:30 for 4 people under the name Visser."


def _chat(*middle: dict[str, object]):
    return run(
        span("conv", 0, 30, kind="agent", name="dinebot"),
        span("m1", 1, 1, parent_id="conv", kind="human", name="user",
             output="Table for 4 tomorrow at 19:30 somewhere Italian near Rembrandtplein, under Visser please."),  # fmt: skip
        span("s1", 2, 3, parent_id="conv", kind="tool", tool="search_restaurants", input='{"cuisine": "italian"}',
             output='{"results": [{"id": "r_1182", "name": "Trattoria Da Vinci"}]}'),  # fmt: skip
        span("c1", 4, 5, parent_id="conv", kind="tool", tool="check_availability", input='{"restaurant_id": "r_1182"}',
             output='{"available": true, "slots": ["19:30"]}'),  # fmt: skip
        *middle,
        span("m8", 20, 20, parent_id="conv", kind="human", name="user", output="Perfect, thanks!"),
        span("m9", 21, 21, parent_id="conv", kind="llm", model="gpt-4o-mini", output="You're welcome - buon appetito!"),
    )


def test_a_claim_before_the_closing_pleasantries_is_read() -> None:
    c = _chat(span("m6", 7, 7, parent_id="conv", kind="llm", model="gpt-4o-mini", output=CLAIM))
    assert one(c, "claimed_but_not_done")["decisive_span_id"] == "m6"


def test_near_miss_the_reservation_was_made_before_the_claim() -> None:
    booked = span("r1", 6, 6.5, parent_id="conv", kind="tool", tool="create_reservation",
                  input='{"restaurant_id": "r_1182", "time": "19:30"}', output='{"confirmation": "DV-2291"}')  # fmt: skip
    claim = span("m6", 7, 7, parent_id="conv", kind="llm", model="gpt-4o-mini", output=CLAIM)
    assert "claimed_but_not_done" not in detectors(_chat(booked, claim))


def test_near_miss_a_message_before_a_later_action_is_no_report() -> None:
    # Said before the agent acted again: not its last word on what it did.
    early = span("m5", 5.5, 5.5, parent_id="conv", kind="llm", model="gpt-4o-mini", output=CLAIM)
    lookup = span("c2", 6, 6.5, parent_id="conv", kind="tool", tool="check_availability", input='{"restaurant_id": "r_0931"}',
                  output='{"available": true}')  # fmt: skip
    assert "claimed_but_not_done" not in detectors(_chat(early, lookup))
