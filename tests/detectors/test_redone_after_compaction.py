"""redone_after_compaction: a creating shell command done before Claude Code compacted the
conversation and run again after it (the summary listed it as pending): a second pull request."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

PR = 'gh pr create --base main --title "Bump pyarrow to 17" --body "117 tests pass."'
SUMMARY = ("This session is being continued from a previous conversation that ran out of context. The conversation "
           "is summarized below: 6. Pending: open the PR.")


def _bash(sid: str, at: float, command: str, output: str) -> dict[str, object]:
    return span(sid, at, at + 1, kind="tool", name="Bash", tool="Bash", input=json.dumps({"command": command}), output=output)


def _session(after: str, compacted: bool = True):
    rows = [span("u1", 0, 0, kind="human", name="user", output="bump pyarrow to 17, then open a PR"),
            _bash("b1", 2, PR, "https://github.com/acme/ingest/pull/482")]
    if compacted:
        rows += [span("cb", 4, 4, kind="event", name="compact_boundary", output="Conversation compacted"),
                 span("u2", 4.5, 4.5, kind="human", name="user", output=SUMMARY)]
    rows += [span("m1", 5, 6, kind="llm", name="assistant", output="Opening the PR."),
             _bash("b2", 7, after, "https://github.com/acme/ingest/pull/483")]
    return run(*rows)


def test_the_same_pr_opened_again_after_compaction_fires_on_the_repeat() -> None:
    assert one(_session(PR), "redone_after_compaction")["decisive_span_id"] == "b2"


def test_near_misses_no_compaction_or_another_command() -> None:
    # Without a compaction between, a repeat is not this rule's; a different PR is a different step.
    assert "redone_after_compaction" not in detectors(_session(PR, compacted=False))
    other = 'gh pr create --base main --title "Pin numpy" --body "follow-up"'
    assert "redone_after_compaction" not in detectors(_session(other))
