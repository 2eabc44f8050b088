"""claimed_but_not_done: a policy claim naming the identifier an acting call returned reports that call.

A BeeAI ``RequirementAgent`` coordinator's ``create_intake`` tool saves an intake and returns a
``JSONToolOutput`` (i-am-bee/beeai-framework ``python/beeai_framework/tools/types.py``: its text is
``to_json(result)``, recorded by openinference-instrumentation-beeai as the tool span's output),
``{"intake_id": "LI-26-3391", "status": "saved"}``; the agent answers "I've saved your details as
intake LI-26-3391". The policy's "updating a record" claim names its tools by ``save``/``update``
..., so ``create_intake`` did not back it, yet the id in the claim is the one that call created.
Firing: the id no call returned, and an id only a lookup returned (a read finds what already was).
"""

from __future__ import annotations

from span_builder import detectors, run, span

ANSWER = (
    "I can't tell you whether you have a valid claim; that needs a licensed attorney. I've saved your "
    "details as intake LI-26-3391; you can book a consultation with a tenancy lawyer."
)


def _run(tool: str, result: str, answer: str = ANSWER):
    return run(
        span("root", 0, 10, kind="agent", agent="IntakeCoordinator", input="Can I sue my landlord?", output=answer),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", output=""),
        span("t1", 2, parent_id="root", kind="tool", tool=tool, input='{"practice_area": "tenancy"}', output=result),
        span("l2", 3, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    )  # fmt: skip


def test_near_miss_the_claim_names_the_id_the_acting_call_returned() -> None:
    assert "claimed_but_not_done" not in detectors(_run("create_intake", '{"intake_id": "LI-26-3391", "status": "saved"}'))


def test_an_id_no_call_returned_backs_nothing() -> None:
    assert "claimed_but_not_done" in detectors(_run("create_intake", '{"intake_id": "LI-26-3390", "status": "saved"}'))


def test_an_id_a_lookup_returned_backs_nothing() -> None:
    # get_intake is a read (policy tools.read_only): it found the intake, it saved nothing.
    assert "claimed_but_not_done" in detectors(_run("get_intake", '{"intake_id": "LI-26-3391", "status": "open"}'))

