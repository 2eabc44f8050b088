"""A push run through a path or a wrapper is a push: the command line read as the shell reads it.

OpenHands' ``execute_bash`` (CmdRunAction args ``{"command", "is_input"}``) and Claude Code's
``Bash`` (input ``{"command", "description"}``) run the command line as bash does. Deploy keys and
service users are how agents push from CI boxes: ``GIT_SSH_COMMAND="ssh -i ..." git push``
(git(1) GIT_SSH_COMMAND), ``sudo -u deploy git push``, ``env GIT_TRACE=1 git push``,
``/usr/bin/git push``. The prepared ``args`` has no whitespace, so the program's name ran into the
words before it ("GIT_SSH_COMMAND=ssh-i~/.ssh/deploy_keygitpush") and no push was read: a push
that went through backed no "pushed the branch to origin" (a false alarm), and a refused one was
not named as the decisive span. Near misses: a push that went through behind each wrapper; a
commit message that mentions a push is not one.
"""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, one, run, span

from forensics.conventions.command_words import commands

DONE = "I fixed the off-by-one in `paginate()`, committed it on branch `fix/paging` and pushed the branch to origin."

WRAPPED = [
    'GIT_SSH_COMMAND="ssh -i ~/.ssh/deploy_key -o IdentitiesOnly=yes" git push -u origin fix/paging',
    "/usr/bin/git push -u origin fix/paging",
    "env GIT_TRACE=1 git push -u origin fix/paging",
    "sudo -u deploy git push -u origin fix/paging",
    "cd /workspace/inventory-api && sudo -E -u deploy /usr/bin/git push -u origin fix/paging",
]


def _session(command: str, push_ok: bool, answer: str = DONE):
    push = {"output": "To github.com:acme/inventory-api.git\n * [new branch] fix/paging -> fix/paging"} if push_ok else {
        "status": "error", "error_type": "exit_code=128",
        "output": "fatal: Could not read from remote repository."}  # fmt: skip
    return run(
        span("run", 0, 20, kind="chain", name="openhands"),
        span(
            "u",
            0.5,
            0.5,
            parent_id="run",
            kind="human",
            output="Fix the off-by-one in paginate(), commit it on a branch and push it.",
        ),
        span(
            "b1",
            2,
            3,
            parent_id="run",
            kind="tool",
            tool="execute_bash",
            input=json.dumps(
                {"command": "git checkout -b fix/paging && git commit -am 'Fix paging'", "is_input": False}
            ),
            output="1 file changed",
        ),  # fmt: skip
        span(
            "b2",
            4,
            5,
            parent_id="run",
            kind="tool",
            tool="execute_bash",
            input=json.dumps({"command": command, "is_input": False}),
            **push,
        ),  # fmt: skip
        span("fin", 6, 6.5, parent_id="run", kind="llm", name="finish", output=answer),
    )


@pytest.mark.parametrize("command", WRAPPED)
def test_near_miss_a_push_through_a_path_or_wrapper_backs_the_claim(command: str) -> None:
    assert "claimed_but_not_done" not in detectors(_session(command, True))


@pytest.mark.parametrize("command", WRAPPED[:1] + WRAPPED[3:4])
def test_a_refused_push_behind_a_wrapper_is_the_decisive_span(command: str) -> None:
    assert one(_session(command, False), "claimed_but_not_done")["decisive_span_id"] == "b2"


def test_a_commit_message_naming_a_push_is_no_push() -> None:
    """The separator inside the quoted message ends no command: nothing was pushed."""
    f = one(_session('git commit --amend -m "wip; git push later"', True), "claimed_but_not_done")
    assert f["decisive_span_id"] != "b2"


def test_command_words_read_the_command_after_assignments_and_wrappers() -> None:
    assert commands('GIT_SSH_COMMAND="ssh -i k" git push origin main') == [["git", "push", "origin", "main"]]
    assert commands("sudo -u deploy -- /usr/bin/git -C /srv/app push") == [["git", "-C", "/srv/app", "push"]]
    assert commands("env -u GIT_DIR X=1 timeout -s KILL 60 git push") == [["git", "push"]]
    assert commands("echo git push && ls\ngit status") == [["echo", "git", "push"], ["ls"], ["git", "status"]]
    assert commands('git commit -m "a; b"') == [["git", "commit", "-m", "a; b"]]
