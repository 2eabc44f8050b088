"""claimed_but_not_done: a shell command line that makes the API call a claim names backs it
(Claude Code's ``Bash`` running ``gh pr create``), read as that call's tool name."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

ROOT = {"kind": "agent", "name": "assistant"}


def _pr_run(*bash: tuple[str, bool]):
    """A coding agent's run answering 'opened PR #2291'; ``bash``: (command line, succeeded)."""
    calls = [
        span(
            f"b{i}", 1 + i, parent_id="root", kind="tool", tool="Bash",
            input=json.dumps({"command": cmd, "description": "shell"}),
            **({"output": "https://github.com/o/r/pull/2291"} if ok else {"status": "error", "error_type": "Exit code 1"}),
        )
        for i, (cmd, ok) in enumerate(bash)
    ]  # fmt: skip
    return run(span("root", 0, 10, **ROOT, output="Pushed to `feat/x` and opened PR #2291 against `main`."), *calls)


def test_claimed_pull_request_fires_when_no_gh_pr_create_succeeded() -> None:
    # Only a push ran: nothing opened the PR the answer names.
    f = one(_pr_run(("git push -u origin feat/x", True)), "claimed_but_not_done")
    assert "no tool call for opening a pull request succeeded" in f["explanation"]
    # The PR creation was tried and failed: the finding points at it.
    f = one(_pr_run(("git push -u origin feat/x", True), ("gh pr create --base main --title t", False)), "claimed_but_not_done")
    assert f["decisive_span_id"] == "b1"
    assert "(1 failed attempt(s))" in f["explanation"]


def test_claimed_pull_request_near_miss_a_shell_command_opened_it() -> None:
    # gh pr create (GitHub CLI), alone or as a segment of a chained command line, or glab mr create.
    for cmd in (
        "gh pr create --base main --head feat/x --title 'dates'",
        "cd /srv/repo && git push -u origin feat/x && gh pr create --fill",
        "glab mr create --fill --target-branch main",
    ):
        c = _pr_run(("git push -u origin feat/x", True), (cmd, True))
        assert "claimed_but_not_done" not in detectors(c), cmd
    # Words that only name the command (an echo of it) back nothing.
    c = _pr_run(("echo 'next: gh pr create --fill'", True))
    assert "claimed_but_not_done" in detectors(c)
