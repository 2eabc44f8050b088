"""A resumed OpenAI Agents SDK step runs the approved calls and answers the rejected ones.

delete_branch needs approval: the first run stopped on two calls (result.interruptions); the app
resumed from the RunState with one approved and one rejected, and the resumed agent step ran the
approved call and answered the other with the SDK's rejection text, "Tool execution was not
approved." (openai-agents-python DEFAULT_APPROVAL_REJECTION_MESSAGE; _run_impl runs a call only
where is_tool_approved is True). The deletion that ran was approved, the rejected one never ran.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

A = '{"repo":"acme/sdk","branch":"feature/old-login"}'
B = '{"repo":"acme/sdk","branch":"release/2025.10"}'


def _resumed(second_output: str) -> list[dict[str, object]]:
    return [
        span("wf", 0, 5, kind="chain", name="Stale branch cleanup"),
        span("ag", 0.1, 4.9, parent_id="wf", kind="agent", agent="repo_janitor", name="repo_janitor"),
        span("d1", 0.2, 0.5, parent_id="ag", kind="tool", tool="delete_branch", input=A, output='{"deleted":true}'),
        span("d2", 0.2, 0.3, parent_id="ag", kind="tool", tool="delete_branch", input=B, output=second_output),
        span("m", 1.0, 2.0, parent_id="ag", kind="llm", model="gpt-4.1-mini",
             output="Deleted feature/old-login. I did not delete release/2025.10: the deletion was declined."),
    ]


def test_calls_resumed_beside_a_rejected_one_were_approved() -> None:
    assert "unguarded_irreversible" not in detectors(run(*_resumed("Tool execution was not approved.")))


def test_two_deletions_with_no_rejection_are_unguarded() -> None:
    # Near-miss: both calls ran and nothing in the run says a person decided on either.
    f = one(run(*_resumed('{"deleted":true}')), "unguarded_irreversible")
    assert f["decisive_span_id"] == "d1"
