"""Round-2 smolagents rules (issue 13), each with a firing and a near-miss case.

The runs are the development incidents in tests/data/incidents/smolagents_dev (written from
smolagents' and the OpenInference instrumentation's code before these rules; see the README
there). A near miss is either another incident written as a clean run or a firing incident with
the one fact the rule rests on taken away.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from forensics.classify import classify
from forensics.load import load

DEV = Path(__file__).parents[1] / "data" / "incidents" / "smolagents_dev"


def spans(name: str) -> pl.DataFrame:
    return load(DEV / f"{name}.json").to_polars()


def found(table: pl.DataFrame, detector: str) -> pl.DataFrame:
    findings, _ = classify(table, detectors=[detector]).to_polars()
    return findings


def span_id(table: pl.DataFrame, **where: str) -> list[str]:
    cond = pl.lit(True)
    for col, value in where.items():
        cond = cond & (pl.col(col) == value)
    return table.filter(cond).sort("start_time").get_column("span_id").to_list()


# --- repeated_format_error -----------------------------------------------------------------------


def test_three_parsing_errors_in_a_row_are_a_lost_format() -> None:
    t = spans("smol_format_errors_fence")
    f = found(t, "repeated_format_error")
    assert f.height == 1
    steps = span_id(t, kind="chain")
    # Steps 1-3 failed with AgentParsingError; step 4 ran code; step 5 answered.
    assert f.get_column("decisive_span_id").to_list() == [steps[0]]
    assert f.get_column("evidence_span_ids").to_list() == [steps[:3]]
    assert "3 steps in a row" in f.get_column("explanation").item()
    assert f.get_column("failure_class").to_list() == ["context_collapse"]


def test_one_parsing_error_fixed_at_once_is_ordinary() -> None:
    assert found(spans("smol_format_error_once"), "repeated_format_error").height == 0


def test_parsing_errors_broken_by_a_working_step_are_no_streak() -> None:
    # The same run with its second failed step turned into a working one: 1 + 1 errors, no streak.
    t = spans("smol_format_errors_fence")
    second = span_id(t, kind="chain")[1]
    t = t.with_columns(
        pl.when(pl.col("span_id") == second).then(pl.lit("ok")).otherwise(pl.col("status")).alias("status"),
        pl.when(pl.col("span_id") == second).then(pl.lit(None)).otherwise(pl.col("error_type")).alias("error_type"),
        pl.when(pl.col("span_id") == second).then(pl.lit("{}")).otherwise(pl.col("attributes")).alias("attributes"),
    )
    assert found(t, "repeated_format_error").height == 0


def test_two_parsing_errors_in_a_row_are_a_streak() -> None:
    # The same run with its third failed step turned into a working one: steps 1-2 still a streak.
    t = spans("smol_format_errors_fence")
    steps = span_id(t, kind="chain")
    third = steps[2]
    t = t.with_columns(
        pl.when(pl.col("span_id") == third).then(pl.lit("ok")).otherwise(pl.col("status")).alias("status"),
        pl.when(pl.col("span_id") == third).then(pl.lit(None)).otherwise(pl.col("error_type")).alias("error_type"),
        pl.when(pl.col("span_id") == third).then(pl.lit("{}")).otherwise(pl.col("attributes")).alias("attributes"),
    )
    f = found(t, "repeated_format_error")
    assert f.get_column("evidence_span_ids").to_list() == [steps[:2]]


# --- redo_after_replan ---------------------------------------------------------------------------


def test_a_page_reread_after_a_plan_update_is_a_dropped_fact() -> None:
    t = spans("smol_replan_revisit_page")
    f = found(t, "redo_after_replan")
    assert f.height == 1
    visits = span_id(t, kind="tool", tool="visit_page")
    run_span = span_id(t, kind="agent")[0]
    plans = t.filter((pl.col("kind") == "llm") & (pl.col("parent_id") == run_span)).sort("start_time")
    # The plan update (the second planning call, between step 4 and step 5) is decisive: it dropped
    # what step 2 had read (docs/DETECTORS.md, "Which span is decisive"); the evidence is the first
    # visit, the update and the re-read.
    assert f.get_column("decisive_span_id").to_list() == [plans.get_column("span_id")[1]]
    assert f.get_column("evidence_span_ids").to_list() == [[visits[0], plans.get_column("span_id")[1], visits[1]]]
    assert f.get_column("strength").to_list() == ["weak"]


def test_without_the_plan_update_the_same_reread_is_not_this_rule() -> None:
    t = spans("smol_replan_revisit_page")
    run_span = span_id(t, kind="agent")[0]
    update = t.filter((pl.col("kind") == "llm") & (pl.col("parent_id") == run_span)).sort("start_time")["span_id"][1]
    assert found(t.filter(pl.col("span_id") != update), "redo_after_replan").height == 0


def test_reopening_a_page_after_a_plan_update_to_read_on_is_navigation() -> None:
    # visit_page starts at the top: the identical first viewport, then page_down past what was read.
    t = spans("smol_replan_reread_then_scroll")
    visits = t.filter(pl.col("tool") == "visit_page")
    assert visits.height == 2 and visits.get_column("output").n_unique() == 1
    assert found(t, "redo_after_replan").height == 0


def test_the_initial_plan_is_no_update() -> None:
    # The run's first model call under the run span comes before any step: nothing was learned yet.
    t = spans("smol_replan_revisit_page")
    run_span = span_id(t, kind="agent")[0]
    plans = t.filter((pl.col("kind") == "llm") & (pl.col("parent_id") == run_span)).sort("start_time")
    assert plans.height == 2
    assert found(t.filter(pl.col("span_id") != plans["span_id"][1]), "redo_after_replan").height == 0


# --- repeated_action, queries re-cased, re-punctuated or re-ordered -----------------------------


def test_the_same_query_reworded_cosmetically_is_a_repeat() -> None:
    t = spans("smol_requery_cosmetic")
    f = found(t, "repeated_action")
    searches = span_id(t, kind="tool", tool="web_search")
    assert len(searches) == 3
    assert f.get_column("decisive_span_id").to_list() == [searches[1]]  # the first repeat
    assert f.get_column("evidence_span_ids").to_list() == [searches]


def test_a_reworded_query_that_brought_a_new_result_is_no_repeat() -> None:
    t = spans("smol_requery_cosmetic")
    last = span_id(t, kind="tool", tool="web_search")[-1]
    t = t.with_columns(
        pl.when(pl.col("span_id") == last).then(pl.lit("## Search Results\n0. [Other page]")).otherwise(pl.col("output")).alias("output")
    )
    assert found(t, "repeated_action").height == 0


# --- redelegated_same_task -----------------------------------------------------------------------


def test_the_same_task_handed_to_the_delegate_again_leaves_the_first_report_untaken() -> None:
    t = spans("smol_redelegate_same_task")
    f = found(t, "redelegated_same_task")
    subs = t.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null()).sort("start_time")
    assert subs.height == 2
    assert f.get_column("decisive_span_id").to_list() == [subs["span_id"][0]]
    assert f.get_column("evidence_span_ids").to_list() == [subs.get_column("span_id").to_list()]
    assert f.get_column("failure_class").to_list() == ["ownership_gap"]


def test_two_different_questions_to_the_same_delegate_are_no_redelegation() -> None:
    assert found(spans("smol_two_delegations_different"), "redelegated_same_task").height == 0
    assert found(spans("smol_delegate_followup"), "redelegated_same_task").height == 0


def test_asking_again_after_an_empty_report_is_taking_the_work_up() -> None:
    # The same run with the first delegate's report emptied: asking again is the manager owning it.
    t = spans("smol_redelegate_same_task")
    first = t.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null()).sort("start_time")["span_id"][0]
    t = t.with_columns(pl.when(pl.col("span_id") == first).then(pl.lit("")).otherwise(pl.col("output")).alias("output"))
    assert found(t, "redelegated_same_task").height == 0


# --- unchecked_stuck_delegate --------------------------------------------------------------------


def test_a_delegate_out_of_steps_whose_guess_is_passed_on_unchecked() -> None:
    t = spans("smol_stuck_delegate_unchecked")
    f = found(t, "unchecked_stuck_delegate")
    sub = t.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null())
    assert sub.height == 1
    # The delegate's last span is the closing model call (_handle_max_steps_reached), after 12 steps.
    children = t.filter(pl.col("parent_id") == sub["span_id"][0]).sort("start_time")
    assert children.filter(pl.col("kind") == "chain").height == 12
    assert children["kind"][-1] == "llm"
    # TAXONOMY literally (delegate_report.py): the step limit is a failure no defined path followed
    # (missing_fallback), and the run reported success on the guess (silent_failure); decisive is
    # the closing model call, where the unfounded answer was made.
    assert f.get_column("failure_class").to_list() == ["missing_fallback"]
    assert f.get_column("decisive_span_id").to_list() == [children["span_id"][-1]]
    assert f.get_column("evidence_span_ids").to_list() == [[sub["span_id"][0], children["span_id"][-1]]]
    g = found(t, "stuck_guess_passed_on")
    assert g.get_column("failure_class").to_list() == ["silent_failure"]
    assert g.get_column("decisive_span_id").to_list() == [children["span_id"][-1]]
    assert "closing guess of search_agent" in g.get_column("explanation").item()


def test_a_stuck_delegate_the_manager_followed_up_is_owned() -> None:
    assert found(spans("smol_stuck_delegate_checked"), "unchecked_stuck_delegate").height == 0
    assert found(spans("smol_stuck_delegate_checked"), "stuck_guess_passed_on").height == 0


def test_a_stuck_guess_the_run_admits_to_is_not_passed_on_silently() -> None:
    # The same unchecked run, but the manager's final answer says it could not find the figure: the
    # run told its caller (reported_outcome error), so neither delegate rule fires.
    t = spans("smol_stuck_delegate_unchecked")
    root = t.filter(pl.col("parent_id").is_null())["span_id"][0]
    said = pl.lit("I could not find a sourced figure; the best guess was not verified.")
    t = t.with_columns(pl.when(pl.col("span_id") == root).then(said).otherwise(pl.col("output")).alias("output"))
    assert found(t, "stuck_guess_passed_on").height == 0
    assert found(t, "unchecked_stuck_delegate").height == 0


def test_a_delegate_that_finished_within_its_steps_is_not_stuck() -> None:
    # The same run without the closing model call: the delegate's last span is its last step.
    t = spans("smol_stuck_delegate_unchecked")
    sub = t.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null())["span_id"][0]
    closing = t.filter(pl.col("parent_id") == sub).sort("start_time")["span_id"][-1]
    assert found(t.filter(pl.col("span_id") != closing), "unchecked_stuck_delegate").height == 0
    assert found(spans("smol_managed_agent_report_used"), "unchecked_stuck_delegate").height == 0


def test_agents_handing_the_same_work_back_and_forth_nested_are_no_redelegation() -> None:
    # sample_logs 43: coder and reviewer call each other as nested sub-agents; each new delegation
    # starts inside the previous delegate's run, before it reported back (a depth loop, not this).
    t = load(Path(__file__).parents[2] / "sample_logs" / "43_coding_review_ping_pong.otel.jsonl").to_polars()
    assert t.filter(pl.col("kind") == "agent").height >= 8
    assert found(t, "redelegated_same_task").height == 0


# --- failed_report_passed_on ----------------------------------------------------------------------

NOT_FOUND = (
    "### 1. Task outcome (short version): I could not find the height of the tallest building in Oslo; "
    "the only figure I found is 111 m, for Posthuset. ### 2. Task outcome (extremely detailed version): "
    "No list gave a height. ### 3. Additional context (if relevant): none."
)


def _report(table: pl.DataFrame, which: int, text: str) -> pl.DataFrame:
    """The table with the ``which``-th delegated run's report (and the manager's view of it) replaced."""
    sub = table.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null()).sort("start_time")
    sid = sub["span_id"][which]
    return table.with_columns(pl.when(pl.col("span_id") == sid).then(pl.lit(text)).otherwise(pl.col("output")).alias("output"))


def test_a_report_that_says_it_failed_passed_on_as_the_answer() -> None:
    # smol_managed_agent_report_used with the delegate's report saying it could not find the figure;
    # the manager still answered (117) with no other search or delegation.
    t = _report(spans("smol_managed_agent_report_used"), 0, NOT_FOUND)
    f = found(t, "failed_report_passed_on")
    assert f.get_column("failure_class").to_list() == ["silent_failure"]
    sub = t.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null())["span_id"][0]
    # Decisive: the report, the output that was misread (docs/DETECTORS.md, "Which span is decisive");
    # the manager's next step after it came back (Step 2), where it was read as an answer, is evidence.
    step2 = t.filter((pl.col("kind") == "chain") & (pl.col("agent") == "CodeAgent.run")).sort("start_time")["span_id"][1]
    assert f.get_column("decisive_span_id").to_list() == [sub]
    assert f.get_column("evidence_span_ids").to_list() == [[sub, step2]]
    assert "whose report said it could not do it" in f.get_column("explanation").item()


def test_a_report_that_found_its_answer_is_not_a_failed_report() -> None:
    t = spans("smol_managed_agent_report_used")
    assert found(t, "failed_report_passed_on").height == 0
    # A dead end mentioned in the detailed version, on the way to a sourced answer, is not a failure.
    detour = (
        "### 1. Task outcome (short version): Oslo Plaza, 117 m. ### 2. Task outcome (extremely detailed "
        "version): I could not access the council PDF, so I used the Wikipedia list: Oslo Plaza 117 m."
    )
    assert found(_report(t, 0, detour), "failed_report_passed_on").height == 0


def test_a_failed_report_the_manager_followed_up_is_not_passed_on() -> None:
    # smol_delegate_followup with its first report saying it could not find the municipality: the
    # manager delegated again afterwards (another agent started), so the work was taken up.
    t = _report(spans("smol_delegate_followup"), 0, NOT_FOUND)
    assert found(t, "failed_report_passed_on").height == 0


def test_a_failed_report_the_manager_answers_as_a_failure_is_not_passed_on() -> None:
    # The report says it could not find the figure and the manager's answer opens with the verdict
    # GAIA-style agents give ("Unable to determine: ..."): the run told its caller, nothing was passed on.
    t = _report(spans("smol_managed_agent_report_used"), 0, NOT_FOUND)
    assert found(t, "failed_report_passed_on").height == 1  # as above, with the manager answering 117
    root = t.filter(pl.col("parent_id").is_null())["span_id"][0]
    for verdict in ("Unable to determine: no source gives the height.", "Could not be determined from the sources read."):
        said = t.with_columns(pl.when(pl.col("span_id") == root).then(pl.lit(verdict)).otherwise(pl.col("output")).alias("output"))
        assert found(said, "failed_report_passed_on").height == 0


# --- unread_delegate_report -----------------------------------------------------------------------

UNPRINTED = "Execution logs:\nLast output from code snippet:\nNone"


def _observation(table: pl.DataFrame, step: int, text: str) -> pl.DataFrame:
    """The table with the manager's ``Step step`` observation (the step span's output) replaced."""
    root = table.filter(pl.col("parent_id").is_null())["span_id"][0]
    sid = table.filter((pl.col("parent_id") == root) & (pl.col("name") == f"Step {step}"))["span_id"][0]
    return table.with_columns(pl.when(pl.col("span_id") == sid).then(pl.lit(text)).otherwise(pl.col("output")).alias("output"))


def _unprinted_code(table: pl.DataFrame) -> pl.DataFrame:
    """The table with the manager's Step 1 code (its model call's output) assigning the report and
    not printing it: `report = search_agent(...)` alone."""
    sid = table.filter((pl.col("kind") == "llm") & (pl.col("agent") == "CodeAgent.run")).sort("start_time")["span_id"][0]
    out = table.filter(pl.col("span_id") == sid)["output"][0]
    assert "\\nprint(report)" in out
    return table.with_columns(
        pl.when(pl.col("span_id") == sid).then(pl.lit(out.replace("\\nprint(report)", ""))).otherwise(pl.col("output")).alias("output")
    )


def test_a_report_the_manager_never_saw_is_unread() -> None:
    # smol_managed_agent_report_used with the manager's code not printing the report (`report =
    # search_agent(...)` alone: smolagents shows only printed logs and the last expression's value,
    # None for an assignment); the manager still answered 117, from nothing it had seen.
    t = _observation(_unprinted_code(spans("smol_managed_agent_report_used")), 1, UNPRINTED)
    f = found(t, "unread_delegate_report")
    sub = t.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null())["span_id"][0]
    # TAXONOMY undelivered_output: the hand-back had no receipt while the run reported success.
    assert f.get_column("failure_class").to_list() == ["silent_failure"]
    assert f.get_column("decisive_span_id").to_list() == [sub]
    assert "never reached CodeAgent.run" in f.get_column("explanation").item()


def test_a_report_printed_then_or_later_or_passed_on_is_read() -> None:
    t = spans("smol_managed_agent_report_used")
    assert found(t, "unread_delegate_report").height == 0  # printed in the step that called it
    # Not printed at once, printed by the next step (the variable lives on in the executor's state).
    report = t.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null())["output"][0]
    later = _observation(_observation(t, 1, UNPRINTED), 2, f"Execution logs:\n{report}\nLast output from code snippet:\nNone")
    assert found(later, "unread_delegate_report").height == 0
    # Not printed, but handed on whole as the answer (final_answer(report)): passed on, not dropped.
    root = t.filter(pl.col("parent_id").is_null())["span_id"][0]
    whole = _observation(t, 1, UNPRINTED).with_columns(
        pl.when(pl.col("span_id") == root).then(pl.lit(report)).otherwise(pl.col("output")).alias("output")
    )
    assert found(whole, "unread_delegate_report").height == 0


def test_a_report_the_code_printed_is_read_whatever_the_observation_kept() -> None:
    # The recorded observation summarised (an exporter's or a writer's cut: no report words, no
    # wrapper), but the manager's code printed the variable it assigned the report to: CodeAgent's
    # observation is "Execution logs:\n" + what the code printed (src/smolagents/agents.py), so the
    # report reached the manager (report_reads.py).
    summary = "Execution logs:\n(report, 412 chars)\nLast output from code snippet:\nNone"
    t = _observation(spans("smol_managed_agent_report_used"), 1, summary)
    assert found(t, "unread_delegate_report").height == 0
    # The same summary with the print taken out of the code: nothing shows the report reached it.
    assert found(_unprinted_code(t), "unread_delegate_report").height == 1


def test_a_delegation_without_recorded_observations_proves_nothing() -> None:
    # The same unprinted report, but the step's observation not recorded at all (null): what the
    # manager saw is not in the log.
    t = spans("smol_managed_agent_report_used")
    root = t.filter(pl.col("parent_id").is_null())["span_id"][0]
    step1 = t.filter((pl.col("parent_id") == root) & (pl.col("name") == "Step 1"))["span_id"][0]
    t = t.with_columns(pl.when(pl.col("span_id") == step1).then(None).otherwise(pl.col("output")).alias("output"))
    assert found(t, "unread_delegate_report").height == 0


def test_a_report_whose_wrapper_reached_the_manager_is_read_even_cut_short() -> None:
    # The observation cut before the report's own words (truncate_content, an attribute length
    # limit), but smolagents' wrapper naming the delegate is there: it was printed, so it was read.
    cut = "Execution logs:\nHere is the final answer from your managed agent 'search_agent':\n### 1. Task out[...]"
    t = _observation(spans("smol_managed_agent_report_used"), 1, cut)
    assert found(t, "unread_delegate_report").height == 0


def _unnamed_delegate(table: pl.DataFrame) -> pl.DataFrame:
    """The table as loaded when the delegate's task carried no name (an application's own
    ``prompt_templates["managed_agent"]["task"]``, huggingface/smolagents ``src/smolagents/agents.py``
    ``MultiStepAgent.__call__`` fills it): the sub-run is the instrumentation's ``ToolCallingAgent.run``
    (openinference ``_RunWrapper``: ``f"{instance.__class__.__name__}.run"``), the manager still
    lists ``search_agent`` (``smolagents.managed_agents.0.name``) and its code calls it so."""
    task = '{"task": "Find the tallest building in Oslo and its height in metres.", "stream": false, "reset": true}'
    sub = (pl.col("kind") == "agent") & pl.col("parent_id").is_not_null()
    return table.with_columns(
        pl.when(sub).then(pl.lit(task)).otherwise(pl.col("input")).alias("input"),
        pl.when(pl.col("agent") == "search_agent").then(pl.lit("ToolCallingAgent.run")).otherwise(pl.col("agent")).alias("agent"),
    )


def test_a_report_of_a_delegate_named_by_its_class_is_read_by_the_managers_name_for_it() -> None:
    # The observation summarised (only the code shows the print), the sub-run named by its class:
    # `report = search_agent(...)` then `print(report)` is the call of that run, printed: read.
    summary = "Execution logs:\n(report, 412 chars)\nLast output from code snippet:\nNone"
    t = _unnamed_delegate(_observation(spans("smol_managed_agent_report_used"), 1, summary))
    assert found(t, "unread_delegate_report").height == 0
    # The same with the print taken out of the code: still unread, named by its class.
    f = found(_unprinted_code(t), "unread_delegate_report")
    assert f.height == 1 and "ToolCallingAgent.run" in f.get_column("explanation").item()


# --- a parse-error storm until the step limit ------------------------------------------------------


def test_parsing_errors_until_the_step_limit_stay_context_collapse() -> None:
    # TAXONOMY.md: each error was handed back and the step asked again (a defined path: no
    # unhandled_error); the run then reported the forced answer as success (swallowed_error).
    t = spans("smol_parse_error_storm")
    findings, _ = classify(t).to_polars()
    steps = span_id(t, kind="chain")
    fmt = findings.filter(pl.col("detector") == "repeated_format_error")
    assert fmt.get_column("evidence_span_ids").to_list() == [steps]
    assert set(findings.get_column("failure_class").to_list()) == {"context_collapse", "silent_failure"}
    # The loop is decisive from its first member; swallowed_error names the forced answer that
    # reported success over the steps (forensics/detectors/closing_guess.py), which comes later.
    by = dict(zip(findings.get_column("detector").to_list(), findings.get_column("decisive_span_id").to_list(), strict=True))
    assert by["repeated_format_error"] == steps[0]
    assert by["swallowed_error"] == span_id(t, kind="llm")[-1]
