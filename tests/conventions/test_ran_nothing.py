"""A code executor's "no code to run" reply is no retry of the code that failed before it.

AG2 (autogen 0.2) group chats: the code-executing proxy ``Computer_terminal`` answers a message with
code as ``"exitcode: {n} ({'execution succeeded' | 'execution failed'})\\nCode output: {logs}"``
(autogen ``agentchat/conversable_agent.py`` ``generate_code_execution_reply`` /
``_generate_code_execution_reply_using_executor``), and a message without code with AgentBuilder's
default auto-reply ``DEFAULT_PROXY_AUTO_REPLY`` "There is no code from the last 1 message for me to
execute. Group chat manager should let other participants to continue the conversation..." (autogen
``agentchat/contrib/agent_builder.py``). The AG2 history loader reads both as the terminal's tool span
(``forensics/loaders/ag2_history.py``: status error on a non-zero exit code; ``terminal.no_code`` and no
input on the auto-reply). The auto-reply ran nothing: it did not make the failed run good.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from forensics.classify import classify
from forensics.detectors.base import prepare
from forensics.load import load
from forensics.policy import resolve_policy

NO_CODE = (
    "There is no code from the last 1 message for me to execute. Group chat manager should let other participants "
    'to continue the conversation. If the group chat manager want to end the conversation, you should let other '
    'participant reply me only with "TERMINATE"'
)
TASK = "## Task description\nBackfill analytics.daily_revenue for November from billing.invoices.\n## Plan\n1. Upsert.\n2. Verify."
SCRIPT = "```python\nimport os, psycopg2\nconn = psycopg2.connect(os.environ['DATABASE_URL'])\nprint('upserted', 30)\n```"
FAILED = (
    "exitcode: 1 (execution failed)\nCode output: Traceback (most recent call last):\n  File \"backfill.py\", line 2, "
    "in <module>\npsycopg2.OperationalError: FATAL:  the database system is in recovery mode"
)
VERIFIED = "Verified: analytics.daily_revenue holds all 30 days of November.\n\nTERMINATE"


def _chat(tmp_path: Path, *turns: tuple[str, str]) -> Path:
    history = [{"content": text, "role": "assistant", "name": name} for name, text in turns]
    path = tmp_path / "chat.json"
    path.write_text(json.dumps({"question_ID": "backfill-1", "question": "Backfill November.", "history": history}))
    return path


def _findings(path: Path) -> pl.DataFrame:
    return pl.DataFrame(pl.from_arrow(classify(load(path, format="ag2-history").spans).findings))


def test_the_no_code_reply_is_marked_ran_nothing(tmp_path: Path) -> None:
    path = _chat(tmp_path, ("DataEngineering_Expert", TASK), ("DataEngineering_Expert", SCRIPT),
                 ("Computer_terminal", FAILED), ("Verification_Expert", "The upsert ran; the table has 30 rows."),
                 ("Computer_terminal", NO_CODE), ("Verification_Expert", VERIFIED))  # fmt: skip
    ctx = prepare(pl.DataFrame(pl.from_arrow(load(path, format="ag2-history").spans)), resolve_policy(None))
    marked = ctx.spans.filter(pl.col("ran_nothing")).get_column("span_id").to_list()
    assert marked == ["step-4"]


def test_an_exit_1_answered_by_words_and_a_no_code_reply_is_swallowed(tmp_path: Path) -> None:
    # The verifier reasons from the script instead of its output, the terminal finds no code in
    # that, and the verifier declares the backfill verified: the failed run was never retried.
    path = _chat(tmp_path, ("DataEngineering_Expert", TASK), ("DataEngineering_Expert", SCRIPT),
                 ("Computer_terminal", FAILED), ("Verification_Expert", "The upsert ran; the table has 30 rows."),
                 ("Computer_terminal", NO_CODE), ("Verification_Expert", VERIFIED))  # fmt: skip
    found = _findings(path).filter(pl.col("detector") == "swallowed_error")
    assert found.get_column("decisive_span_id").to_list() == ["step-2"]


def test_an_exit_1_fixed_and_run_again_stays_clean_beside_a_no_code_reply(tmp_path: Path) -> None:
    # The healthy twin: the engineer fixes the script and the terminal runs it with exit code 0.
    fixed = SCRIPT.replace("psycopg2.connect(", "psycopg2.connect(connect_timeout=30, dsn=")
    path = _chat(tmp_path, ("DataEngineering_Expert", TASK), ("DataEngineering_Expert", SCRIPT),
                 ("Computer_terminal", FAILED), ("Verification_Expert", "The database was in recovery; waiting."),
                 ("Computer_terminal", NO_CODE), ("DataEngineering_Expert", fixed),
                 ("Computer_terminal", "exitcode: 0 (execution succeeded)\nCode output: upserted 30"),
                 ("Verification_Expert", VERIFIED))  # fmt: skip
    found = _findings(path)
    assert found.filter(pl.col("failure_class").is_in(["silent_failure", "missing_fallback"])).is_empty(), found


# autogen-magentic-one's Executor (agents/coder.py ``Executor._generate_reply``): a block its
# ``confirm_execution`` callback declined is answered "The code block was not confirmed by the user and
# so was not run."; one it ran, "The script ran, then exited with Unix exit code: N\nIts output was:\n...".
DECLINED = "The code block was not confirmed by the user and so was not run."
M1_SCRIPT = "I total the stock.\n\n```python\nprint(3 * 12 + 5 * 8)\n```"


def _terminal_row(tmp_path: Path, answer: str) -> dict[str, object]:
    path = _chat(tmp_path, ("Coder", M1_SCRIPT), ("Orchestrator (-> ComputerTerminal)", "Please run the script."),
                 ("ComputerTerminal", answer), ("Coder", "The total is 76.\n\nTERMINATE"))  # fmt: skip
    spans = pl.DataFrame(pl.from_arrow(load(path, format="ag2-history").spans))
    (row,) = spans.filter(pl.col("name") == "ComputerTerminal").to_dicts()
    ctx = prepare(spans, resolve_policy(None))
    row["ran_nothing"] = ctx.spans.filter(pl.col("span_id") == row["span_id"]).get_column("ran_nothing").item()
    return row


def test_a_declined_code_block_ran_nothing(tmp_path: Path) -> None:
    # The Executor found the Coder's block and a person declined it: the code is the call's input, the
    # call did not fail, and it ran nothing.
    row = _terminal_row(tmp_path, DECLINED)
    assert (row["ran_nothing"], row["status"]) == (True, "ok")
    assert "print(3 * 12 + 5 * 8)" in str(row["input"])
    assert json.loads(str(row["attributes"]))["terminal.declined"] is True


def test_a_code_block_the_executor_ran_is_no_declined_one(tmp_path: Path) -> None:
    # Near miss: the same block confirmed and run (exit code 0): an attempt, not ran_nothing.
    row = _terminal_row(tmp_path, "The script ran, then exited with Unix exit code: 0\nIts output was:\n76\n")
    assert (row["ran_nothing"], row["status"]) == (False, "ok")
    assert "terminal.declined" not in json.loads(str(row["attributes"]))
