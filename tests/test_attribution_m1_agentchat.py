"""Attribution on Magentic-One runs in both namings (issue 13): each labelled autogen-magentic-one
history of tests/data/ag2_history/ rewritten as agentchat's ``MagenticOneGroupChat`` puts the same
run in its messages (tests/m1_agentchat.py, from ``_magentic_one_orchestrator.py``,
``_magentic_one_group_chat.py``, ``_code_executor_agent.py`` and autogen-ext's
``_multimodal_web_surfer.py``): no progress ledger in the history, every orchestrator message named
``MagenticOneOrchestrator``, the task from ``user``. The label moves with its message (a ledger's to
the orchestrator's next message, where that decision first shows); the orchestrator is named as the
log names it. forensics.conventions.orchestrator_namings is the table both namings are read from."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from m1_agentchat import ORCHESTRATOR, to_agentchat
from m1_history import M1, attributed, history_doc, verdict, write_doc

from forensics.classify import classify
from forensics.load import load

#: Histories whose decisive step shows in both namings: a plan, an instruction, a replan's plan, a
#: worker's page or code, or the final answer (not a ledger's judgement, which agentchat keeps in its
#: trace log).
BOTH_NAMINGS = (
    ("magentic_one_wrong_plan.json", "plan_unbacked_fact"),
    ("magentic_one_replan_drops_fact.json", "plan_unbacked_fact"),
    ("magentic_one_replan_drops_venue.json", "replan_dropped_fact"),
    ("magentic_one_instruction_year.json", "instruction_contradicts_task"),
    ("magentic_one_instruction_statistic.json", "instruction_contradicts_task"),
    ("magentic_one_attached_to_web.json", "instruction_contradicts_task"),
    ("magentic_one_instruction_miscopied.json", "instruction_unbacked_figure"),
    ("magentic_one_answer_rounding.json", "final_answer_composed"),
    ("magentic_one_wrong_click.json", "final_answer_origin"),
    ("magentic_one_coder_exit0.json", "final_answer_origin"),
    ("magentic_one_computed_from_given.json", "computed_from_given"),
    ("magentic_one_wrong_year_source.json", "source_contradicts_task"),
    # The acceptance: autogen-magentic-one's satisfied ledger; agentchat's final answer, which
    # _prepare_final_answer writes once the (unlogged) ledger found the request satisfied.
    ("magentic_one_misread_box.json", "accepted_wrong_answer"),
    ("magentic_one_scroll_misread.json", "accepted_wrong_answer"),
    ("magentic_one_unverified.json", "unverified_accepted"),
    ("magentic_one_hedged_then_accepted.json", "unverified_accepted"),
    ("magentic_one_partial_count.json", "unverified_accepted"),
    ("magentic_one_approx_accepted.json", "unverified_accepted"),
)


@pytest.mark.parametrize(("name", "rule"), BOTH_NAMINGS)
def test_the_same_run_is_blamed_alike_in_both_namings(tmp_path: Path, name: str, rule: str) -> None:
    old = history_doc(name)
    new = to_agentchat(old)
    assert verdict(attributed(M1 / name)) == (old["mistake_agent"], int(old["mistake_step"]), rule)
    assert verdict(attributed(write_doc(tmp_path, new))) == (
        new["mistake_agent"],
        int(new["mistake_step"]),
        rule,
    )


def test_agentchat_instruction_is_blamed_on_itself_not_on_a_ledger(tmp_path: Path) -> None:
    # autogen-magentic-one: the ledger at step 6 wrote the instruction the (-> WebSurfer) message at
    # step 7 repeats. agentchat keeps the ledger in its trace log: the instruction message (step 4:
    # user, task ledger, instruction, WebSurfer, instruction) is the first place it shows.
    new = to_agentchat(history_doc("magentic_one_instruction_year.json"))
    history = new["history"]
    assert [m["role"] for m in history[:5]] == ["user", ORCHESTRATOR, ORCHESTRATOR, "WebSurfer", ORCHESTRATOR]
    assert "2021" in history[4]["content"]
    assert verdict(attributed(write_doc(tmp_path, new))) == (ORCHESTRATOR, 4, "instruction_contradicts_task")


def test_agentchat_replan_is_its_second_task_ledger(tmp_path: Path) -> None:
    # agentchat posts the task ledger again on a replan (_reenter_outer_loop), with no "New plan:":
    # the second one is the replan whose guessed join year (2011) the team searched for.
    new = to_agentchat(history_doc("magentic_one_replan_drops_fact.json"))
    plans = [
        i
        for i, m in enumerate(new["history"])
        if m["content"].lstrip().startswith("We are working to address the following user request:")
    ]
    assert plans == [1, int(new["mistake_step"])]
    assert verdict(attributed(write_doc(tmp_path, new)))[:2] == (ORCHESTRATOR, plans[1])


def test_a_failed_terminal_run_is_blamed_on_the_code_not_the_terminal(tmp_path: Path) -> None:
    # ComputerTerminal is agentchat's CodeExecutorAgent without a model client: it runs the code
    # blocks it is handed (execute_code_block) and has no choice of its own, so its failed run is
    # its author's: the Coder's script (step 3) read a file that is not there; the terminal (step 5)
    # reported it; the Coder then reported a count as if it had run.
    new = to_agentchat(history_doc("magentic_one_coder_misread.json"))
    history = new["history"]
    assert history[5]["role"] == "ComputerTerminal"
    assert history[5]["content"].startswith("The script ran, then exited with an error (POSIX exit code: 1)")
    assert "```python" in history[3]["content"]
    assert verdict(attributed(write_doc(tmp_path, new))) == ("Coder", 3, "tool_error")


def test_a_healthy_agentchat_run_stays_clean(tmp_path: Path) -> None:
    # Near miss: the healthy run in agentchat's naming (handoffs read from the next speaker, a final
    # answer read from the orchestrator's last message) raises nothing.
    new = to_agentchat(history_doc("magentic_one_healthy.json"))
    findings, runs = classify(load(write_doc(tmp_path, new), format="ag2-history")).to_polars()
    assert findings.height == 0
    assert runs.select(pl.col("primary_class").is_null().all()).item()


def test_an_estimate_in_agentchats_final_answer_is_an_unverified_acceptance(tmp_path: Path) -> None:
    # With no ledger in the messages, the final answer is where the acceptance shows: "about 86,000"
    # (step 6) accepts a value the orchestrator knows is an estimate; without "about" the figure is
    # traced to the page that held it, the surfer's reading.
    new = to_agentchat(history_doc("magentic_one_approx_accepted.json"))
    final = new["history"][-1]
    assert final["role"] == ORCHESTRATOR and "about 86,000" in final["content"]
    assert verdict(attributed(write_doc(tmp_path, new))) == (ORCHESTRATOR, 6, "unverified_accepted")
    row = attributed(write_doc(tmp_path, new))
    assert row["attribution_evidence"].startswith(
        "step 6: the orchestrator's final answer took the request as satisfied"
    )
    final["content"] = final["content"].replace("about 86,000", "86,000")
    assert verdict(attributed(write_doc(tmp_path, new))) == ("WebSurfer", 5, "accepted_wrong_answer")


def test_a_bound_in_agentchats_final_answer_is_no_estimate(tmp_path: Path) -> None:
    # Near miss: "must average at least 7.0 km/h" states a requirement, not an estimate (a ledger's
    # "at least 40,000" would be): the answer stays traced to the 3 hours the surfer reported.
    new = to_agentchat(history_doc("magentic_one_computed_from_given.json"))
    assert "at least 7.0" in new["history"][-1]["content"]
    assert verdict(attributed(write_doc(tmp_path, new))) == ("WebSurfer", 5, "computed_from_given")
