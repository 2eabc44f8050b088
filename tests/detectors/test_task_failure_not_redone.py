"""A Claude Code Task whose sub-agent's own Bash call failed, reported "did NOT run", and the parent
went on to other work (the CHANGELOG edit the task asked for next) and told the user it ran: other
work is no redo of the failed one. Near misses: the parent ran the failed command again, with
success; the parent's answer says the backfill did not run."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

REPORT = "The backfill did NOT run. psycopg2.OperationalError: password authentication failed. 0 rows updated."


def _session(*after: dict[str, object], answer: str):
    return run(
        span("u1", 0, 0, kind="human", name="user", agent="claude-code", output="run the backfill on staging, then update CHANGELOG.md"),
        span("m1", 1, 2, parent_id="u1", kind="llm", name="assistant", agent="claude-code", output=""),
        span("task", 3, 30, parent_id="m1", kind="handoff", name="Task", agent="claude-code",
             handoff_to="general-purpose", input=json.dumps({"prompt": "run the backfill"}), output=REPORT),  # fmt: skip
        span("p1", 3.1, 3.1, parent_id="task", kind="human", agent="general-purpose", output="run the backfill"),
        span("s1", 4, 5, parent_id="p1", kind="llm", agent="general-purpose", output=""),
        span("b1", 5, 9, parent_id="s1", kind="tool", tool="Bash", agent="general-purpose", status="error",
             error_message="Exit code 1 password authentication failed", input=json.dumps({"command": "python backfill.py"})),  # fmt: skip
        span("b2", 10, 11, parent_id="b1", kind="tool", tool="Bash", agent="general-purpose",
             input=json.dumps({"command": "grep DSN .env.staging"}), output="DSN=postgresql://***"),  # fmt: skip
        span("s2", 12, 13, parent_id="b2", kind="llm", agent="general-purpose", output=REPORT),
        span("m2", 31, 32, parent_id="task", kind="llm", name="assistant", agent="claude-code", output=""),
        span("r1", 33, 34, parent_id="m2", kind="tool", tool="Read", agent="claude-code",
             input=json.dumps({"file_path": "CHANGELOG.md"}), output="# Changelog"),  # fmt: skip
        span("e1", 35, 36, parent_id="r1", kind="tool", tool="Edit", agent="claude-code",
             input=json.dumps({"file_path": "CHANGELOG.md", "new_string": "- Backfilled on staging"}), output="updated"),  # fmt: skip
        *after,
        span("m9", 50, 51, parent_id="e1", kind="llm", name="assistant", agent="claude-code", output=answer),
    )


DONE = "Both done: the backfill ran on staging through the subagent, and CHANGELOG.md records it."


def test_other_work_after_the_failed_task_is_no_redo() -> None:
    assert one(_session(answer=DONE), "failed_report_passed_on")["decisive_span_id"] == "b1"


def test_near_miss_the_parent_ran_the_failed_command_again() -> None:
    again = span("b3", 40, 45, parent_id="e1", kind="tool", tool="Bash", agent="claude-code",
                 input=json.dumps({"command": "python backfill.py"}), output="120034 rows updated")  # fmt: skip
    assert "failed_report_passed_on" not in detectors(_session(again, answer=DONE))


def test_near_miss_the_answer_says_it_did_not_run() -> None:
    told = "CHANGELOG.md is updated, but the backfill did not run: the staging password was rejected."
    assert "failed_report_passed_on" not in detectors(_session(answer=told))
