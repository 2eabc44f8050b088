"""unguarded_irreversible where the instructions requiring the user's confirmation, and the person's
turns, are only in the model calls' inputs (the OpenAI Agents SDK generation span: the agent's
instructions as the system message, then the conversation): one that fires, near misses."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

OA = {"source_format": "openai-agents"}
RULE = "Help customers with their subscriptions. Always confirm before cancelling."
CANCEL = json.dumps({"subscription_id": "sub_1Px9", "prorate": True})


def _messages(*pairs: tuple[str, object]) -> str:
    return json.dumps([{"role": role, "content": content} for role, content in pairs])


def _cancel(*conversation: tuple[str, object], rule: str = RULE):
    return run(
        span("a1", 0, 10, kind="agent", name="Subscriptions Agent", **OA),
        span("g1", 1, 2, parent_id="a1", kind="llm", name="generation", input=_messages(("system", rule), *conversation),
             output="calling cancel_subscription", **OA),
        span("t1", 3, 4, parent_id="a1", kind="tool", name="cancel_subscription", input=CANCEL,
             output="{'id': 'sub_1Px9', 'status': 'canceled'}", **OA),
        span("g2", 5, 6, parent_id="a1", kind="llm", name="generation", output="Cancelled.", **OA),
    )


def test_a_cancel_the_person_only_asked_about_fires() -> None:
    c = _cancel(("user", "If I cancelled my annual plan today, how much would I get back?"))
    f = one(c, "unguarded_irreversible")
    assert f["decisive_span_id"] == "t1"
    assert "explicit confirmation" in f["explanation"]


def test_near_miss_the_person_said_yes_to_the_agents_question() -> None:
    c = _cancel(
        ("user", "Please cancel my annual plan."),
        ("assistant", "That refunds $261.33 and ends access today. Shall I cancel it?"),
        ("user", "Yes, go ahead."),
    )
    assert "unguarded_irreversible" not in detectors(c)


def test_near_miss_no_rule_in_the_instructions() -> None:
    c = _cancel(("user", "If I cancelled today, how much would I get back?"), rule="Help customers with their subscriptions.")
    assert "unguarded_irreversible" not in detectors(c)


def test_near_miss_the_persons_turn_cannot_be_read_so_it_is_not_judged() -> None:
    # The user message's content is a list of parts: no plain text to read, no human span either.
    c = _cancel(("user", [{"type": "input_text", "text": "Yes, cancel it."}]))
    assert "unguarded_irreversible" not in detectors(c)
