"""A Coder's failed script it then fixed, in both Magentic-One namings: the error was got past and is
not the decisive step (forensics.attribution.tool_rules ``_recovered``). autogen-magentic-one's
ledger in the messages reports the progress; agentchat's MagenticOneGroupChat keeps its progress
ledger in the trace log (``_magentic_one_orchestrator.py`` ``_orchestrate_step``: ``_log_message``)
and re-enters its outer loop with a new task ledger when the team stalls, so a later successful run
of the author's code with no replan between is the progress. Histories from the emitting code
(tests/m1_history.py; tests/m1_agentchat.py: ``_code_executor_agent.py``'s "The script ran, then
exited with an error (POSIX exit code: N)")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from m1_agentchat import to_agentchat
from m1_history import accept, attributed, plan, said, tell, verdict, write, write_doc

TASK = (
    "The file /workspace/meter.csv is a semicolon-delimited export with decimal commas and dots as "
    "thousands separators. What is the total of the 'kWh' column, rounded to one decimal?"
)
FIRST = (
    "```python\nimport pandas as pd\n\ndf = pd.read_csv('/workspace/meter.csv', sep=';', dtype=str)\n"
    "print(round(df['kWh'].str.replace(',', '.').astype(float).sum(), 1))\n```"
)
FIX = (
    "```python\nimport pandas as pd\n\ndf = pd.read_csv('/workspace/meter.csv', sep=';', dtype=str)\n"
    "v = df['kWh'].str.replace(',', '.').str.extract(r'^(\\d+\\.\\d+)')[0].astype(float)\n"
    "print(round(v.sum(), 1))\n```"
)
ERROR = (
    "The script ran, then exited with Unix exit code: 1\nIts output was:\nTraceback (most recent call last):\n"
    "  File \"/workspace/tmp_code.py\", line 4, in <module>\nValueError: could not convert string to float: '1.204.75'\n"
)


def _history(fixed: bool) -> list[dict[str, str]]:
    second = "The script ran, then exited with Unix exit code: 0\nIts output was:\n5120.4\n" if fixed else ERROR
    return [
        plan(TASK, "- The file uses German number format.", "- Coder: sum the column.\n- Report the total."),
        *tell("Coder", "Please write a script that sums the 'kWh' column of /workspace/meter.csv."),
        said("Coder", FIRST),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", ERROR),
        *tell("Coder", "The conversion failed on values like '1.204.75'. Please fix the number parsing."),
        said("Coder", FIX),
        *tell("ComputerTerminal", "Please run the corrected script."),
        said("ComputerTerminal", second),
        *accept("The script computed the total: 5120.4.", "The total is 5120.4 kWh."),
    ]


def _named(tmp_path: Path, doc: dict[str, Any]) -> tuple[str, int, str]:
    return verdict(attributed(write_doc(tmp_path, doc)))


def _both(tmp_path: Path, fixed: bool) -> tuple[tuple[str, int, str], tuple[str, int, str], list[int]]:
    """The run in autogen-magentic-one's naming and in agentchat's, and the Coder's steps in the latter."""
    classic = json.loads(write(tmp_path, "m1-recovered", TASK, _history(fixed), agent="Coder", step=0).read_text())
    # Who&When files name the speaker in ``role`` (the converter reads it there).
    new = to_agentchat({**classic, "history": [{"role": m.get("name") or m["role"], "content": m["content"]} for m in classic["history"]]})
    coder = [i for i, m in enumerate(new["history"]) if m["role"] == "Coder"]
    return _named(tmp_path, classic), _named(tmp_path, new), coder


def test_a_fixed_script_is_blamed_not_the_error_it_got_past(tmp_path: Path) -> None:
    # The first script fails (POSIX exit code 1 in agentchat), the Coder's fix runs and prints the
    # total the answer states: the error was recovered from in both namings; the fix is traced.
    classic, agentchat, coder = _both(tmp_path, fixed=True)
    assert classic == ("Coder", 10, "accepted_wrong_answer")
    assert agentchat == ("Coder", coder[1], "accepted_wrong_answer")


def test_an_error_never_got_past_stays_the_tool_error(tmp_path: Path) -> None:
    # Near miss: the fix fails too: no later run of the Coder's code succeeded, so the first failure
    # stays evidence in agentchat's naming, where no ledger is in the messages.
    _, agentchat, coder = _both(tmp_path, fixed=False)
    assert agentchat == ("Coder", coder[0], "tool_error")
