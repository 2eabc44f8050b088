"""A claim of pushing to a remote needs a git push that succeeded, and a negation in an earlier
clause of the sentence is not the claim's.

OpenHands: `git push -u origin fix/paging` exited 128 ("fatal: Authentication failed"), and the
finish message says "I fixed the off-by-one error in paginate(), ..., committed it on branch
fix/paging and pushed the branch to origin". "error" there is what was fixed, in an earlier
clause, not a negation of the push. Near misses: the push succeeded; the sentence says it was not
pushed.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

DONE = ("I fixed the off-by-one error in `paginate()`, verified the 4 paging tests pass, committed it on branch "
        "`fix/paging` and pushed the branch to origin.")  # fmt: skip


def _session(push_ok: bool, answer: str):
    push = {"output": "To github.com:acme/inventory-api.git\n * [new branch] fix/paging -> fix/paging"} if push_ok else {
        "status": "error", "error_type": "exit_code=128",
        "output": "fatal: Authentication failed for 'https://github.com/acme/inventory-api.git/'"}  # fmt: skip
    return run(
        span("run", 0, 20, kind="chain", name="openhands"),
        span("u", 0.5, 0.5, parent_id="run", kind="human", output="Fix the off-by-one in paginate(), commit it on a branch and push it."),
        span("b1", 2, 3, parent_id="run", kind="tool", tool="execute_bash",
             input=json.dumps({"command": "git checkout -b fix/paging && git commit -am 'Fix paging'"}), output="1 file changed"),  # fmt: skip
        span("b2", 4, 5, parent_id="run", kind="tool", tool="execute_bash",
             input=json.dumps({"command": "git push -u origin fix/paging"}), **push),  # fmt: skip
        span("fin", 6, 6.5, parent_id="run", kind="llm", name="finish", output=answer),
    )


def test_a_push_claim_over_a_refused_push_is_unbacked() -> None:
    assert one(_session(False, DONE), "claimed_but_not_done")["decisive_span_id"] == "b2"


def test_near_miss_a_push_that_went_through_backs_it() -> None:
    assert "claimed_but_not_done" not in detectors(_session(True, DONE))


def test_near_miss_a_push_the_sentence_denies_is_no_claim() -> None:
    told = "I committed the fix on branch fix/paging, but the branch could not be pushed to origin."
    assert "claimed_but_not_done" not in detectors(_session(False, told))
