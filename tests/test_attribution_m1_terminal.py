"""A terminal that ran an earlier script again (forensics.attribution.tool_rules ``stale_output``).
Histories from Magentic-One's emitting code (tests/m1_history.py; microsoft/autogen
``autogen-magentic-one`` ``agents/coder.py``: the Executor walks back through its history for the first
message whose block matches ``` ```(\\w+)\\n(.*?)\\n``` ``` and answers "The script ran, then exited with
Unix exit code: N\\nIts output was:\\n..."; a block without a language tag never matches)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, plan, said, tell

TASK = (
    "The file /workspace/harbour_tides.csv lists the highest tide of every year. What was the mean highest "
    "tide from 2001 to 2010 inclusive, in metres, rounded to two decimal places?"
)
ALL_YEARS = (
    "```python\nimport pandas as pd\n\ndf = pd.read_csv('/workspace/harbour_tides.csv')\n"
    "print(df.columns.tolist())\nprint('mean:', round(df['tide_m'].mean(), 2))\n```"
)
OUTPUT = "The script ran, then exited with Unix exit code: 0\nIts output was:\n['year', 'tide_m']\nmean: 4.87\n"


def _filtered(fence: str, close: str = "\n```") -> str:
    return (
        "I filter on the year column.\n\n"
        f"{fence}\nimport pandas as pd\n\ndf = pd.read_csv('/workspace/harbour_tides.csv')\n"
        f"sel = df[(df['year'] >= 2001) & (df['year'] <= 2010)]\nprint('mean:', round(sel['tide_m'].mean(), 2)){close}"
    )


def _run(fence: str, close: str = "\n```") -> list[dict[str, str]]:
    return [
        plan(TASK, "- The file /workspace/harbour_tides.csv.", "- Coder: compute the mean.\n- Report it."),
        *tell("Coder", "Please write a script that loads /workspace/harbour_tides.csv and prints the mean tide."),
        said("Coder", ALL_YEARS),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", OUTPUT),
        *tell("Coder", "That is the mean over all years. Please filter to 2001 through 2010 inclusive."),
        said("Coder", _filtered(fence, close)),
        *tell("ComputerTerminal", "Please run the filtered script."),
        said("ComputerTerminal", OUTPUT),
        *accept("The mean highest tide is 4.87 m.", "The mean highest tide from 2001 to 2010 was 4.87 m."),
    ]


def _named(tmp_path: Path, fence: str, close: str = "\n```") -> tuple[object, object, object]:
    return blamed(tmp_path, "m1-terminal", TASK, _run(fence, close))


def test_a_terminal_answering_untagged_code_with_its_earlier_output(tmp_path: Path) -> None:
    # The filtered script (step 10) has no language tag; the terminal's answer (step 13) is its step 7
    # output word for word: it ran the all-years script again. HEAD traced 4.87 to that first script's
    # author (Coder, step 4), whose code was right for what it was asked.
    assert _named(tmp_path, "```") == ("ComputerTerminal", 13, "stale_output")


def test_a_terminal_answering_tagged_code_with_the_same_output_ran_it(tmp_path: Path) -> None:
    # Near miss: the filtered script is tagged ```python, so the executor ran it; the same output is
    # that script's own result (the figure traces to where it first appeared, as before).
    assert _named(tmp_path, "```python")[2] != "stale_output"


def test_a_terminal_answering_a_block_closed_on_its_code_line_with_its_earlier_output(tmp_path: Path) -> None:
    # The filtered script is tagged ```python but its closing fence sits on the last code line
    # ("...2))```"): the Executor's pattern needs "\n```" to close the block, so it matched none in that
    # message and walked back to the all-years script: its answer (step 13) is step 7's word for word.
    assert _named(tmp_path, "```python", "```") == ("ComputerTerminal", 13, "stale_output")


def test_a_terminal_answering_a_block_closed_on_its_own_line_with_the_same_output_ran_it(tmp_path: Path) -> None:
    # Near miss: the same tagged script with its closing fence on a line of its own (and blank lines
    # around it) matches the pattern: the executor ran it, and the same output is its own result.
    assert _named(tmp_path, "```python", "\n```\n\nThis prints the mean.")[2] != "stale_output"


PROSE_FIX = "You're right: keep the loader and add a filter on the year column, between 2001 and 2010, before the mean."


def _prose_run(*between: dict[str, str]) -> list[dict[str, str]]:
    return [
        plan(TASK, "- The file /workspace/harbour_tides.csv.", "- Coder: compute the mean.\n- Report it."),
        *tell("Coder", "Please write a script that loads /workspace/harbour_tides.csv and prints the mean tide."),
        said("Coder", ALL_YEARS),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", OUTPUT),
        *between,
        *tell("ComputerTerminal", "Please run the corrected script."),
        said("ComputerTerminal", OUTPUT),
        *accept("The mean highest tide is 4.87 m.", "The mean highest tide from 2001 to 2010 was 4.87 m."),
    ]


def test_a_terminal_answering_a_fix_in_prose_with_its_earlier_output(tmp_path: Path) -> None:
    # The Coder answers the request for a fix in prose (step 10), no block at all: the Executor
    # (check_last_n_message) walks back past it to the all-years script of step 4 and runs it again;
    # its answer (step 13) is step 7's word for word.
    run = _prose_run(
        *tell("Coder", "That is the mean over all years. Please filter to 2001 through 2010 inclusive."),
        said("Coder", PROSE_FIX),
    )
    assert blamed(tmp_path, "m1-terminal", TASK, run) == ("ComputerTerminal", 13, "stale_output")


def test_a_terminal_asked_to_rerun_with_no_reply_between_ran_the_same_script(tmp_path: Path) -> None:
    # Near miss: nobody wrote anything between the two runs (the orchestrator asked the terminal to run
    # the script again): the same output is that script's own result, not a stale one.
    run = _prose_run(*tell("ComputerTerminal", "Please run the script once more to confirm."), said("ComputerTerminal", OUTPUT))
    assert blamed(tmp_path, "m1-terminal", TASK, run)[2] != "stale_output"


def test_a_terminal_answering_prose_then_tagged_code_ran_the_new_code(tmp_path: Path) -> None:
    # Near miss: the Coder explains in prose, then sends a tagged script: the Executor ran the new
    # script, and the same output is that script's own result.
    run = _prose_run(
        *tell("Coder", "That is the mean over all years. Please filter to 2001 through 2010 inclusive."),
        said("Coder", PROSE_FIX),
        *tell("Coder", "Please send the whole script."),
        said("Coder", _filtered("```python")),
    )
    assert blamed(tmp_path, "m1-terminal", TASK, run)[2] != "stale_output"
