"""A surfer's page that answered a second question word for word as it stood, after which the
orchestrator handed the work on to another worker (forensics.attribution.tool_rules ``_moved_on``):
the next ledger reported progress out of a loop, so the repeat is not the decisive step. Histories
from Magentic-One's emitting code (tests/m1_history.py; microsoft/autogen ``autogen-magentic-one``
``agents/orchestrator.py``: ``update_ledger``'s ``is_in_loop`` / ``is_progress_being_made`` and the
``Orchestrator (-> X)`` instruction; ``agents/multimodal_web_surfer``: "I scrolled down one page in the
browser." and the viewport's OCR; ``agents/coder.py``: the Executor's "The script ran, then exited with
Unix exit code: N\\nIts output was:")."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, plan, said, tell

TASK = "What is the combined length, in kilometres to one decimal, of the two longest bridges on the Øresund line?"
PAGE = (
    "I scrolled down one page in the browser.\n\nHere is a screenshot of [List of bridges in Denmark - Wikipedia]"
    "(https://en.wikipedia.org/wiki/List_of_bridges_in_Denmark). The viewport shows 8% of the webpage, and is "
    "positioned 20% down from the top of the page.\nAutomatic OCR of the page screenshot has detected the "
    "following text:\n\nName | Line | Length (m)\nØresund Bridge | Øresund | 7,845\nPeberholm viaduct | Øresund | 3,510\n"
)
CODE = "```python\nlengths = [7845, 3510]\nprint(round(sum(lengths) / 100, 1))\n```"
RAN = "The script ran, then exited with Unix exit code: 0\nIts output was:\n113.5\n"


def _tell(agent: str, instruction: str, in_loop: bool = False) -> list[dict[str, str]]:
    return tell(agent, instruction, "Not yet.", in_loop)


def _run(in_loop: bool) -> list[dict[str, str]]:
    return [
        plan(TASK, "- Lengths in metres.", "- WebSurfer: read the lengths.\n- Coder: add them in km."),
        *_tell("WebSurfer", "Please confirm the lengths are in metres from the column header."),
        said("WebSurfer", PAGE),
        *_tell("WebSurfer", "Please check whether any other bridge on the line is longer than 3,510 m."),
        said("WebSurfer", PAGE),
        *_tell("Coder", "Please add 7,845 m and 3,510 m in kilometres, rounded to one decimal.", in_loop=in_loop),
        said("Coder", CODE),
        *_tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", RAN),
        *accept("The combined length is 113.5 km.", "FINAL ANSWER: 113.5"),
    ]


def test_a_repeat_the_orchestrator_handed_on_from_is_not_decisive(tmp_path: Path) -> None:
    # The surfer's step 7 is its step 4 word for word (the page answered both questions); the next
    # ledger (step 8) reports progress, no loop, and hands the work to the Coder, who answers: the team
    # got past the repeat, and the answer traces to the Coder's script (step 10).
    assert blamed(tmp_path, "m1-handed-on", TASK, _run(in_loop=False)) == ("Coder", 10, "final_answer_origin")


def test_a_repeat_no_other_answer_followed_stays_the_repeat(tmp_path: Path) -> None:
    # Near miss: after the repeat (step 7) the orchestrator asks the surfer once more and gets the same
    # page a third time (step 10), then accepts: no worker said anything else, so the team never got
    # past the repeat, which stays the decisive step.
    history = [
        *_run(in_loop=False)[:7],
        *_tell("WebSurfer", "Please scroll to the rest of the table.", in_loop=True),
        said("WebSurfer", PAGE),
        *accept("The combined length is 11,355 m, i.e. 11.4 km.", "FINAL ANSWER: 11.4"),
    ]
    assert blamed(tmp_path, "m1-handed-on", TASK, history) == ("WebSurfer", 7, "repeated_action")


def test_a_repeat_the_ledger_judged_a_loop_stays_the_repeat(tmp_path: Path) -> None:
    # Near miss: the ledger judging the repeat (step 8) answers is_in_loop: true and no progress: the
    # orchestrator saw the same failure again, so the Coder's later turn does not excuse the repeat.
    assert blamed(tmp_path, "m1-handed-on", TASK, _run(in_loop=True)) == ("WebSurfer", 7, "repeated_action")
