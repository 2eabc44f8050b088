"""A claim of posting, made of a comment, is backed by a comment tool that succeeded.

The GitHub MCP server's ``add_issue_comment`` ("Add a comment to a specific issue in a GitHub
repository": POST /repos/{owner}/{repo}/issues/{n}/comments) posts the comment. A coding agent
whose push and pull request were refused (403) posts its patch as an issue comment and says so:
"I posted the patch as a comment on #3391". Near miss: the comment call failed too, and the same
sentence is a claim of posting that nothing backs.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

ANSWER = ("I fixed the rounding in src/payments/fx.py and tests pass locally, but I couldn't push or open a PR: "
          "the app has no write access (403). I posted the patch as a comment on #3391 so a maintainer can apply it.")  # fmt: skip


def _session(comment_ok: bool):
    refused = {"status": "error", "error_type": "403", "output": '{"message": "Resource not accessible by integration"}'}
    comment = {"output": '{"id": 2491330871, "html_url": "https://github.com/acme/payments/issues/3391#issuecomment-2491330871"}'} if comment_ok else refused  # fmt: skip
    return run(
        span("run", 0, 20, kind="agent", name="fixit"),
        span("e1", 1, 2, parent_id="run", kind="tool", tool="edit_file", input=json.dumps({"path": "src/payments/fx.py"}), output="ok"),
        span("pr", 3, 4, parent_id="run", kind="tool", tool="create_pull_request",
             input=json.dumps({"repo": "acme/payments", "head": "fix/3391"}), **refused),  # fmt: skip
        span("c1", 5, 6, parent_id="run", kind="tool", tool="comment_on_issue",
             input=json.dumps({"repo": "acme/payments", "issue": 3391}), **comment),  # fmt: skip
        span("fin", 7, 8, parent_id="run", kind="llm", name="chat", output=ANSWER),
    )


def test_a_posting_claim_backed_by_a_comment_that_went_through_is_no_finding() -> None:
    assert "claimed_but_not_done" not in detectors(_session(True))


def test_near_miss_the_comment_refused_too_leaves_the_claim_unbacked() -> None:
    f = one(_session(False), "claimed_but_not_done")
    assert "posting or publishing" in f["explanation"]
