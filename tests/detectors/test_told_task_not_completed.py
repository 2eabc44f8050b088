"""A final answer that says the task itself was not done, whoever the subject, tells the user.

"The transfer could not be completed", "your order couldn't complete", "the system was unable to
process your refund": the user is told the work did not happen, so a tool failure under it is not
swallowed (TAXONOMY silent_failure: it reports success and the evidence says otherwise). The
verb is the work's own (complete, process, go through), not a finding's: a research answer's "the
figure could not be verified by the council, but its table lists 412" is an answer with a caveat
(forensics/conventions/outcome.py SAYS_FAILED_TEXT, SAYS_FAILED_VERDICT).
"""

from __future__ import annotations

import pytest
from span_builder import detectors, one, run, span

ROOT = {"kind": "agent", "name": "bank_agent"}
FAILED = {"status": "error", "error_type": "HTTPError", "error_message": "503 Service Unavailable"}


def _run(answer: str):
    return run(
        span("root", 0, 10, **ROOT, output=answer),
        span("t1", 1, 1.2, parent_id="root", kind="tool", tool="transfer_funds",
             input='{"to": "88-12", "amount": 40}', **FAILED),  # fmt: skip
        span("m1", 2, 2.5, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    )


@pytest.mark.parametrize(
    "answer",
    [
        "The transfer could not be completed. Please contact your bank.",
        "Sorry, the transfer couldn't complete right now; please try tomorrow.",
        "The system was unable to process your transfer to 88-12.",
    ],
)
def test_near_miss_the_answer_says_the_task_was_not_done(answer: str) -> None:
    assert "swallowed_error" not in detectors(_run(answer))


def test_an_answer_that_claims_the_task_was_done_still_fires() -> None:
    assert one(_run("Your transfer to 88-12 of $40 is complete."), "swallowed_error")["decisive_span_id"] == "t1"
