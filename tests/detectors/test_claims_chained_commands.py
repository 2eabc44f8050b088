"""A command line that chains several calls made each of them: ``git push origin HEAD:topic && gh pr
create ...`` pushed the branch and opened the pull request.

Claude Code's ``Bash`` tool (input ``{"command", "description"}``) runs the whole line as bash does,
``&&`` running the next command when the one before it exited 0 (bash(1) Lists). The line names two
of claim_acts' calls, ``git.push`` and ``create_pull_request`` (man gh-pr-create(1)); only the first
was read, so after a rejected ``git push origin main`` (``! [rejected] main -> main
(non-fast-forward)``) the line that pushed to a new branch and opened the PR backed no "I pushed ...
and opened PR #12" (a false alarm). Firing: the line only opened the PR, the push never went through."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

ANSWER = "I did not force-push main. I pushed your branch to `cleanup-topic` and opened PR #12 so you can review the difference."
REJECTED = (
    "To github.com:acme/tooling.git\n ! [rejected]        main -> main (non-fast-forward)\n"
    "error: failed to push some refs to 'github.com:acme/tooling.git'"
)


def _bash(span_id: str, t: float, command: str, ok: bool, output: str) -> dict[str, object]:
    extra = {} if ok else {"status": "error", "error_type": "Exit code 1"}
    return span(span_id, t, t + 1, parent_id="run", kind="tool", tool="Bash",
                input=json.dumps({"command": command, "description": "push"}), output=output, **extra)  # fmt: skip


def _session(second: str):
    return run(
        span("run", 0, 20, kind="agent", name="claude-code", agent="claude-code"),
        span("u", 0.5, 0.6, parent_id="run", kind="human", output="Push my rebased main to origin."),
        _bash("b1", 2, "git push origin main", False, REJECTED),
        span("m1", 4, 5, parent_id="run", kind="llm", model="claude-sonnet-4", output="The push was rejected; I won't force it."),
        _bash("b2", 6, second, True, "To github.com:acme/tooling.git\n * [new branch] main -> cleanup-topic\nhttps://github.com/acme/tooling/pull/12"),
        span("fin", 8, 9, parent_id="run", kind="llm", model="claude-sonnet-4", output=ANSWER),
    )


def test_near_miss_a_line_that_pushed_and_opened_the_pr_backs_both() -> None:
    c = _session('git push origin main:cleanup-topic && gh pr create --base main --head cleanup-topic --title "Cleanup"')
    assert "claimed_but_not_done" not in detectors(c)


def test_a_line_that_only_opened_the_pr_backs_no_push() -> None:
    c = _session('gh pr create --base main --head cleanup-topic --title "Cleanup"')
    assert one(c, "claimed_but_not_done")["decisive_span_id"] in {"fin", "b1"}
