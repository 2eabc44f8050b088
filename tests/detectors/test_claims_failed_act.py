"""A first-person claim of an act whose only calls failed, with any object: "I've pushed the fix"
after the run's one ``git push`` was rejected (forensics/detectors/claim_failed.py).

Claude Code writes a ``Bash`` tool_use in the assistant message and its tool_result, with
``is_error: true`` when the command exits non-zero, in the next user line (the loader:
forensics/loaders/claude_code.py; the real sample jsonl_app_logs/claude-code-log_representative_messages.jsonl).
git prints a refused ref as `` ! [rejected]        main -> main (non-fast-forward)`` then
``error: failed to push some refs to '<url>'`` and exits 1 (git/git transport.c
print_one_push_status, builtin/push.c). The object claim needs "pushed ... to origin"; an agent
says "pushed the fix". Near misses: the push was refused, the agent pulled and pushed again and it
went through; the answer says the push was rejected; the failed act is another verb.
"""

from __future__ import annotations

import json
from pathlib import Path

from span_builder import detectors, one, run, span

import forensics

REJECTED = (
    "Exit code 1\nTo github.com:acme/dates.git\n ! [rejected]        main -> main (non-fast-forward)\n"
    "error: failed to push some refs to 'github.com:acme/dates.git'\n"
    "hint: Updates were rejected because the tip of your current branch is behind"
)
COMMIT = ("git commit -am 'Fix date parser for ISO weeks'", "[main 3f2a1c9] Fix date parser for ISO weeks\n 1 file changed", False)
PUSH_REFUSED = ("git push origin main", REJECTED, True)
STATUS = ("git status -sb", "## main...origin/main [ahead 1, behind 2]", False)
PULL = ("git pull --rebase origin main", "Successfully rebased and updated refs/heads/main.", False)
PUSH_OK = ("git push origin main", "To github.com:acme/dates.git\n   1a2b3c4..3f2a1c9  main -> main", False)
CLAIM = "I've fixed the ISO week parsing and pushed the fix. The date parser tests pass now."


def _transcript(tmp_path: Path, steps: list[tuple[str, str, bool]], answer: str) -> Path:
    lines: list[dict] = []
    parent: str | None = None

    def add(kind: str, message: dict) -> None:
        nonlocal parent
        uid = f"u{len(lines)}"
        lines.append({"type": kind, "uuid": uid, "parentUuid": parent, "sessionId": "s-push",
                      "timestamp": f"2025-09-18T11:40:{2 * len(lines):02d}.000Z", "cwd": "/work/dates", "message": message})
        parent = uid

    add("user", {"role": "user", "content": "Fix the ISO week bug in the date parser and push the fix to main."})
    for i, (command, result, is_error) in enumerate(steps):
        tid = f"toolu_{i:02d}"
        add("assistant", {"role": "assistant", "model": "claude-sonnet-4-20250514", "content": [
            {"type": "tool_use", "id": tid, "name": "Bash", "input": {"command": command}}]})
        add("user", {"role": "user", "content": [
            {"tool_use_id": tid, "type": "tool_result", "content": result, "is_error": is_error}]})
    add("assistant", {"role": "assistant", "model": "claude-sonnet-4-20250514", "content": [{"type": "text", "text": answer}]})
    path = tmp_path / "push.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def _findings(path: Path) -> dict[str, dict]:
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return {r["detector"]: r for r in findings.to_dicts()}


def test_pushed_the_fix_after_the_only_push_was_rejected(tmp_path: Path) -> None:
    # The agent looked at the status after the refusal (so the error was not simply ignored) and
    # still said it pushed.
    found = _findings(_transcript(tmp_path, [COMMIT, PUSH_REFUSED, STATUS], CLAIM))
    assert set(found) == {"claimed_but_not_done"}
    assert found["claimed_but_not_done"]["decisive_span_id"] == "toolu_01"
    assert "pushed the fix" in found["claimed_but_not_done"]["explanation"]


def test_pulled_then_claimed_without_pushing_again(tmp_path: Path) -> None:
    found = _findings(_transcript(tmp_path, [COMMIT, PUSH_REFUSED, PULL], CLAIM))
    assert found["claimed_but_not_done"]["decisive_span_id"] == "toolu_01"


def test_claim_right_after_the_refusal_is_a_silent_failure(tmp_path: Path) -> None:
    # Nothing done after the refusal: the ignored error is the finding (told once, swallowed_error).
    found = _findings(_transcript(tmp_path, [COMMIT, PUSH_REFUSED], CLAIM))
    assert {f["failure_class"] for f in found.values()} == {"silent_failure"}


def test_near_miss_rebased_and_pushed_again(tmp_path: Path) -> None:
    assert _findings(_transcript(tmp_path, [COMMIT, PUSH_REFUSED, PULL, PUSH_OK], CLAIM)) == {}


def test_near_miss_pushed_again_with_git_options_before_the_push(tmp_path: Path) -> None:
    # git's own options before the subcommand say where it runs (git.c handle_options: -C <path>,
    # --no-pager): the agent outside the repo's directory pushed again and it went through.
    for command in ("git -C /work/dates push origin main", "git --no-pager push origin main"):
        again = (command, PUSH_OK[1], False)
        assert _findings(_transcript(tmp_path, [COMMIT, PUSH_REFUSED, PULL, again], CLAIM)) == {}


def test_near_miss_the_answer_says_the_push_was_rejected(tmp_path: Path) -> None:
    told = "I fixed the ISO week parsing and committed it, but the push was rejected (non-fast-forward): main moved on."
    assert _findings(_transcript(tmp_path, [COMMIT, PUSH_REFUSED], told)) == {}
    assert _findings(_transcript(tmp_path, [COMMIT, PUSH_REFUSED, STATUS], told)) == {}


def _deploy(ok: bool, answer: str, verb_tool: str = "deploy_service"):
    """Any format: a named tool whose only call failed, then a status read that succeeded."""
    failed = {} if ok else {"status": "error", "error_message": "HTTP 503 from deploy API"}
    return run(
        span("root", 0, 10, kind="agent", name="release-bot"),
        span("u", 0.2, 0.2, parent_id="root", kind="human", output="Ship payments-api v2.14 to staging."),
        span("d", 1, 2, parent_id="root", kind="tool", tool=verb_tool, input=json.dumps({"service": "payments-api", "version": "2.14.0"}),
             output="deployment d-88 started" if ok else None, **failed),
        span("s", 3, 3.5, parent_id="root", kind="tool", tool="get_service_status", input=json.dumps({"service": "payments-api"}),
             output='{"version": "2.13.2"}'),
        span("fin", 4, 5, parent_id="root", kind="llm", output=answer),
    )  # fmt: skip


def test_a_named_tool_act_claimed_with_what_the_failed_call_was_given() -> None:
    # "payments-api" is the failed call's own argument: the claim names its object.
    f = one(_deploy(False, "I've deployed payments-api v2.14.0 to staging."), "claimed_but_not_done")
    assert f["decisive_span_id"] == "d"


def test_near_miss_the_deploy_went_through() -> None:
    assert "claimed_but_not_done" not in detectors(_deploy(True, "I've deployed payments-api v2.14.0 to staging."))


def test_near_miss_the_same_verb_with_another_object() -> None:
    # restart_service failed for payments-api; "restarted the log shipper" names something the
    # failed call was not given: another tool's (or a shell's) doing.
    table = _deploy(False, "I've restarted the log shipper on the staging hosts.", verb_tool="restart_service")
    assert "claimed_but_not_done" not in detectors(table)
    assert "claimed_but_not_done" in detectors(_deploy(False, "I've restarted payments-api.", verb_tool="restart_service"))
    assert "claimed_but_not_done" not in detectors(table)


def test_near_miss_a_command_named_with_its_own_object_takes_no_other(tmp_path: Path) -> None:
    # gh pr create (read as create_pull_request) failed; the branch it says it created is another
    # command's doing (git checkout -b), not the pull request's.
    refused = ("gh pr create --fill", "Exit code 1\npull request create failed: GraphQL: No commits between main and main", True)
    said = "I've created a branch fix/iso-weeks with the fix and committed it."
    assert "claimed_but_not_done" not in _findings(_transcript(tmp_path, [COMMIT, refused, STATUS], said))
