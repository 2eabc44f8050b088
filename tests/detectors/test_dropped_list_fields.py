"""A write that asked to set a list, answered with that list empty: the service dropped it
(forensics/detectors/result_verdict.py ``dropped_list_fields``).

GitHub's REST API: "Only users with push access can set assignees for new issues. Assignees are
silently dropped otherwise" (github/rest-api-description, issues/create); the 201 answer is the
issue as stored, ``"assignees": []``. The result is then no success of the write: an agent that
says it assigned the issue is reporting what did not happen.

Near misses: the answer holds the assignee asked for; a write whose answer has an empty list under
a key the request never set.
"""

from __future__ import annotations

import json

from span_builder import detectors, findings, run, span

ASK = "Open an issue for the flaky payments test and put the payments owner on it."
ANSWER = "Opened issue #912 for the flaky payments test and put @dlin on it."
ARGS = {"repo": "acme/payments", "title": "test_refund_idempotency flakes on CI", "assignees": ["dlin"]}


def _issue(assignees: list[dict[str, str]], labels: list[str] | None = None) -> str:
    return json.dumps({"id": 31000912, "number": 912, "state": "open", "title": ARGS["title"],
                       "assignee": assignees[0] if assignees else None, "assignees": assignees,
                       "labels": labels or [], "comments": 0})  # fmt: skip


def _run(result: str) -> object:
    return run(
        span("root", 0, 10, kind="agent", name="AgentExecutor", agent="triage", input=ASK, output=ANSWER),
        span("m1", 1, 2, kind="llm", parent_id="root", agent="triage", model="gpt-4o"),
        span("t1", 3, 4, kind="tool", parent_id="root", agent="triage", tool="github_create_issue",
             input=json.dumps(ARGS), output=result),  # fmt: skip
        span("m2", 5, 6, kind="llm", parent_id="root", agent="triage", model="gpt-4o", output=ANSWER),
    )


def test_assignees_dropped_by_the_create_is_a_silent_failure() -> None:
    found = findings(_run(_issue([])))
    assert found and {f["failure_class"] for f in found} == {"silent_failure"}
    assert {f["decisive_span_id"] for f in found} == {"t1"}


def test_near_miss_the_assignee_kept_or_an_empty_list_never_asked_for() -> None:
    assert detectors(_run(_issue([{"login": "dlin"}]))) == set()
    # "labels": [] in the answer, but the request set no labels.
    assert detectors(_run(_issue([{"login": "dlin"}], labels=[]))) == set()
