"""An answer rounding a computed figure to the power of ten the request asks ("Round to the nearest
1000 hours": "about 27,000 hours" for the terminal's 27439.3) restates it (forensics.attribution
.value_forms ``tens_roundings``, read by ledger_rules ``accepted_wrong_answer`` / ``unverified_accepted``):
the "about" is the rounding's, not a value nobody established, and the figure is traced to the code that
printed it. The answer may also write the figure in the request's unit ("27 thousand hours" for a
request asking "how many thousand hours"): a restatement of the held figure, not a figure the
orchestrator composed (``_restated_in_units``).

Histories from Magentic-One's emitting code (tests/m1_history.py: microsoft/autogen
``autogen-magentic-one`` ``agents/orchestrator.py``'s ledger and ``_prepare_final_answer``, the
Executor's "The script ran, then exited with Unix exit code: 0\\nIts output was:\\n"), and the same run
as agentchat's ``MagenticOneGroupChat`` writes it (tests/m1_agentchat.py: no ledger in the messages,
``_prepare_final_answer``'s message is the acceptance, ``CodeExecutorAgent`` replies with the output
alone)."""

from __future__ import annotations

from pathlib import Path

from m1_agentchat import ORCHESTRATOR
from m1_history import accept, attributed, plan, said, tell, verdict, write

TASK = (
    "At a steady 14 km/h, how many hours would a cyclist need to ride the 384,400 km from the Earth to "
    "the Moon? Round to the nearest 1000 hours."
)
CODE = "```python\nspeed = 14.6\ndistance = 384400\nprint(round(distance / speed, 1))\n```"
ANSWER = "At that pace the ride would take about 26,000 hours (26 thousand hours)."


def _history(task: str) -> list[dict[str, str]]:
    # Step 1 plan, 2-3 instruction, 4 the Coder's script (a speed miscopied: 14.6), 5-6 instruction,
    # 7 the terminal's 26328.8, 8-10 the ledger accepting "about 26,000", "Request satisfied.", the answer.
    return [
        plan(task, "- Distance: 384,400 km.", "- Coder: compute the hours.\n- Answer."),
        *tell("Coder", "Please write a script dividing the distance by the speed."),
        said("Coder", CODE),
        *tell("ComputerTerminal", "Please run the Coder's script."),
        said("ComputerTerminal", "The script ran, then exited with Unix exit code: 0\nIts output was:\n26328.8\n"),
        *accept("The Coder's script gives about 26,000 hours.", ANSWER),
    ]


def _agentchat(task: str, answer: str = ANSWER) -> list[dict[str, str]]:
    # agentchat's messages: the task ledger (the plan without its "Initial plan:" prefix), one
    # instruction per step from MagenticOneOrchestrator, the replies, the final answer.
    ledger = plan(task, "- Distance: 384,400 km.", "- Coder: compute the hours.\n- Answer.")["content"]
    said_by = [
        (ORCHESTRATOR, "\n" + ledger.removeprefix("Initial plan:").lstrip("\n")),
        (ORCHESTRATOR, "Please write a script dividing the distance by the speed."),
        ("Coder", CODE),
        (ORCHESTRATOR, "Please run the Coder's script."),
        ("ComputerTerminal", "26328.8\n"),
        (ORCHESTRATOR, answer),
    ]
    return [{"content": text, "role": "assistant", "name": who} for who, text in said_by]


def _named(
    tmp_path: Path, task: str, agentchat: bool = False, answer: str = ANSWER
) -> tuple[object, object, object]:
    if agentchat:
        return verdict(attributed(write(tmp_path, "m1-tens", task, _agentchat(task, answer), asker="user")))
    return verdict(attributed(write(tmp_path, "m1-tens", task, _history(task))))


def test_about_a_figure_rounded_to_the_asked_thousand_is_traced_to_its_code(tmp_path: Path) -> None:
    # "about 26,000" is 26328.8 rounded as the request asks: the terminal's figure, traced to the
    # Coder's script (step 4) that printed it; HEAD called it unverified_accepted at the ledger.
    assert _named(tmp_path, TASK) == ("Coder", 4, "accepted_wrong_answer")


def test_the_same_in_agentchats_naming(tmp_path: Path) -> None:
    # agentchat: the ledger is in the trace log only; the final answer is the acceptance, and its
    # "26 thousand hours" restates the 26,000 (no figure the orchestrator composed). The Coder's
    # script follows the task ledger and an instruction (step 3).
    assert _named(tmp_path, TASK, agentchat=True) == ("Coder", 3, "accepted_wrong_answer")


def test_about_a_thousand_the_request_did_not_ask_is_still_unestablished(tmp_path: Path) -> None:
    # Near miss: the request asks no rounding, so "about 26,000" is no rounding it asked for: an
    # approximate value accepted, the orchestrator's at its ledger (step 8).
    task = TASK.replace(" Round to the nearest 1000 hours.", "")
    assert _named(tmp_path, task) == ("Orchestrator", 8, "unverified_accepted")


def test_a_figure_no_rounding_of_the_asked_thousand_reaches_is_still_composed(tmp_path: Path) -> None:
    # Near miss: the answer states 26,500, which no step held and which is no rounding of 26328.8 to
    # the nearest 1000: the answer composed it (final_answer_composed, the answer's step 6).
    answer = "At that pace the ride would take about 26,500 hours."
    assert _named(tmp_path, TASK, agentchat=True, answer=answer)[1:] == (6, "final_answer_composed")
