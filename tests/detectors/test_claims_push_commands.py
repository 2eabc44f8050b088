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

A command run through runuser, a long option apart from its value, setsid or ionice is that command.

util-linux runuser(1) (login-utils/su-common.c, the code su shares): "runuser [options] -u user
[[--] command [argument...]]" runs the command as the user; without ``-u`` it "falls back to
su-compatible semantics and a shell is executed", so ``runuser -l deploy -c "git push"`` runs the
``-c`` line as su does. Its options taking a value: ``-u``/``--user``, ``-g``/``--group``,
``-G``/``--supp-group``, ``-s``/``--shell``, ``-w``/``--whitelist-environment``, ``-c``/``--command``,
``--session-command``. A GNU long option with a required argument takes the next word when not
written ``--name=value`` (getopt_long): ``sudo --user deploy git push`` (sudo(8) ``-u, --user``),
``timeout --signal KILL 30 git push`` (coreutils timeout ``-s, --signal``), ``nice --adjustment 5``,
``env --chdir /srv``. setsid(1) and ionice(1) (``-c class``, ``-n level``; util-linux) run the
command after them. Before, ``runuser -u deploy -- git push`` read as the program ``runuser`` and a
push that went through backed no "pushed the branch" (a false alarm, claimed_but_not_done); a
refused one was not the decisive span. Near misses: ``runuser`` with no command runs a login shell,
no push; a push's words inside an echo are no push.
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
RUNUSER = [
    "runuser -u deploy -- git push -u origin fix/paging",
    "runuser --user deploy -g deploy -- /usr/bin/git push -u origin fix/paging",
    'runuser -l deploy -c "cd /workspace/inventory-api && git push -u origin fix/paging"',
    "sudo --user deploy git push -u origin fix/paging",
    "timeout --signal KILL 30 git push -u origin fix/paging",
    "setsid nice --adjustment 5 ionice -c 3 git push -u origin fix/paging",
]


def _session(command: str | dict, push_ok: bool, answer: str = DONE, tool: str = "execute_bash"):
    """``command`` is the pushing call's command line, or its whole tool input."""
    tool_input = command if isinstance(command, dict) else {"command": command, "is_input": False}
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
            tool=tool,
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
            tool=tool,
            input=json.dumps(tool_input),
            **push,
        ),  # fmt: skip
        span("fin", 6, 6.5, parent_id="run", kind="llm", name="finish", output=answer),
    )


@pytest.mark.parametrize("command", WRAPPED + RUNUSER)
def test_near_miss_a_push_through_a_path_or_wrapper_backs_the_claim(command: str) -> None:
    assert "claimed_but_not_done" not in detectors(_session(command, True))


@pytest.mark.parametrize("command", WRAPPED[:1] + WRAPPED[3:4] + RUNUSER[:1] + RUNUSER[2:3])
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


# A push run through git's own options, a shell's ``-c`` or a compound command is a push.
#
# Coding agents push from CI boxes with an auth header or a deploy key given to git itself
# (``git -c http.extraheader="AUTHORIZATION: bearer ..." push``, ``git -c core.sshCommand=... push``:
# git(1) SYNOPSIS ``-c <name>=<value>``, read by git.c handle_options before the subcommand), run
# their command line through a shell's ``-c`` (OpenHands' ``execute_bash`` args ``{"command",
# "is_input"}`` holding ``bash -lc "..."``; Codex CLI's ``shell`` tool, whose ``command`` is a list of
# words, ``["bash", "-lc", script]``, openai/codex codex-rs/core/src/bash.rs reads that script), or
# test the push's exit status (``if git push ...; then``, POSIX 2.9.4). Each went through and backs
# "pushed the branch to origin"; on main none was read as a push and the claim fired on a healthy
# run. Twins: the same forms refused are the decisive span; git's options before a ``commit`` whose
# message names a push are no push.
STRING_FORMS = [
    'git -c http.extraheader="AUTHORIZATION: bearer ghs_16C7e42F292c6912E7710c838347Ae178B4a" push -u origin fix/paging',
    'git -c core.sshCommand="ssh -i ~/.ssh/deploy_key" -C /workspace/inventory-api push -u origin fix/paging',
    "git -P push -u origin fix/paging",
    'bash -lc "cd /workspace/inventory-api && git push -u origin fix/paging"',
    'sudo -H -u deploy bash -c "git push -u origin fix/paging"',
    "if git push -u origin fix/paging; then echo pushed; else echo failed; fi",
]
#: Codex CLI's shell tool input: the command as a list of words.
CODEX = {"command": ["bash", "-lc", "git push -u origin fix/paging"], "workdir": "/workspace/inventory-api"}


@pytest.mark.parametrize("command", STRING_FORMS)
def test_near_miss_a_push_through_git_options_or_a_shell_backs_the_claim(command: str) -> None:
    assert "claimed_but_not_done" not in detectors(_session(command, True))


def test_near_miss_codex_shell_list_push_backs_the_claim() -> None:
    assert "claimed_but_not_done" not in detectors(_session(CODEX, True, tool="shell"))


@pytest.mark.parametrize("tool_input", [{"command": STRING_FORMS[0]}, {"command": STRING_FORMS[3]}, CODEX])
def test_a_refused_push_in_those_forms_is_the_decisive_span(tool_input: dict) -> None:
    assert one(_session(tool_input, False, tool="shell"), "claimed_but_not_done")["decisive_span_id"] == "b2"


def test_git_options_before_a_commit_naming_a_push_are_no_push() -> None:
    f = one(_session({"command": 'git -C /workspace/inventory-api commit -am "push fix for paging"'}, True),
            "claimed_but_not_done")  # fmt: skip
    assert f["decisive_span_id"] != "b2"


def test_command_words_read_a_shells_c_line_and_reserved_words() -> None:
    assert commands('bash -o pipefail -lc "cd /w && git push | cat"') == [
        ["cd", "/w"],
        ["git", "push"],
        ["cat"],
    ]
    assert commands('su - deploy -c "git push"') == [["git", "push"]]
    assert commands("bash deploy.sh -c x") == [["bash", "deploy.sh", "-c", "x"]]  # a script's own -c
    assert commands("if git push; then echo ok; fi") == [["git", "push"], ["echo", "ok"], ["fi"]]


def test_command_words_of_runuser_and_long_options() -> None:
    assert commands("runuser -u deploy -- git push origin main") == [["git", "push", "origin", "main"]]
    assert commands("runuser --user=deploy git push") == [["git", "push"]]
    assert commands('runuser - deploy -c "git push"') == [["git", "push"]]
    assert commands("env --chdir /srv X=1 git push") == [["git", "push"]]
    assert commands("runuser -l deploy") == [["runuser", "-l", "deploy"]]  # a login shell, no command
    assert commands("echo runuser -u deploy -- git push") == [["echo", "runuser", "-u", "deploy", "--", "git", "push"]]
