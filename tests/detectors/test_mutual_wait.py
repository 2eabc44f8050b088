"""An AG2 group chat that ran out of rounds with its last two speakers waiting on each other (limbo).

``GroupChatManager.run_chat`` (ag2ai/ag2 ``autogen/agentchat/groupchat.py``) stops a chat when a
message meets ``is_termination_msg`` (CaptainAgent-style teams: the verifier's ``TERMINATE``) or
after ``max_round`` rounds. A history that ends on another message ran out of rounds unfinished;
where its last speaker's last message hands the work to the speaker before it, whose own last message
handed it back, both saying they wait, nobody owns the next step (TAXONOMY limbo: no terminal state,
last activity a handoff). The decisive message is the first straight hand-back. Histories are
written inline in the Who&When AG2 shape (``{question_ID, history: [{name, role, content}]}``), the
``Computer_terminal`` proxy replying to code (``exitcode: 0 (execution succeeded)``).
"""

from __future__ import annotations

import json
from pathlib import Path

from forensics.classify import classify
from forensics.load import load

TASK = (
    "You are given: (1) a task and advises from your manager with a specific plan and (2) a general task.\n"
    "# General Task\nLoad the March clickstream into the warehouse.\n"
    "## Plan for solving the task\n1. DataEngineer_Expert runs the load job. 2. Security_Expert grants the "
    "service account. 3. Verification_Expert checks the row count and replies TERMINATE."
)
OPENING = [
    ("DataEngineer_Expert", TASK),
    ("DataEngineer_Expert", "```python\nprint(jobs.status('clickstream_load'))\n```"),
    ("Computer_terminal", "exitcode: 0 (execution succeeded)\nCode output: blocked: missing credential svc-load\n"),
    ("DataEngineer_Expert", "The load is blocked on the svc-load credential. Security_Expert, please issue the key for svc-load."),
]
DEADLOCK = [
    ("Security_Expert", "Keys are only issued against an approved access request. DataEngineer_Expert, please file the "
                        "access request first; I'll issue the key once it is approved."),  # fmt: skip
    ("DataEngineer_Expert", "I can't file it without the key id it asks for. I'll wait for Security_Expert to issue the key."),
    ("Verification_Expert", "Nothing loaded yet: 0 rows for March."),
    ("DataEngineer_Expert", "Still waiting on Security_Expert for the key."),
    ("Security_Expert", "And I'm waiting on DataEngineer_Expert for the approved request."),
]


def _classify(tmp_path: Path, messages: list[tuple[str, str]]):
    doc = {"question_ID": "q1", "history": [{"name": n, "role": "user", "content": c} for n, c in messages]}
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(doc))
    f, _ = classify(load(path, format="ag2-history")).to_polars()
    return f


def test_a_chat_out_of_rounds_with_both_speakers_waiting_on_each_other_is_limbo(tmp_path: Path) -> None:
    f = _classify(tmp_path, OPENING + DEADLOCK)
    (row,) = f.filter(f["detector"] == "limbo").to_dicts()
    assert row["failure_class"] == "ownership_gap"
    assert row["decisive_span_id"] == "step-4"  # Security_Expert handing the work straight back
    assert "each waiting on the other" in row["explanation"]


def test_near_miss_one_of_them_unblocks_and_the_chat_terminates(tmp_path: Path) -> None:
    unblocked = DEADLOCK[:2] + [
        ("Security_Expert", "Understood: I filed the request myself and approved it. DataEngineer_Expert, the key is in the vault."),
        ("DataEngineer_Expert", "```python\nprint(jobs.run('clickstream_load'))\n```"),
        ("Computer_terminal", "exitcode: 0 (execution succeeded)\nCode output: loaded 1204331 rows\n"),
        ("Verification_Expert", "Verified: 1,204,331 rows for March. TERMINATE"),
    ]
    f = _classify(tmp_path, OPENING + unblocked)
    assert "limbo" not in set(f["detector"].to_list())


def test_near_miss_out_of_rounds_but_nobody_waiting_on_the_other(tmp_path: Path) -> None:
    # The chat ran out of rounds mid-work: its last speakers name each other but neither waits.
    working = DEADLOCK[:2] + [
        ("Security_Expert", "Fine, DataEngineer_Expert: I issued the key for svc-load."),
        ("DataEngineer_Expert", "Thanks Security_Expert, running the load now."),
    ]
    f = _classify(tmp_path, OPENING + working)
    assert "limbo" not in set(f["detector"].to_list())
