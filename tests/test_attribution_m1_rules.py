"""Attribution rules that compare what a Magentic-One team did with what the request asked, and the
answer traces that read where a value was taken up (forensics.attribution.instruction_rules,
ledger_rules, plan_rules, answers, tool_rules). Each rule: a firing history (tests/data/ag2_history/, README row)
and a near miss made from it by a one-line change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from m1_history import M1, attributed, history_doc, verdict, write_doc

from forensics.load import load


def _named(path: Path, run_id: str) -> tuple[Any, Any, Any]:
    return verdict(attributed(path, run_id))


def _changed(tmp_path: Path, name: str, old: str, new: str, count: int | None = 1) -> Path:
    """A copy of a fixture history with ``old`` replaced by ``new`` in its messages and question
    (``count``: how many times it must occur; None: every occurrence, at least one)."""
    doc = history_doc(name)
    texts = [m["content"] for m in doc["history"]]
    found = sum(t.count(old) for t in texts)
    assert found == count if count is not None else found > 0, (old, found)
    for m in doc["history"]:
        m["content"] = m["content"].replace(old, new)
    doc["question"] = doc["question"].replace(old, new)
    return write_doc(tmp_path, doc, name)


def _labels(name: str) -> tuple[str, int]:
    doc = history_doc(name)
    return doc["mistake_agent"], int(doc["mistake_step"])


def test_instruction_naming_another_year_than_the_request() -> None:
    # The request and the plan are about 2019; the ledger at step 6 writes the instruction that the
    # Orchestrator (-> WebSurfer) message at step 7 repeats, sending the surfer to the 2021 table. The
    # ledger is blamed: the first place the decision appears (LedgerOrchestrator writes
    # instruction_or_question, then broadcasts it).
    agent, step = _labels("magentic_one_instruction_year.json")
    assert (agent, step) == ("Orchestrator", 6)
    assert _named(M1 / "magentic_one_instruction_year.json", "m1-instruction-year") == (
        agent,
        step,
        "instruction_contradicts_task",
    )
    assert (
        "another year"
        in attributed(M1 / "magentic_one_instruction_year.json", "m1-instruction-year")["attribution_evidence"]
    )


def test_instruction_naming_the_requests_year_is_not_a_contradiction(tmp_path: Path) -> None:
    # Near miss: the same run about the 2021 season throughout.
    path = _changed(tmp_path, "magentic_one_instruction_year.json", "2019", "2021", count=None)
    assert _named(path, "m1-instruction-year")[2] != "instruction_contradicts_task"


def test_instruction_asking_for_another_statistic() -> None:
    # The request asks for a median; the instruction to the Coder (ledger 6, message 7) asks for the mean.
    agent, step = _labels("magentic_one_instruction_statistic.json")
    assert _named(M1 / "magentic_one_instruction_statistic.json", "m1-instruction-statistic") == (
        agent,
        step,
        "instruction_contradicts_task",
    )


def test_instruction_asking_for_the_requests_statistic(tmp_path: Path) -> None:
    # Near miss: the instruction asks for the median (the answer then traces to the terminal's
    # output, the Coder's script at step 9).
    path = _changed(
        tmp_path,
        "magentic_one_instruction_statistic.json",
        "Compute the mean of the five",
        "Compute the median of the five",
        count=2,
    )
    assert _named(path, "m1-instruction-statistic") == ("Coder", 9, "final_answer_origin")


def test_request_about_an_attached_file_sent_to_the_web() -> None:
    agent, step = _labels("magentic_one_attached_to_web.json")
    assert _named(M1 / "magentic_one_attached_to_web.json", "m1-attached-to-web") == (
        agent,
        step,
        "instruction_contradicts_task",
    )


def test_request_without_an_attachment_may_go_to_the_web(tmp_path: Path) -> None:
    # Near miss: the same question about a published fleet list: the web is the right place.
    path = _changed(
        tmp_path,
        "magentic_one_attached_to_web.json",
        "the attached fleet list",
        "the published fleet list",
        count=2,
    )
    assert _named(path, "m1-attached-to-web")[2] != "instruction_contradicts_task"


def test_a_year_inside_the_tasks_file_name_is_given_by_the_task(tmp_path: Path) -> None:
    # The plan's "2025 fleet list" comes from the task's file name fabrikam_fleet_2025.xlsx ("_"
    # joins words, not digits); without it in the file name the plan's 2025 is unbacked (firing twin).
    given = _changed(
        tmp_path,
        "magentic_one_attached_to_web.json",
        "the attached fleet list",
        "the published fleet list",
        count=2,
    )
    assert _named(given, "m1-attached-to-web")[2] != "plan_unbacked_fact"
    doc = json.loads(given.read_text())
    task = doc["history"][0]["content"]
    assert "fabrikam_fleet_2025.xlsx" in task
    doc["history"][0]["content"] = task.replace("fabrikam_fleet_2025.xlsx", "fabrikam_fleet.xlsx")
    unbacked = write_doc(tmp_path, doc, "unbacked.json")
    assert _named(unbacked, "m1-attached-to-web") == ("Orchestrator", 1, "plan_unbacked_fact")


def test_worker_reading_a_source_for_another_year_whose_figures_the_team_used() -> None:
    # The FileSurfer's view (step 5) shows the 2024 sheet for a 2025 question; the Coder sums its rows.
    agent, step = _labels("magentic_one_wrong_year_source.json")
    assert (agent, step) == ("FileSurfer", 5)
    assert _named(M1 / "magentic_one_wrong_year_source.json", "m1-wrong-year-source") == (
        agent,
        step,
        "source_contradicts_task",
    )


def test_worker_reading_the_requested_years_source(tmp_path: Path) -> None:
    # Near miss: the sheet it shows is the 2025 one: the answer traces to the Coder's sum (step 9).
    path = _changed(tmp_path, "magentic_one_wrong_year_source.json", "## 2024", "## 2025")
    assert _named(path, "m1-wrong-year-source") == ("Coder", 9, "final_answer_origin")


def test_source_for_another_year_whose_figures_nobody_used(tmp_path: Path) -> None:
    # Near miss: the Coder sums other figures (its own, from nowhere in the view): the view is not blamed.
    path = _changed(
        tmp_path, "magentic_one_wrong_year_source.json", "print(4410 + 4175 + 4602)", "print(13187)"
    )
    assert _named(path, "m1-wrong-year-source")[2] != "source_contradicts_task"


def test_ledger_composing_the_final_answer_itself() -> None:
    # The ledger at step 10 adds 64 km and a 'some 40 km' target into 104, which no earlier step held.
    agent, step = _labels("magentic_one_ledger_composes_answer.json")
    row = attributed(M1 / "magentic_one_ledger_composes_answer.json", "m1-ledger-composes")
    assert verdict(row) == (
        agent,
        step,
        "accepted_wrong_answer",
    )
    assert "composed it itself" in row["attribution_evidence"]


def test_ledger_restating_a_final_answer_a_worker_found(tmp_path: Path) -> None:
    # Near miss: the surfer's results page already gave the 104 km total (step 9): traced there.
    path = _changed(
        tmp_path,
        "magentic_one_ledger_composes_answer.json",
        "Contoso Canal - Wikipedia  Length 52 km",
        "Together the two canals run 104 km",
    )
    row = attributed(path, "m1-ledger-composes")
    assert (row["decisive_agent"], row["decisive_step"]) == ("WebSurfer", 9)
    assert "composed" not in row["attribution_evidence"]


def test_a_surfer_error_the_team_got_past_is_not_the_decisive_step() -> None:
    # The unreachable site (step 5) is judged "no progress", the team searches instead and a later
    # ledger reports progress: recovered; the stall it never got out of began at step 9.
    agent, step = _labels("magentic_one_error_recovered.json")
    assert _named(M1 / "magentic_one_error_recovered.json", "m1-error-recovered") == (
        agent,
        step,
        "orchestrator_stall",
    )


def test_an_error_its_author_never_got_past_stays_decisive() -> None:
    # Near miss: the Coder's script fails at the terminal (step 9) and later ledgers report progress,
    # but no later run of the Coder's code succeeds (it reports a count the script never printed):
    # not recovered, the error is the decisive step (its author, at the code).
    assert _named(M1 / "magentic_one_coder_misread.json", "m1-misread") == ("Coder", 5, "tool_error")


def test_an_error_the_team_got_past_without_a_no_progress_ledger(tmp_path: Path) -> None:
    # Firing twin: the ledger judging the surfer's error says progress is being made; the surfer
    # then works (a page view at step 9) and a later ledger reports progress: still recovered.
    path = _changed(
        tmp_path,
        "magentic_one_error_recovered.json",
        '"reason": "The website address could not be resolved.",\n    "answer": false',
        '"reason": "The website address could not be resolved.",\n    "answer": true',
    )
    assert _named(path, "m1-error-recovered") == ("WebSurfer", 9, "orchestrator_stall")


def test_summing_for_a_requested_average_is_not_another_statistic(tmp_path: Path) -> None:
    # Near miss: the request asks for an average and the instruction sums the figures (a mean is a
    # sum divided by a count): no contradiction.
    first = _changed(tmp_path, "magentic_one_instruction_statistic.json", "median", "average", count=None)
    doc = json.loads(first.read_text())
    for m in doc["history"]:
        m["content"] = m["content"].replace("Compute the mean of the five", "Sum the five")
    path = write_doc(tmp_path, doc, "sum.json")
    assert "Sum the five" in path.read_text()
    assert _named(path, "m1-instruction-statistic")[2] != "instruction_contradicts_task"


def _tree(run_id: str, failed: bool = False, ledger: bool = False) -> Any:
    """A small span tree (not a transcript): a planner, a search tool call and an answer."""
    from span_builder import span, spans

    led = json.dumps(
        {
            "is_request_satisfied": {"reason": "No.", "answer": False},
            "is_in_loop": {"reason": "No.", "answer": False},
            "is_progress_being_made": {"reason": "Yes.", "answer": True},
            "next_speaker": {"reason": "x", "answer": "researcher"},
            "instruction_or_question": {"reason": "x", "answer": "Search."},
        }
    )
    return spans(
        span(
            "a", 0, 10, kind="agent", name="planner", output=led if ledger else "Plan: search, then answer."
        ),
        span(
            "b", 1, 3, parent_id="a", kind="agent", name="researcher", output="Searching the catalogue now."
        ),
        span(
            "c",
            3,
            5,
            parent_id="b",
            kind="tool",
            name="search",
            status="error" if failed else "ok",
            output="{}",
        ),
        span("d", 5, 9, parent_id="a", kind="agent", name="writer", output="The catalogue lists 12 items."),
        run_id=run_id,
    )


def test_a_run_a_finding_already_names_is_skipped_when_no_evidence_rule_can_fire() -> None:
    # A detector's finding named a step of run "t": no failed step, ledger, plan, answer, page view
    # or repeat: attribution names nothing (the finding's step stands) and does no per-step work.
    from forensics.attribution import _attribute
    from forensics.classify import _as_spans

    out = _attribute(_as_spans(_tree("t")), evidence_only=["t"])
    assert out.height == 0


def test_a_run_no_finding_names_still_gets_the_fallback() -> None:
    # Near miss: the same run without a finding: the first response is named (a prior).
    from forensics.attribution import _attribute
    from forensics.classify import _as_spans

    (row,) = _attribute(_as_spans(_tree("t"))).to_dicts()
    assert (row["decisive_step"], row["attribution_rule"]) == (1, "first_response")


def test_a_run_a_finding_names_keeps_an_evidence_rules_step() -> None:
    # Near miss: the finding's run has a failed tool call: tool_error still names it.
    from forensics.attribution import _attribute
    from forensics.classify import _as_spans

    (row,) = _attribute(_as_spans(_tree("t", failed=True)), evidence_only=["t"]).to_dicts()
    assert row["attribution_rule"] == "tool_error"


def test_an_orchestrated_run_keeps_its_fallback_even_with_a_finding() -> None:
    # Near miss: a run that keeps a progress ledger is a Magentic-One transcript: a fallback still
    # names it (here first_response: its orchestrator's only step is the first, the ledger).
    from forensics.attribution import FALLBACK_RULES, _attribute
    from forensics.classify import _as_spans

    (row,) = _attribute(_as_spans(_tree("t", ledger=True)), evidence_only=["t"]).to_dicts()
    assert row["attribution_rule"] in FALLBACK_RULES


def test_instruction_year_within_the_span_the_request_names(tmp_path: Path) -> None:
    # Near miss: the request asks about the seasons between 2018 and 2022; the instruction's 2021
    # lies within that span (the firing twin's request names 2019 alone).
    doc = history_doc("magentic_one_instruction_year.json")
    task = doc["history"][0]["content"]
    assert "in the 2019 season" in task
    doc["history"][0]["content"] = task.replace("in the 2019 season", "in any season between 2018 and 2022")
    path = write_doc(tmp_path, doc, "span.json")
    assert _named(path, "m1-instruction-year")[2] != "instruction_contradicts_task"


def test_an_error_the_orchestrator_took_over_is_not_the_decisive_step() -> None:
    # The surfer's click fails (step 9) and the next ledger says no progress: the orchestrator took
    # the failure over and asked the Coder, who has no browser; its recollection ("approximately 480")
    # was accepted at step 14. The acceptance decided the run, not the failed click.
    agent, step = _labels("magentic_one_error_then_guess.json")
    assert (agent, step) == ("Orchestrator", 14)
    assert _named(M1 / "magentic_one_error_then_guess.json", "m1-error-then-guess") == (
        agent,
        step,
        "unverified_accepted",
    )


def test_an_error_the_next_ledger_took_for_progress_stays_decisive(tmp_path: Path) -> None:
    # Near miss: the ledger after the failed click says progress is being made (it misread the
    # failure): the failure is still the decisive step.
    path = _changed(
        tmp_path,
        "magentic_one_error_then_guess.json",
        '"reason": "The WebSurfer could not click the link.",\n    "answer": false',
        '"reason": "The WebSurfer could not click the link.",\n    "answer": true',
    )
    assert _named(path, "m1-error-then-guess") == ("WebSurfer", 9, "tool_error")


def test_a_ledger_accepting_an_approximate_answer() -> None:
    # The surfer's encyclopedia page shows "c. 86,000 (2021)" for a 2018 question; the ledger at
    # step 10 accepts "about 86,000 visitors", the final answer's figure: the orchestrator accepted
    # a value it knew was approximate (which wins over where the figure came from).
    agent, step = _labels("magentic_one_approx_accepted.json")
    row = attributed(M1 / "magentic_one_approx_accepted.json", "m1-approx-accepted")
    assert verdict(row) == (
        agent,
        step,
        "unverified_accepted",
    )


def test_a_ledger_accepting_the_figure_without_calling_it_approximate(tmp_path: Path) -> None:
    # Near miss: the ledger and the answer state 86,000 as a plain figure: no acceptance of an
    # approximation; the page the figure came from (for another year) is blamed instead.
    path = _changed(tmp_path, "magentic_one_approx_accepted.json", "about 86,000", "86,000", count=None)
    agent, step, rule = _named(path, "m1-approx-accepted")
    assert (agent, step) == ("WebSurfer", 9)
    assert rule != "unverified_accepted"


def test_a_file_question_handed_to_the_web_once_the_file_could_not_be_read() -> None:
    # The FileSurfer cannot render the attached spreadsheet; the ledger at step 6 (no progress)
    # sends the request's subject (the Proseware Brass Band's tour budget) to the WebSurfer.
    agent, step = _labels("magentic_one_file_to_web.json")
    assert _named(M1 / "magentic_one_file_to_web.json", "m1-file-to-web") == (
        agent,
        step,
        "instruction_contradicts_task",
    )


def test_asking_the_web_how_to_read_the_file_is_not_handing_it_the_question(tmp_path: Path) -> None:
    # Near miss: the stuck team asks the web how to read the file format (not the request's subject).
    path = _changed(
        tmp_path,
        "magentic_one_file_to_web.json",
        "search the web for the Proseware Brass Band's autumn tour budget and find the cost of the ferry crossings",
        "search the web for a way to read spreadsheets saved by the macOS spreadsheet app",
        count=2,
    )
    assert _named(path, "m1-file-to-web")[2] != "instruction_contradicts_task"


def test_a_split_year_names_both_of_its_years(tmp_path: Path) -> None:
    # A request about the 2020-21 season spans 2020 and 2021: an instruction naming 2021 is inside
    # it (near miss); one about 2018-19 does not span 2021 (still fires).
    from forensics.attribution.common import _years

    years = pl.DataFrame({"t": ["from 2018-19 to 2019-20", "on 2026-10-03"]}).select(_years(pl.col("t")))
    assert [sorted(y) for y in years.to_series().to_list()] == [["2018", "2019", "2020"], ["2026"]]
    inside = _changed(tmp_path, "magentic_one_instruction_year.json", "2019", "2020-21", count=None)
    assert _named(inside, "m1-instruction-year")[2] != "instruction_contradicts_task"
    (tmp_path / "other").mkdir()
    outside = _changed(
        tmp_path / "other", "magentic_one_instruction_year.json", "2019", "2018-19", count=None
    )
    assert _named(outside, "m1-instruction-year")[2] == "instruction_contradicts_task"


def test_a_page_opened_as_told_is_not_where_the_surfer_took_its_figure_up() -> None:
    # The surfer clicks the result the orchestrator named (step 9); the page shows two lengths, and
    # its own report (step 13) gives the wrong one: the report is where the figure was taken up.
    agent, step = _labels("magentic_one_misread_box.json")
    assert (agent, step) == ("WebSurfer", 13)
    assert _named(M1 / "magentic_one_misread_box.json", "m1-misread-box")[:2] == (agent, step)


def test_a_page_the_surfer_chose_itself_holds_the_figure_it_took(tmp_path: Path) -> None:
    # Near miss: the instruction does not name what the surfer clicked: opening that page was the
    # surfer's own choice, and the page is where the figure entered the run.
    path = _changed(
        tmp_path,
        "magentic_one_misread_box.json",
        "Please click the 'Our history | Contoso Ferry Company' result.",
        "Please open the company's page about its past.",
        count=2,
    )
    assert _named(path, "m1-misread-box")[:2] == ("WebSurfer", 9)


def test_a_stall_on_a_page_opened_as_told_began_with_the_surfers_first_own_action() -> None:
    # The surfer opens the archive it was told to open (step 9) and scrolls it (from step 13) until
    # "Max rounds (12) reached.": its first scroll, not the instructed click, is blamed.
    agent, step = _labels("magentic_one_scroll_loop.json")
    assert (agent, step) == ("WebSurfer", 13)
    assert _named(M1 / "magentic_one_scroll_loop.json", "m1-scroll-loop") == (
        agent,
        step,
        "orchestrator_stall",
    )


def test_a_stall_on_a_page_the_surfer_chose_began_when_it_opened_it(tmp_path: Path) -> None:
    # Near miss: the instruction does not name the archive the surfer clicked: the click is blamed.
    path = _changed(
        tmp_path,
        "magentic_one_scroll_loop.json",
        "Please open 'Results archive | Fabrikam Fell Runners' and find the 2022 race.",
        "Please open the club's page of old races and find the 2022 race.",
        count=2,
    )
    assert _named(path, "m1-scroll-loop") == ("WebSurfer", 9, "orchestrator_stall")


def test_a_ledger_resting_a_claim_on_the_fact_sheets_guess() -> None:
    # The initial fact sheet (step 1) guesses a child ticket is half the adult price; the ledger at
    # step 10 says "Per the fact sheet, a child ticket costs half the adult price" and the Coder
    # computes with it: the plan's guess decided the run.
    agent, step = _labels("magentic_one_plan_relied_on.json")
    assert (agent, step) == ("Orchestrator", 1)
    assert _named(M1 / "magentic_one_plan_relied_on.json", "m1-plan-relied-on") == (
        agent,
        step,
        "plan_relied_on",
    )


def test_a_ledger_citing_the_plan_for_what_to_do_next(tmp_path: Path) -> None:
    # Near miss: the ledger cites the plan for the next step, not for a fact.
    path = _changed(
        tmp_path,
        "magentic_one_plan_relied_on.json",
        "Per the fact sheet, a child ticket costs half the adult price.",
        "This is the next step of the plan.",
    )
    assert _named(path, "m1-plan-relied-on")[2] != "plan_relied_on"


def test_a_ledger_citing_the_fact_sheet_for_what_the_request_says(tmp_path: Path) -> None:
    # Near miss: the fact the ledger takes from the fact sheet is the request's own (two adults and
    # two children): nothing the plan assumed.
    path = _changed(
        tmp_path,
        "magentic_one_plan_relied_on.json",
        "Per the fact sheet, a child ticket costs half the adult price.",
        "Per the fact sheet, the family is two adults and two children.",
    )
    assert _named(path, "m1-plan-relied-on")[2] != "plan_relied_on"


def test_an_answer_rounding_to_another_precision_than_asked() -> None:
    # The terminal prints 24.333333333333332 (step 13); the final answer (step 16) gives 24.33 where
    # the request asks for one decimal place: the answer step, not where the mean came from.
    agent, step = _labels("magentic_one_answer_rounding.json")
    assert (agent, step) == ("Orchestrator", 16)
    row = attributed(M1 / "magentic_one_answer_rounding.json", "m1-answer-rounding")
    assert verdict(row) == (
        agent,
        step,
        "final_answer_composed",
    )
    assert "2 decimals where the request asks for 1" in row["attribution_evidence"]


def test_an_answer_rounding_to_the_asked_precision(tmp_path: Path) -> None:
    # Near misses: 24.33 where two decimal places are asked, and 24.3 where one is asked.
    path = _changed(
        tmp_path,
        "magentic_one_answer_rounding.json",
        "Round to one decimal place.",
        "Round to two decimal places.",
        count=None,
    )
    assert _named(path, "m1-answer-rounding")[2] != "final_answer_composed"
    (tmp_path / "one").mkdir()
    path = _changed(
        tmp_path / "one",
        "magentic_one_answer_rounding.json",
        "tickets is 24.33 pounds",
        "tickets is 24.3 pounds",
    )
    assert _named(path, "m1-answer-rounding")[2] != "final_answer_composed"


def test_an_answer_computing_a_figure_no_step_held(tmp_path: Path) -> None:
    # Firing twin: the answer states 24.5, which is no rounding of any earlier figure: computed there.
    path = _changed(
        tmp_path, "magentic_one_answer_rounding.json", "tickets is 24.33 pounds", "tickets is 24.5 pounds"
    )
    row = attributed(path, "m1-answer-rounding")
    assert (row["decisive_step"], row["attribution_rule"]) == (16, "final_answer_composed")
    assert "computed in the answer itself" in row["attribution_evidence"]


def test_an_answer_restating_a_figure_in_another_unit_of_ten(tmp_path: Path) -> None:
    # Near miss: 2433 (pence, the mean times 100, as printed) is a restatement, not a composition.
    path = _changed(tmp_path, "magentic_one_answer_rounding.json", "24.333333333333332\n", "24.33\n", count=1)
    doc = json.loads(path.read_text())
    doc["history"][16]["content"] = "\nThe mean price of the three day tickets is 2433 pence."
    path.write_text(json.dumps(doc))
    assert _named(path, "m1-answer-rounding")[2] != "final_answer_composed"


def test_a_ledger_saying_what_the_fact_sheet_says(tmp_path: Path) -> None:
    # Firing twin in other words: "The fact sheet says that ..." rests the claim on the plan too.
    path = _changed(
        tmp_path,
        "magentic_one_plan_relied_on.json",
        "Per the fact sheet, a child ticket costs half the adult price.",
        "The fact sheet says that a child ticket costs half the adult price.",
    )
    assert _named(path, "m1-plan-relied-on") == ("Orchestrator", 1, "plan_relied_on")


def test_a_ledger_accepting_a_lower_bound_as_the_answer(tmp_path: Path) -> None:
    # Firing twin: "more than 86,000" is no more established than "about 86,000".
    path = _changed(
        tmp_path, "magentic_one_approx_accepted.json", "about 86,000", "more than 86,000", count=None
    )
    assert _named(path, "m1-approx-accepted") == ("Orchestrator", 10, "unverified_accepted")


def test_an_answer_restating_a_figure_in_another_spelling(tmp_path: Path) -> None:
    # Near miss: the answer adds the date the page gave as 2024-05-07 ("7 May"): 7 is held by value
    # (07), not a number composed in the answer, whatever precision the request asks for.
    path = _changed(
        tmp_path, "magentic_one_answer_rounding.json", "Child 18 pounds", "Child 18 pounds (from 2024-05-07)"
    )
    doc = json.loads(path.read_text())
    doc["history"][16]["content"] = (
        "\nThe mean price of the three day tickets (prices from 7 May) is 24.3 pounds."
    )
    path.write_text(json.dumps(doc))
    assert _named(path, "m1-answer-rounding")[2] != "final_answer_composed"


def test_a_ledger_accepting_a_recollection(tmp_path: Path) -> None:
    # Firing twin: the Coder states a plain 480 but says it answers from memory, without a browser:
    # accepting it is still the orchestrator's acceptance of an unestablished value.
    path = _changed(tmp_path, "magentic_one_error_then_guess.json", "approximately 480", "480", count=None)
    assert _named(path, "m1-error-then-guess") == ("Orchestrator", 14, "unverified_accepted")


def test_a_ledger_accepting_a_stated_figure(tmp_path: Path) -> None:
    # Near miss: the Coder states the figure plainly (no recollection, no approximation).
    first = _changed(tmp_path, "magentic_one_error_then_guess.json", "approximately 480", "480", count=None)
    doc = json.loads(first.read_text())
    for m in doc["history"]:
        m["content"] = m["content"].replace(
            "I can't browse the web, but from what I know Tailspin Hall is the school's main concert hall and seats 480 people.",
            "Tailspin Hall is the school's main concert hall and seats 480 people.",
        )
    path = write_doc(tmp_path, doc, "plain.json")
    assert "from what I know" not in path.read_text()
    assert _named(path, "m1-error-then-guess")[2] != "unverified_accepted"


def test_a_figure_read_off_a_page_scrolled_to_is_the_surfers_reading() -> None:
    # The surfer opens the report (step 9), scrolls it (step 13: the same url, a table row holding
    # both the average 0.38 and the range up to 0.72) and, asked for the highest level, answers 0.38
    # in its own words (step 17). A further view of a page already open shows the figure among the
    # rest of the page; the reading that picked it is the surfer's mistake.
    agent, step = _labels("magentic_one_scroll_misread.json")
    assert (agent, step) == ("WebSurfer", 17)
    assert _named(M1 / "magentic_one_scroll_misread.json", "m1-scroll-misread")[:2] == (agent, step)


def test_a_figure_on_a_new_page_the_surfer_opened_is_that_pages(tmp_path: Path) -> None:
    # Near miss: the table is a page of its own that the surfer clicked through to (another url,
    # a target no instruction named): opening it showed the figure, so that step is blamed.
    path = _changed(
        tmp_path,
        "magentic_one_scroll_misread.json",
        "I scrolled down one page in the browser.\n\nHere is a screenshot of [2023_dwr.pdf]"
        "(https://www.fabrikamwater.example/docs/2023_dwr.pdf)",
        "I clicked 'Well water results'.\n\nHere is a screenshot of [Well water results]"
        "(https://www.fabrikamwater.example/quality/wells)",
    )
    assert _named(path, "m1-scroll-misread")[:2] == ("WebSurfer", 13)


def test_plain_code_over_a_figure_it_was_handed_is_the_figures_fault() -> None:
    # The surfer opens the 2016 rules (step 9: 3 hours), the orchestrator hands the Coder "3 hours"
    # and the Coder's script only divides the course by it (step 17, exit 0, 7.0): the answer is as
    # wrong as the figure; the page that gave it is blamed, not the arithmetic.
    agent, step = _labels("magentic_one_computed_from_given.json")
    assert (agent, step) == ("WebSurfer", 9)
    row = attributed(M1 / "magentic_one_computed_from_given.json", "m1-computed-from-given")
    assert verdict(row) == (
        agent,
        step,
        "computed_from_given",
    )
    assert "from 3," in row["attribution_evidence"]


def test_code_with_logic_of_its_own_stays_its_authors(tmp_path: Path) -> None:
    # Near miss: the same figures through a function the Coder wrote: the code may compute the
    # wrong thing, so the terminal's result stays the Coder's (the answer trace names its code step).
    path = _changed(
        tmp_path,
        "magentic_one_computed_from_given.json",
        "speed = distance_km / hours\n",
        "def speed_for(km, h):\n    return km / h\n\nspeed = speed_for(distance_km, hours)\n",
    )
    assert _named(path, "m1-computed-from-given") == ("Coder", 17, "accepted_wrong_answer")


def test_a_ledger_accepting_a_value_its_reporter_could_not_confirm() -> None:
    # The surfer lists 7 bridges and says it could not confirm which are Grade I (step 9); after a
    # page view of the contents (step 13), the ledger at step 14 accepts 7. The value was not
    # established when it was first reported: the orchestrator accepted it, whatever it judged last.
    agent, step = _labels("magentic_one_hedged_then_accepted.json")
    assert (agent, step) == ("Orchestrator", 14)
    row = attributed(M1 / "magentic_one_hedged_then_accepted.json", "m1-hedged-then-accepted")
    assert verdict(row) == (
        agent,
        step,
        "unverified_accepted",
    )
    assert "first reported" in row["attribution_evidence"]


def test_a_ledger_accepting_a_value_its_reporter_stated(tmp_path: Path) -> None:
    # Near miss: the surfer states the count as found; the answer traces to its report.
    path = _changed(
        tmp_path,
        "magentic_one_hedged_then_accepted.json",
        "so I could not confirm which of them are Grade I.",
        "and all 7 of them are listed as Grade I.",
    )
    assert _named(path, "m1-hedged-then-accepted") == ("WebSurfer", 9, "accepted_wrong_answer")


def test_a_stall_on_the_action_the_worker_already_took_before_the_replan() -> None:
    # The surfer types the year into the newsletter's 'Email address' box (step 13) instead of the
    # archive search; the team stalls and replans; after the replan it does the same, word for word on
    # the same page (step 32), until max rounds. The replan reset the history, not the action: the
    # stall began at its first time.
    agent, step = _labels("magentic_one_replan_same_action.json")
    assert (agent, step) == ("WebSurfer", 13)
    row = attributed(M1 / "magentic_one_replan_same_action.json", "m1-replan-same-action")
    assert verdict(row) == (
        agent,
        step,
        "orchestrator_stall",
    )


def test_a_stall_on_a_new_action_after_the_replan(tmp_path: Path) -> None:
    # Near miss: after the replan the surfer types into another box (a new action): the stall that
    # ended the run began there, after the replan.
    doc = history_doc("magentic_one_replan_same_action.json")
    replan = max(i for i, m in enumerate(doc["history"]) if m["content"].startswith("New plan:"))
    for m in doc["history"][replan:]:
        m["content"] = m["content"].replace("into 'Email address'", "into 'Club news search'")
    path = write_doc(tmp_path, doc, "replan_new_action.json")
    from forensics.attribution import _stalls, _steps
    from forensics.classify import _as_spans

    stall = _stalls(_steps(_as_spans(load(path, format="ag2-history"))))
    assert stall.select("decisive_agent", "decisive_step").row(0) == ("WebSurfer", 32)
    # (the run as a whole is named at the reopened page, 28, which repeats step 9 word for word)
    agent, step, _ = _named(path, "m1-replan-same-action")
    assert agent == "WebSurfer" and step > replan


def test_a_stall_that_began_with_a_scroll_the_orchestrator_asked_for() -> None:
    # The surfer reports the register is members-only (step 9); the ledger at step 10 tells it to
    # scroll the sign-in page for listings, and it scrolls as told until max rounds: the surfer did
    # as it was told, so the stall began with the instruction (the ledger that wrote it).
    agent, step = _labels("magentic_one_scroll_as_told.json")
    assert (agent, step) == ("Orchestrator", 10)
    row = attributed(M1 / "magentic_one_scroll_as_told.json", "m1-scroll-as-told")
    assert verdict(row) == (
        agent,
        step,
        "orchestrator_stall",
    )
    assert "did as the instruction" in row["attribution_evidence"]


def test_a_stall_that_began_with_a_scroll_of_the_surfers_own(tmp_path: Path) -> None:
    # Near miss: the instructions ask it to find the listings, not to scroll: the scroll was the
    # surfer's own choice, and its first scroll is blamed.
    path = _changed(
        tmp_path,
        "magentic_one_scroll_as_told.json",
        "Please scroll down the page to find the listings",
        "Please find the listings on this page",
        count=None,
    )
    assert _named(path, "m1-scroll-as-told") == ("WebSurfer", 13, "orchestrator_stall")


def test_a_month_the_accepting_ledger_names_is_no_fact_to_trace(tmp_path: Path) -> None:
    # The ledger's reason dates the figure ("... in May") and an earlier instruction names the same
    # month: a month dates a fact, it is not one, so the figure is still traced (to the surfer's
    # reading, step 17), not the month (to the instruction, step 7).
    doc = history_doc("magentic_one_scroll_misread.json")
    for m in doc["history"]:
        m["content"] = m["content"].replace(
            "Open the 2023 Drinking Water Report PDF.", "Open the 2023 report PDF published in May."
        )
        m["content"] = m["content"].replace(
            "0.38 mg/L, from Table 1.", "0.38 mg/L, from Table 1 of the report published in May."
        )
    assert sum("published in May" in m["content"] for m in doc["history"]) == 3  # ledger, handoff, reason
    path = write_doc(tmp_path, doc, "month.json")
    assert _named(path, "m1-scroll-misread") == ("WebSurfer", 17, "accepted_wrong_answer")


def test_a_run_a_worker_halted_is_answered_by_its_last_message() -> None:
    # The Coder's script converts with the wrong factor (step 5, exit 0 at step 9); asked for the
    # result, the Coder states it and says TERMINATE (step 13): "Coder requested halt."
    # (base_orchestrator.py, request_halt). Its answer's figures trace to the terminal's output,
    # which is the code's author's, at the code.
    agent, step = _labels("magentic_one_coder_halts.json")
    assert (agent, step) == ("Coder", 5)
    row = attributed(M1 / "magentic_one_coder_halts.json", "m1-coder-halts")
    assert verdict(row) == (
        agent,
        step,
        "halted_answer_origin",
    )


def test_a_run_that_ran_out_of_rounds_was_not_answered_by_a_halt(tmp_path: Path) -> None:
    # Near miss: the same run ended by the round limit: no worker's message was the answer.
    path = _changed(
        tmp_path, "magentic_one_coder_halts.json", "Coder requested halt.", "Max rounds (10) reached."
    )
    assert _named(path, "m1-coder-halts")[2] != "halted_answer_origin"


def test_a_replan_that_drops_a_fact_the_team_acted_on() -> None:
    # The press release (step 5) puts the exhibition in the Riverside Pavilion, ticketed separately;
    # the orchestrator sends the surfer to the pavilion's page (ledger 6), a 404 stalls the team and
    # the new plan (step 12) no longer names the pavilion: the team answers with the main building's
    # admission. The replan reset every history to that plan: it is blamed.
    agent, step = _labels("magentic_one_replan_drops_venue.json")
    assert (agent, step) == ("Orchestrator", 12)
    row = attributed(M1 / "magentic_one_replan_drops_venue.json", "m1-replan-drops-venue")
    assert verdict(row) == (
        agent,
        step,
        "replan_dropped_fact",
    )
    assert "'Riverside'" in row["attribution_evidence"]


def test_a_replan_that_keeps_the_fact(tmp_path: Path) -> None:
    # Near miss: the new plan's fact sheet keeps the pavilion: nothing was dropped.
    doc = history_doc("magentic_one_replan_drops_venue.json")
    (i,) = [i for i, m in enumerate(doc["history"]) if m["content"].startswith("New plan:")]
    doc["history"][i]["content"] = doc["history"][i]["content"].replace(
        "on March 16, 2019.", "on March 16, 2019, in the Riverside Pavilion, ticketed separately.", 1
    )
    path = write_doc(tmp_path, doc, "replan_keeps.json")
    assert _named(path, "m1-replan-drops-venue")[2] != "replan_dropped_fact"


def _guessed_venue(tmp_path: Path, reported: bool) -> Path:
    """The venue fixture whose initial plan already guesses the pavilion (ORCHESTRATOR_CLOSED_BOOK_PROMPT's
    "4. EDUCATED GUESSES"); ``reported``: the press release (step 5) then names it, else it does not."""
    doc = history_doc("magentic_one_replan_drops_venue.json")
    doc["history"][1]["content"] = doc["history"][1]["content"].replace(
        "4. EDUCATED GUESSES\n\n- None.", "4. EDUCATED GUESSES\n\n- The exhibition may be in the Riverside Pavilion.", 1
    )
    if not reported:
        doc["history"][5]["content"] = doc["history"][5]["content"].replace("Riverside Pavilion", "new wing")
    path = write_doc(tmp_path, doc, "replan_guessed.json")
    return path


def test_a_replan_drops_a_fact_the_first_plan_had_only_guessed(tmp_path: Path) -> None:
    # The first plan guessed the pavilion; the press release (step 5) reported it, the orchestrator
    # acted on it and the new plan (step 12) dropped it: a guess is not learned, the report was.
    assert _named(_guessed_venue(tmp_path, reported=True), "m1-replan-drops-venue") == (
        "Orchestrator",
        12,
        "replan_dropped_fact",
    )


def test_a_replan_drops_a_guess_no_worker_reported(tmp_path: Path) -> None:
    # Near miss: no worker ever reported the pavilion (the press release names a new wing): the new
    # plan dropped a guess, not a fact the team had learned.
    assert _named(_guessed_venue(tmp_path, reported=False), "m1-replan-drops-venue")[2] != "replan_dropped_fact"


# Round 5 of issue 13: final_answer_departs (answers.py) and replan_repeated_instruction
# (handoff_rules.py), each with its fixture history (README row) and near misses.


def _with_message(tmp_path: Path, name: str, step: int, old: str, new: str) -> Path:
    """A copy of a fixture history whose message at ``step`` has ``old`` (present) replaced by ``new``."""
    doc = history_doc(name)
    assert old in doc["history"][step]["content"], (step, old)
    doc["history"][step]["content"] = doc["history"][step]["content"].replace(old, new)
    path = write_doc(tmp_path, doc, name)
    return path


DEPARTS = "magentic_one_final_answer_departs.json"
REPLAN = "magentic_one_replan_repeats.json"


def test_final_answer_departing_from_the_accepted_figure_is_the_answers() -> None:
    # The surfer reads 38,750 for 2021 (step 9) off a page that also lists 2019's 57,900 (step 5); the
    # ledger at step 10 accepts 38,750; the final answer (step 12) states 57,900.
    assert _labels(DEPARTS) == ("Orchestrator", 12)
    row = attributed(M1 / DEPARTS, "m1-final-answer-departs")
    assert verdict(row) == (
        "Orchestrator",
        12,
        "final_answer_departs",
    )
    assert "57900" in row["attribution_evidence"] and "38750" in row["attribution_evidence"]


def test_final_answer_stating_the_accepted_figure_is_no_departure(tmp_path: Path) -> None:
    # Near miss: the answer states the accepted 38,750: where 38,750 came from decides (the surfer's page).
    path = _with_message(tmp_path, DEPARTS, 12, "57,900", "38,750")
    row = attributed(path, "m1-final-answer-departs")
    assert row["attribution_rule"] != "final_answer_departs"
    assert (row["decisive_agent"], row["decisive_step"]) == ("WebSurfer", 5)


def test_final_answer_rounding_the_accepted_figure_is_no_departure(tmp_path: Path) -> None:
    # Near miss: "about 39,000" restates 38,750 (within 5 %).
    path = _with_message(tmp_path, DEPARTS, 12, "57,900", "about 39,000")
    assert attributed(path, "m1-final-answer-departs")["attribution_rule"] != "final_answer_departs"


def test_replan_sending_the_stalled_instruction_again_is_the_replans() -> None:
    # A human check blocks the collection page twice (steps 5, 9); the ledgers say no progress and
    # loop; the new plan (step 12) sends the surfer to the same page word for word (14), and again
    # after the second replan (25), until the round limit.
    assert _labels(REPLAN) == ("Orchestrator", 12)
    row = attributed(M1 / REPLAN, "m1-replan-repeats")
    assert verdict(row) == (
        "Orchestrator",
        12,
        "replan_repeated_instruction",
    )


def test_replan_with_a_new_instruction_is_not_a_repeat(tmp_path: Path) -> None:
    # Near miss: the first instruction after the first replan searches the web instead.
    path = _with_message(
        tmp_path,
        REPLAN,
        14,
        "Open https://collections.wingtipaviation.example/objects/t4 and read the wingspan of the Tailspin T-4.",
        "Search the web for the Tailspin T-4 glider's wingspan.",
    )
    row = attributed(path, "m1-replan-repeats")
    # The second replan (23) still repeats step 3's instruction: that replan is named, not the first.
    assert verdict(row) == (
        "Orchestrator",
        23,
        "replan_repeated_instruction",
    )


def test_replan_after_progress_is_not_a_repeat(tmp_path: Path) -> None:
    # Near miss: the ledger at step 6 judged the first reply as progress out of a loop, and the second
    # replan's instruction differs: the first repeat after the replan was not the one the team stalled on.
    doc = history_doc(REPLAN)
    for step in (6, 10):
        led = json.loads(doc["history"][step]["content"].removeprefix("Updated Ledger:\n"))
        led["is_progress_being_made"]["answer"] = True
        led["is_in_loop"]["answer"] = False
        doc["history"][step]["content"] = "Updated Ledger:\n" + json.dumps(led, indent=2)
    doc["history"][25]["content"] = "Search the web for the Tailspin T-4 glider's wingspan."
    path = write_doc(tmp_path, doc, REPLAN)
    assert attributed(path, "m1-replan-repeats")["attribution_rule"] != "replan_repeated_instruction"


def test_filesurfer_stuck_on_its_own_path_stays_decisive_over_a_repeating_replan(tmp_path: Path) -> None:
    # A worker stuck by its own doing before the replan is earlier than the replan that repeated the
    # instruction: the FileSurfer opens /<file> at the root (RequestsMarkdownBrowser's "Error 404"),
    # retries, the team replans with the same instruction.
    task = (
        "What is the total of the 'Fuel' column for March in the attached spreadsheet? The question is about a "
        "file, document or image, which can be accessed by the filename 'f3.xlsx' in the current working directory."
    )
    instr = "Please open the file 'f3.xlsx' in the current working directory and show the March rows."
    view = (
        "Address: file:///f3.xlsx\nTitle: Error 404\nViewport position: Showing page 1 of 1.\n"
        "=======================\n## Error 404\n\nFile not found: /f3.xlsx"
    )

    def ledger(progress: bool, loop: bool = False) -> str:
        d = {
            "is_request_satisfied": {"reason": "Not yet.", "answer": False},
            "is_in_loop": {"reason": "Loop?", "answer": loop},
            "is_progress_being_made": {"reason": "Progress?", "answer": progress},
            "next_speaker": {"reason": "The file.", "answer": "FileSurfer"},
            "instruction_or_question": {"reason": "Next.", "answer": instr},
        }
        return "Updated Ledger:\n" + json.dumps(d, indent=2)

    turn = [ledger(True), instr, "Next speaker FileSurfer", view]
    roles = ["Orchestrator (thought)", "Orchestrator (-> FileSurfer)", "Orchestrator (thought)", "FileSurfer"]
    msgs = [
        (task, "human"),
        ("Initial plan:\n\n- FileSurfer: open the spreadsheet.", "Orchestrator (thought)"),
    ]
    msgs += list(zip(turn, roles, strict=True))
    msgs += list(zip([ledger(False), *turn[1:]], roles, strict=True))
    msgs += [
        (ledger(False, loop=True), "Orchestrator (thought)"),
        ("Stalled.... Replanning...", "Orchestrator (thought)"),
    ]
    msgs += [("New plan:\n\n- FileSurfer: open the spreadsheet again.", "Orchestrator (thought)")]
    msgs += list(zip([ledger(False), *turn[1:]], roles, strict=True))
    msgs += list(zip([ledger(False, loop=True), *turn[1:]], roles, strict=True))
    msgs += [("Max rounds (12) reached.", "Orchestrator (termination condition)")]
    doc = {
        "question": task,
        "question_ID": "m1-fs-404",
        "history": [{"content": c, "role": r} for c, r in msgs],
    }
    (tmp_path / "fs.json").write_text(json.dumps(doc))
    row = attributed(tmp_path / "fs.json", "m1-fs-404")
    assert (row["decisive_agent"], row["decisive_step"]) == ("FileSurfer", 5)


PARTIAL = "magentic_one_partial_count.json"


def test_ledger_taking_a_part_for_the_whole_is_unverified() -> None:
    # The surfer says the list shows "the first 10 of 24" winners (step 9); the ledger at step 10 accepts 10.
    assert _labels(PARTIAL) == ("Orchestrator", 10)
    assert _named(M1 / PARTIAL, "m1-partial-count") == ("Orchestrator", 10, "unverified_accepted")


def test_a_count_without_paging_words_is_no_part(tmp_path: Path) -> None:
    # Near miss: "10 of 24" without "first"/"showing" or a range is a count among a whole (7 of the 24
    # winners were directed by women), not a page of a list: where 10 came from decides.
    doc = history_doc(PARTIAL)
    doc["history"][5]["content"] = doc["history"][5]["content"].replace(
        "Showing 1-10 of 24 winners", "24 winners"
    )
    doc["history"][9]["content"] = "10 of the 24 Audience Award winners from 1995 to 2019 were documentaries."
    path = write_doc(tmp_path, doc, PARTIAL)
    assert _named(path, "m1-partial-count") == ("WebSurfer", 9, "accepted_wrong_answer")


def test_ledger_accepting_the_whole_is_no_part(tmp_path: Path) -> None:
    # Near miss: the ledger states the whole, 24: the part rule does not read it.
    doc = history_doc(PARTIAL)
    for step in (10, 12):
        doc["history"][step]["content"] = doc["history"][step]["content"].replace("10 films", "24 films")
    path = write_doc(tmp_path, doc, PARTIAL)
    assert _named(path, "m1-partial-count")[2] == "accepted_wrong_answer"


RETRY = "magentic_one_retry_then_coder.json"


def test_recovered_repeat_and_a_coders_own_constant() -> None:
    # The surfer's retried visit shows the same error page word for word (steps 5, 9); a search finds
    # 23.4 miles (step 13) and the ledger reports progress (14); the Coder converts with 1.6 km per mile
    # (step 17), the terminal prints 37.4 (21), the ledger and the final answer state 37.4.
    assert _labels(RETRY) == ("Coder", 17)
    row = attributed(M1 / RETRY, "m1-retry-then-coder")
    assert verdict(row) == (
        "Coder",
        17,
        "accepted_wrong_answer",
    )
    assert "37.4" in row["attribution_evidence"]


def test_a_repeat_never_got_past_stays_evidence(tmp_path: Path) -> None:
    # Near miss: the surfer's third reply (step 13) is the same error page again: it never said
    # anything else after the repeat, so the repeat is the loop.
    doc = history_doc(RETRY)
    doc["history"][13]["content"] = doc["history"][9]["content"]
    path = write_doc(tmp_path, doc, RETRY)
    assert _named(path, "m1-retry-then-coder") == ("WebSurfer", 9, "repeated_action")


def test_a_factor_the_request_gives_is_computed_from_given(tmp_path: Path) -> None:
    # Near miss: the request gives the factor ("Use 1.6 km to the mile."): the code computed what it was
    # handed, so the figure's first taking up (the surfer's search page, its own query) is named.
    path = _changed(
        tmp_path,
        RETRY,
        "Answer to one decimal place.",
        "Use 1.6 km to the mile. Answer to one decimal place.",
        count=None,
    )
    assert _named(path, "m1-retry-then-coder") == ("WebSurfer", 13, "computed_from_given")


def test_the_answer_messages_figure_is_the_one_traced(tmp_path: Path) -> None:
    # Near miss: the Orchestrator (final answer) states the miles only: the ledger's 23.4 is traced.
    path = _with_message(tmp_path, RETRY, 24, "37.4 km", "23.4 miles")
    assert _named(path, "m1-retry-then-coder") == ("WebSurfer", 13, "accepted_wrong_answer")


MISCOPIED = "magentic_one_instruction_miscopied.json"


def test_instruction_handing_a_figure_nobody_held() -> None:
    # The page gives 23.4 miles (step 5); the ledger at step 6 writes the instruction (message 7) that
    # hands the Coder 24.3 miles; the Coder's code uses it (9), the terminal prints 39.1 (13), accepted.
    assert _labels(MISCOPIED) == ("Orchestrator", 6)
    assert _named(M1 / MISCOPIED, "m1-instruction-miscopied") == (
        "Orchestrator",
        6,
        "instruction_unbacked_figure",
    )


def test_instruction_handing_the_pages_figure_is_backed(tmp_path: Path) -> None:
    # Near miss: the instruction hands the page's 23.4 (the code uses it too).
    path = _changed(tmp_path, MISCOPIED, "24.3", "23.4", count=None)
    assert _named(path, "m1-instruction-miscopied")[2] != "instruction_unbacked_figure"


def test_instruction_figure_nobody_used_is_no_evidence(tmp_path: Path) -> None:
    # Near miss: the Coder's code takes the page's 23.4, not the instruction's 24.3.
    path = _with_message(tmp_path, MISCOPIED, 9, "24.3", "23.4")
    assert _named(path, "m1-instruction-miscopied")[2] != "instruction_unbacked_figure"


def test_instruction_figure_no_code_used_is_no_evidence(tmp_path: Path) -> None:
    # Near miss: the Coder answers in prose with the handed figure (no code computed with it): a figure
    # in a query or a sentence is not this rule's (a surfer's search for "top 50" is no computation).
    doc = history_doc(MISCOPIED)
    doc["history"][9]["content"] = "The trail is 24.3 miles long, which is 39.1 km."
    path = write_doc(tmp_path, doc, MISCOPIED)
    assert _named(path, "m1-instruction-miscopied")[2] != "instruction_unbacked_figure"


def test_instruction_url_digits_are_no_figure(tmp_path: Path) -> None:
    # Near miss: the handed 24.3 is part of a URL the instruction names, which the code also prints.
    path = _with_message(
        tmp_path, MISCOPIED, 7, "Convert 24.3 miles", "See https://trails.example/24.3 and convert"
    )
    assert _named(path, "m1-instruction-miscopied")[2] != "instruction_unbacked_figure"


TOLD_PATH = "magentic_one_file_path_told.json"


def test_filesurfer_stuck_on_the_path_it_was_told() -> None:
    # The download went to /workspace/downloads/CHA_AR2023_web.pdf (step 5); the ledger at step 6 names
    # /workspace/annual_report_2023.pdf; the FileSurfer opens it as told: "Error 404" (9, 13, 17).
    assert _labels(TOLD_PATH) == ("Orchestrator", 6)
    assert _named(M1 / TOLD_PATH, "m1-file-path-told") == ("Orchestrator", 6, "orchestrator_stall")


def test_filesurfer_stuck_on_a_path_of_its_own(tmp_path: Path) -> None:
    # Near miss: the instruction names the downloaded file's path; the FileSurfer opens another one.
    path = _changed(
        tmp_path,
        TOLD_PATH,
        "open the file '/workspace/annual_report_2023.pdf'",
        "open the file '/workspace/downloads/CHA_AR2023_web.pdf'",
        count=None,
    )
    assert _named(path, "m1-file-path-told")[:2] != ("Orchestrator", 6)


UNREAD = "magentic_one_unread_rest.json"


def test_a_zero_the_worker_said_as_none_is_traced_to_it() -> None:
    # The surfer says "None of the aircraft listed ..." after seeing a quarter of the list (step 9); the
    # ledger at step 10 states "so the answer is 0": the 0 was the surfer's, not composed by the ledger.
    assert _labels(UNREAD) == ("WebSurfer", 9)
    assert _named(M1 / UNREAD, "m1-unread-rest") == ("WebSurfer", 9, "accepted_wrong_answer")


def test_a_zero_nobody_said_is_the_ledgers(tmp_path: Path) -> None:
    # Near miss: the surfer names the oldest aircraft only; the ledger's 0 is its own conclusion.
    path = _with_message(
        tmp_path, UNREAD, 9, "None of the aircraft listed on the page were built before 1940; the", "The"
    )
    assert _named(path, "m1-unread-rest") == ("Orchestrator", 10, "accepted_wrong_answer")


def test_replan_sending_the_worker_to_the_same_address_in_other_words(tmp_path: Path) -> None:
    # Firing: the first instruction after the replan rewords the stalled one but names the same page.
    url = "https://collections.wingtipaviation.example/objects/t4"
    path = _with_message(
        tmp_path,
        REPLAN,
        14,
        f"Open {url} and read the wingspan of the Tailspin T-4.",
        f"Please visit {url} for the glider's wingspan.",
    )
    assert _named(path, "m1-replan-repeats") == ("Orchestrator", 12, "replan_repeated_instruction")


def test_replan_sending_the_worker_to_another_address(tmp_path: Path) -> None:
    # Near miss: the rewording names another page (the museum's archive): the second replan (23),
    # which repeats step 3 word for word, is named.
    path = _with_message(
        tmp_path,
        REPLAN,
        14,
        "Open https://collections.wingtipaviation.example/objects/t4 and read the wingspan of the Tailspin T-4.",
        "Please visit https://archive.example/wingtip/t4 for the glider's wingspan.",
    )
    assert _named(path, "m1-replan-repeats") == ("Orchestrator", 23, "replan_repeated_instruction")
