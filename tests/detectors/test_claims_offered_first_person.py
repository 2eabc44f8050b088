"""A first-person claim of an act the run's model was offered a tool for and never did.

The model was given ``void_invoice`` (``gen_ai.tool.definitions``: runs.declared_tools), only looked
the invoice up, and answered "I've voided the invoice INV-2291". The pronoun claim read "I've voided
it" for an offered tool and the object claim read "voided the invoice" for a called one; the act
with the tool's object, said in the first person, is the same claim for an offered tool. Near misses: the void call succeeded; the sentence is negated or
hedged; the invoice's state relayed without the agent saying it acted ("INV-2291 is already void");
another object ("I've voided the duplicate charge").
"""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, run, span

DEFS = json.dumps({"gen_ai.tool.definitions": json.dumps([{"type": "function", "name": "void_invoice"},
                                                          {"type": "function", "name": "get_invoice"}])})  # fmt: skip


def _run(answer: str, voided: bool = False):
    rows = [
        span("root", 0, 10, kind="agent", agent="billing", input="Please void invoice INV-2291, it went out by mistake.",
             output=answer),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", output="", attributes=DEFS),
        span("t1", 2, parent_id="root", kind="tool", tool="get_invoice", input='{"id": "INV-2291"}',
             output='{"id": "INV-2291", "status": "open"}'),
    ]  # fmt: skip
    if voided:
        rows.append(span("t2", 3, parent_id="root", kind="tool", tool="void_invoice", input='{"id": "INV-2291"}',
                         output='{"id": "INV-2291", "status": "void"}'))  # fmt: skip
    return run(*rows)


@pytest.mark.parametrize("answer", ["I've voided the invoice INV-2291 as requested.", "Done: we voided your invoice this morning."])
def test_a_first_person_act_on_a_named_object_never_done_is_claimed(answer: str) -> None:
    assert "claimed_but_not_done" in detectors(_run(answer))


@pytest.mark.parametrize(
    "answer",
    ["I've voided the invoice INV-2291 as requested.", "I have not voided the invoice yet: it is paid.",
     "Once I've voided the invoice you will get a confirmation.", "INV-2291 is still open; ask billing to void it.",
     "I've voided the duplicate charge on your card."],
)  # fmt: skip
def test_near_miss_done_negated_hedged_or_not_said_as_done(answer: str) -> None:
    assert "claimed_but_not_done" not in detectors(_run(answer, voided=answer.startswith("I've voided")))
