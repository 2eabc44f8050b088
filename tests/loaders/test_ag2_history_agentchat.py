"""ag2-history on a Magentic-One history in agentchat's naming (``MagenticOneGroupChat``: every
orchestrator message is ``MagenticOneOrchestrator``, the task comes from ``user``, the terminal is a
``CodeExecutorAgent`` named ``ComputerTerminal``; tests/m1_agentchat.py cites the code). Expectations
read from the messages by hand."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from m1_agentchat import ORCHESTRATOR

from forensics.load import load

_LEDGER = (
    "\nWe are working to address the following user request:\n\nHow many rows of sales.csv are from 2020?\n\n\n"
    "To answer this request we have assembled the following team:\n\nCoder: A helpful and general-purpose AI "
    "assistant.\nComputerTerminal: A computer terminal that performs no other action than running Python scripts "
    "(provided to it quoted in ```python code blocks), or sh shell scripts (provided to it quoted in ```sh code "
    "blocks).\n\n\nHere is an initial fact sheet to consider:\n\n1. GIVEN OR VERIFIED FACTS\n\n- None.\n\n\n"
    "Here is the plan to follow as best as possible:\n\n- Coder: write a script.\n- ComputerTerminal: run it.\n"
)


def _history(tmp_path: Path, messages: list[tuple[str, str]]) -> pl.DataFrame:
    doc = {"question_ID": "ac", "question": "q", "history": [{"role": r, "content": c} for r, c in messages]}
    path = tmp_path / "ac.json"
    path.write_text(json.dumps(doc))
    return pl.DataFrame(pl.from_arrow(load(path, format="ag2-history").spans)).sort("start_time")


def test_agentchat_instructions_are_handoffs_to_the_next_speaker(tmp_path: Path) -> None:
    df = _history(
        tmp_path,
        [
            ("user", "How many rows of sales.csv are from 2020?"),
            (ORCHESTRATOR, _LEDGER),
            (ORCHESTRATOR, "Write a python script that counts the 2020 rows of sales.csv."),
            (
                "Coder",
                "```python\nimport pandas as pd\nprint((pd.read_csv('sales.csv')['year'] == 2020).sum())\n```",
            ),
            (ORCHESTRATOR, "Please run the script the Coder wrote."),
            (
                "ComputerTerminal",
                "The script ran, then exited with an error (POSIX exit code: 1)\nIts output was:\n"
                "FileNotFoundError: [Errno 2] No such file or directory: 'sales.csv'",
            ),
            (ORCHESTRATOR, "There are 318 rows from 2020."),
        ],
    )
    assert df["kind"].to_list() == ["human", "agent", "handoff", "agent", "handoff", "tool", "agent"]
    assert df["handoff_to"].to_list()[2:5] == ["Coder", None, "ComputerTerminal"]
    # The orchestrator is named as the log names it.
    assert df["agent"].to_list()[1] == ORCHESTRATOR
    # The terminal's failed run (CodeExecutorAgent's "POSIX exit code") is an error; handed the work,
    # it answers as itself, its input the Coder's code.
    term = df.row(5, named=True)
    assert (term["status"], term["error_type"], term["agent"]) == ("error", "exitcode 1", "ComputerTerminal")
    assert term["input"].startswith("import pandas")


def test_an_orchestrator_message_followed_by_its_own_is_no_handoff(tmp_path: Path) -> None:
    # Near miss: the task ledger, a message the orchestrator follows itself (a replan's ledger after
    # it) and its last word (the final answer) address nobody.
    df = _history(
        tmp_path,
        [
            ("user", "How many rows of sales.csv are from 2020?"),
            (ORCHESTRATOR, _LEDGER),
            (ORCHESTRATOR, "Write a python script that counts the 2020 rows of sales.csv."),
            (ORCHESTRATOR, _LEDGER),
            (ORCHESTRATOR, "I could not find the file."),
        ],
    )
    assert df["kind"].to_list() == ["human", "agent", "agent", "agent", "agent"]
    assert df["handoff_to"].to_list() == [None] * 5


def test_a_named_speaker_with_the_user_role_is_an_agent(tmp_path: Path) -> None:
    # Near miss of the task speaker: AG2 histories give every agent ``role: user`` beside its name.
    doc = {
        "question_ID": "ag2",
        "history": [
            {"name": "user", "role": "user", "content": "the task"},
            {"name": "Validation_Expert", "role": "user", "content": "I will check it."},
        ],
    }
    path = tmp_path / "ag2.json"
    path.write_text(json.dumps(doc))
    df = pl.DataFrame(pl.from_arrow(load(path, format="ag2-history").spans)).sort("start_time")
    assert df["kind"].to_list() == ["human", "agent"]
    assert df["agent"].to_list() == ["human", "Validation_Expert"]
