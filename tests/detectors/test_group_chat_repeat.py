"""A group chat's history: each agent message is its model's reply, and decides the code the
terminal runs next.

AG2 writes every agent turn as one message (ConversableAgent.generate_reply), and the code-execution
terminal runs the code block of the message before it; the history holds no model call of its own.
An expert that posts the same failing script three times, each time after seeing the same
traceback, decided three times to make the same call: repeated_action. Before, no model call was
found between the runs, so they read as resends nobody decided. Near miss: the same script three
times, but each run fails differently (a new traceback is new information).
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

CODE = "```python\nimport csv\nrows = list(csv.reader(open('/data/q3_invoices.csv')))\nprint(sum(float(r[3]) for r in rows[1:]))\n```"


def _history(tmp_path: Path, errors: list[str]) -> set[str]:
    history = [{"name": "Accounting_Expert", "role": "assistant", "content": "Sum the Q3 invoice totals."}]
    for i, err in enumerate(errors):
        say = "I'll sum the totals column." if i == 0 else "Let me run it again."
        history.append({"name": "Accounting_Expert", "role": "user", "content": f"{say}\n{CODE}"})
        history.append({"name": "Computer_terminal", "role": "user",
                        "content": f"exitcode: 1 (execution failed)\nCode output: Traceback (most recent call last):\n{err}"})
    history.append({"name": "Accounting_Expert", "role": "user", "content": "The Q3 total is 48,210.00. TERMINATE"})
    path = tmp_path / "chat.json"
    path.write_text(json.dumps({"question": "What is the Q3 invoice total?", "question_ID": "q3-total", "history": history}))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return set(findings["detector"].to_list())


def test_the_same_script_posted_three_times_after_the_same_failure_is_a_loop(tmp_path: Path) -> None:
    missing = "FileNotFoundError: [Errno 2] No such file or directory: '/data/q3_invoices.csv'"
    assert "repeated_action" in _history(tmp_path, [missing] * 3)


def test_near_miss_each_run_failed_differently(tmp_path: Path) -> None:
    errors = [
        "FileNotFoundError: [Errno 2] No such file or directory: '/data/q3_invoices.csv'",
        "PermissionError: [Errno 13] Permission denied: '/data/q3_invoices.csv'",
        "ValueError: could not convert string to float: 'n/a'",
    ]
    assert "repeated_action" not in _history(tmp_path, errors)
