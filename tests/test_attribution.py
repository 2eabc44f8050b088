"""forensics.attribution: decisive agent and step for failed runs, one firing and one near-miss test
per rule. Magentic-One histories are the ones written from autogen_magentic_one's emitting code
(tests/data/ag2_history/README_magentic_one.md); the small AG2-style ones are written inline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from m1_history import M1, ag2_chat, verdict
from span_builder import span, spans

from forensics.attribution import ATTRIBUTION_COLUMNS, attribute
from forensics.load import load


def _one(result: pl.DataFrame, run_id: str) -> dict[str, Any]:
    (row,) = result.filter(pl.col("run_id") == run_id).to_dicts()
    return row


def _history(tmp_path: Path, messages: list[tuple[str, str]], **run: Any) -> pl.DataFrame:
    """A Who&When-style file (AG2 names) written to tmp_path and attributed."""
    return attribute(load(ag2_chat(tmp_path, messages, **run), format="ag2-history"))


def test_columns_and_one_row_per_run() -> None:
    out = attribute(load(M1 / "magentic_one_websurfer_stall.json"))
    assert tuple(out.columns) == ATTRIBUTION_COLUMNS
    assert out.height == 1
    assert out.schema["decisive_step"] == pl.Int64


def test_orchestrator_stall_blames_the_worker_it_judged() -> None:
    # Step 10's ledger says no progress; the latest worker message before it is WebSurfer's step 9.
    # (Step 13 repeats step 9 word for word, later: the earliest evidence wins.)
    row = _one(attribute(load(M1 / "magentic_one_websurfer_stall.json")), "m1-stall")
    assert (row["decisive_agent"], row["decisive_step"], row["decisive_span_id"]) == (
        "WebSurfer",
        9,
        "step-9",
    )
    assert row["attribution_rule"] == "orchestrator_stall"
    assert row["attribution_evidence"] == (
        "step 10: the orchestrator's ledger says the run is not making progress and it never recovered, "
        "judging WebSurfer's step 9"
    )


def test_ledgers_that_report_progress_do_not_fire() -> None:
    # The healthy history: every ledger says progress, no loop (near miss).
    row = _one(attribute(load(M1 / "magentic_one_healthy.json")), "m1-healthy")
    assert row["attribution_rule"] != "orchestrator_stall"


def test_misread_tool_error_blames_the_code_author_at_the_code() -> None:
    # The Coder's script (step 5) fails at the terminal (step 9); the Coder's next message (13)
    # reports a count as if it had run.
    row = _one(attribute(load(M1 / "magentic_one_coder_misread.json")), "m1-misread")
    assert verdict(row) == (
        "Coder",
        5,
        "tool_error",
    )
    assert row["attribution_evidence"].endswith("the next message carried on as if it had worked")


def test_acknowledged_tool_error_says_so(tmp_path: Path) -> None:
    out = _history(
        tmp_path,
        [
            ("Planner", "You are given a task: count the rows of data.csv."),
            ("Coder", "```python\nimport pandas\nprint(len(pandas.read_csv('data.csv')))\n```"),
            ("Computer_terminal", "exitcode: 1 (execution failed)\nCode output: FileNotFoundError: data.csv"),
            ("Coder", "The file is missing; I will fix the path and retry."),
        ],
    )
    row = _one(out, "r")
    assert verdict(row) == (
        "Coder",
        1,
        "tool_error",
    )
    assert row["attribution_evidence"].endswith("the next message acknowledged it")


def test_successful_tool_runs_are_not_tool_errors() -> None:
    # The healthy history's script exits 0 (near miss).
    row = _one(attribute(load(M1 / "magentic_one_healthy.json")), "m1-healthy")
    assert row["attribution_rule"] != "tool_error"


def test_repeated_identical_action(tmp_path: Path) -> None:
    page = (
        "Address: https://example.org/a\nTitle: A\nViewport position: Showing page 1 of 3.\n=====\n# A\ntext"
    )
    out = _history(
        tmp_path,
        [
            ("Planner", "You are given a task: find the date on page A."),
            ("Surfer", page),
            ("Checker", "Please look again."),
            ("Surfer", page),
        ],
    )
    row = _one(out, "r")
    assert verdict(row) == (
        "Surfer",
        3,
        "repeated_action",
    )
    assert row["attribution_evidence"] == "step 3: Surfer repeated its step 1 word for word"


def test_same_action_over_different_text_is_not_a_repeat() -> None:
    # Two "I scrolled down one page in the browser." messages over different OCR text (near miss).
    row = _one(attribute(load(M1 / "magentic_one_healthy.json")), "m1-healthy")
    assert row["attribution_rule"] != "repeated_action"


def test_final_answer_origin_is_the_page_the_surfer_opened_not_the_results_page() -> None:
    # FINAL ANSWER: 131 (step 12); "131" first appears in a snippet on the search results page (step 5,
    # bing.com/search?q=...), then on the page the surfer opened and read it from (step 9): taken up there.
    row = _one(attribute(load(M1 / "magentic_one_wrong_figure.json")), "m1-wrong-figure")
    assert (row["decisive_agent"], row["decisive_step"]) == ("WebSurfer", 9)
    assert row["attribution_rule"] == "final_answer_origin"


def test_final_answer_only_on_a_results_page_stays_there(tmp_path: Path) -> None:
    # Near miss: the page the surfer opened (step 9) does not show 131; the results page (step 5) is
    # the only earlier step that held it.
    doc = json.loads((M1 / "magentic_one_wrong_figure.json").read_text())
    doc["history"][9]["content"] = doc["history"][9]["content"].replace("131 m", "128 m")
    path = tmp_path / "snippet.json"
    path.write_text(json.dumps(doc))
    row = _one(attribute(load(path, format="ag2-history")), "m1-wrong-figure")
    assert verdict(row) == (
        "WebSurfer",
        5,
        "final_answer_origin",
    )


def test_final_answer_matches_whole_words_only(tmp_path: Path) -> None:
    # "3" is inside "2023" at step 1 (near miss); it first stands alone at step 2.
    out = _history(
        tmp_path,
        [
            ("Planner", "You are given a task: how many moons in the 2023 survey?"),
            ("Astronomer", "The survey was published in 2023 by the observatory."),
            ("Counter", "Counting them gives 3."),
            ("Planner", "FINAL ANSWER: 3"),
        ],
    )
    row = _one(out, "r")
    assert verdict(row) == (
        "Counter",
        2,
        "final_answer_origin",
    )


def test_unbacked_claim(tmp_path: Path) -> None:
    out = _history(
        tmp_path,
        [
            ("Planner", "You are given a task: what do the tickets cost?"),
            (
                "Prices_Expert",
                "Here are the prices: adults pay 20.00, children pay 18.00, seniors 15.50, "
                "students 12.75, and the annual pass is 90.00 at Seattle Children's Museum.",
            ),
            ("Checker", "Thanks, that looks complete."),
        ],
    )
    row = _one(out, "r")
    assert verdict(row) == (
        "Prices_Expert",
        1,
        "unbacked_claim",
    )


def test_facts_a_tool_printed_are_not_unbacked(tmp_path: Path) -> None:
    # The same figures, printed by the terminal first (near miss): nothing unbacked, so the
    # fallback names the first response.
    out = _history(
        tmp_path,
        [
            ("Planner", "You are given a task: what do the tickets cost?"),
            (
                "Prices_Expert",
                "```python\nfrom functions import perform_web_search\nprint(perform_web_search('prices'))\n```",
            ),
            (
                "Computer_terminal",
                "exitcode: 0 (execution succeeded)\nCode output: adults 20.00, children 18.00, "
                "seniors 15.50, students 12.75, annual pass 90.00",
            ),
            (
                "Checker",
                "So adults pay 20.00, children 18.00, seniors 15.50, students 12.75, and the pass is 90.00.",
            ),
        ],
    )
    row = _one(out, "r")
    assert row["attribution_rule"] == "first_response"
    assert (row["decisive_agent"], row["decisive_step"]) == ("Prices_Expert", 1)


def test_labels_are_never_read(tmp_path: Path) -> None:
    # The benchmark's answers kept by the loader (run.mistake_agent, ...) change nothing.
    messages = [
        ("Planner", "You are given a task: count the rows of data.csv."),
        ("Coder", "```python\nprint(1)\n```"),
        ("Computer_terminal", "exitcode: 1 (execution failed)\nCode output: NameError"),
        ("Checker", "Done."),
    ]
    labelled = _history(
        tmp_path, messages, mistake_agent="Checker", mistake_step="3", mistake_reason="x", ground_truth="7"
    )
    plain = _history(tmp_path, messages)
    assert labelled.equals(plain)


def test_runs_argument_restricts_the_runs() -> None:
    result = load(M1)
    everything = attribute(result)
    assert set(everything["run_id"]) >= {"m1-stall", "m1-misread", "m1-wrong-figure", "m1-healthy"}
    only = attribute(result, runs=["m1-misread"])
    assert only["run_id"].to_list() == ["m1-misread"]
    assert only.row(0) == everything.filter(pl.col("run_id") == "m1-misread").row(0)
    assert attribute(result, runs=[]).height == 0


def test_ledger_columns_of_the_conventions_layer_are_used_when_present() -> None:
    # The same stall history with the ledger already read into columns (as the conventions layer
    # names them) and the text no longer holding it: the same attribution.
    from forensics.attribution import _attribute
    from forensics.classify import _as_spans

    spans = _as_spans(load(M1 / "magentic_one_websurfer_stall.json"))
    ledger = attribute(spans)
    is_ledger = pl.col("output").str.starts_with("Updated Ledger:")
    cols = spans.with_columns(
        ledger_satisfied=pl.when(is_ledger).then(False),
        ledger_in_loop=pl.when(is_ledger).then(
            pl.col("output").str.contains(r'"is_in_loop": \{[^}]*"answer": true')
        ),
        ledger_progress=pl.when(is_ledger).then(
            pl.col("output").str.contains(r'"is_progress_being_made": \{[^}]*"answer": true')
        ),
        ledger_next_speaker=pl.when(is_ledger).then(pl.lit("WebSurfer")),
        output=pl.when(is_ledger).then(pl.lit("(ledger)")).otherwise(pl.col("output")),
    )
    assert _attribute(cols).equals(ledger)
    assert ledger["attribution_rule"].to_list() == ["orchestrator_stall"]


def test_a_ledger_in_any_loaders_text_is_read(tmp_path: Path) -> None:
    # An OpenAI-style chat transcript whose orchestrator message holds the ledger JSON (no
    # ag2-history attributes): the conventions layer's reader finds the stall.
    from forensics.attribution import _steps
    from forensics.classify import _as_spans

    led = json.dumps(
        {
            "is_request_satisfied": {"reason": "no", "answer": False},
            "is_in_loop": {"reason": "same page again", "answer": True},
            "is_progress_being_made": {"reason": "nothing new", "answer": False},
            "next_speaker": {"reason": "x", "answer": "WebSurfer"},
            "instruction_or_question": {"reason": "x", "answer": "Try again."},
        }
    )
    conv = spans(
        span("s0", 0, 1, kind="human", name="user", output="Find the price."),
        span(
            "s1",
            1,
            2,
            parent_id="s0",
            kind="agent",
            name="WebSurfer",
            output="I clicked 'Prices'. The page is blank.",
        ),
        span("s2", 2, 3, parent_id="s1", kind="agent", name="MagenticOneOrchestrator", output=led),
        run_id="r",
    )
    full = _as_spans(conv)
    assert "ledger.is_in_loop" not in (full["attributes"][2] or "")
    steps = _steps(full)
    assert steps["ledger_in_loop"].to_list() == [None, None, True]
    row = _one(attribute(conv), "r")
    assert verdict(row) == (
        "WebSurfer",
        1,
        "orchestrator_stall",
    )
    assert "in a loop" in row["attribution_evidence"]


def test_classify_runs_carry_the_attribution_for_failed_runs_only() -> None:
    from forensics.classify import classify

    files = [
        M1 / f"magentic_one_{n}.json" for n in ("websurfer_stall", "coder_misread", "wrong_figure", "healthy")
    ]
    runs = {r["run_id"]: r for r in classify(load(files)).runs.to_pylist()}
    named = {k: (r["declared_outcome"], r["decisive_agent"], r["decisive_step"]) for k, r in runs.items()}
    assert named == {
        "m1-stall": ("failure", "WebSurfer", 9),
        "m1-misread": ("failure", "Coder", 5),
        # No detector fires (an unexplained failure), attribution still names the step (the page the
        # surfer opened, step 9; 131 was only a snippet on the results page at step 5).
        "m1-wrong-figure": ("failure", "WebSurfer", 9),
        # is_correct true and nothing flagged: no decisive agent or step.
        "m1-healthy": ("success", None, None),
    }
    assert runs["m1-wrong-figure"]["unexplained_failure"] is True
    assert runs["m1-healthy"]["ok"] is True


def _variant(tmp_path: Path, name: str, drop_last: int, **changes: Any) -> pl.DataFrame:
    doc = json.loads((M1 / name).read_text())
    doc["history"] = doc["history"][: len(doc["history"]) - drop_last]
    doc.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return attribute(load(path, format="ag2-history"))


def test_satisfied_ledger_is_traced_to_where_the_answer_it_states_entered(tmp_path: Path) -> None:
    # The wrong-figure history without its FINAL ANSWER message: the ledger at step 10 takes the
    # request as satisfied, its reason stating "Harbour Tower at 131 m"; 131 is not in the task,
    # is listed in a snippet of the search results at step 5 ("spire 131 m") and taken up on the
    # page WebSurfer opened at step 9.
    row = _one(_variant(tmp_path, "magentic_one_wrong_figure.json", 1), "m1-wrong-figure")
    assert verdict(row) == (
        "WebSurfer",
        9,
        "accepted_wrong_answer",
    )
    assert row["attribution_evidence"] == (
        "step 10: the orchestrator's ledger took the request as satisfied, stating 131, "
        "which first appears at step 9 (WebSurfer)"
    )


def test_satisfied_ledger_whose_reason_states_no_new_number_blames_the_judged_message(tmp_path: Path) -> None:
    # Near miss of the trace: the same history with the ledger's reason saying no figure: the
    # worker message the ledger judged (WebSurfer's step 9) is blamed.
    doc = json.loads((M1 / "magentic_one_wrong_figure.json").read_text())
    doc["history"] = doc["history"][:-1]
    doc["history"][10]["content"] = doc["history"][10]["content"].replace(
        "The list gives Harbour Tower at 131 m.", "The list answers the question."
    )
    path = tmp_path / "m1.json"
    path.write_text(json.dumps(doc))
    row = _one(attribute(load(path, format="ag2-history")), "m1-wrong-figure")
    assert verdict(row) == (
        "WebSurfer",
        9,
        "accepted_wrong_answer",
    )


def test_attribution_never_reads_the_runs_verdict(tmp_path: Path) -> None:
    # Attribution answers "given that this run failed, where?": is_correct true, false or absent
    # gives the same row. (Whether a run is attributed at all is classify's gate: see
    # test_classify_runs_carry_the_attribution_for_failed_runs_only.)
    rows = [
        _one(_variant(tmp_path, "magentic_one_wrong_figure.json", 1, **verdict), "m1-wrong-figure")
        for verdict in ({"is_correct": True}, {"is_correct": False})
    ]
    doc = json.loads((M1 / "magentic_one_wrong_figure.json").read_text())
    del doc["is_correct"]
    doc["history"] = doc["history"][:-1]
    path = tmp_path / "none.json"
    path.write_text(json.dumps(doc))
    rows.append(_one(attribute(load(path, format="ag2-history")), "m1-wrong-figure"))
    assert rows[0] == rows[1] == rows[2]


def test_blame_scoring_names_every_labelled_run(tmp_path: Path) -> None:
    # A benchmark of failed runs whose log carries no verdict: the wrong-figure history without
    # is_correct. No detector fires and the runs table names nobody, but the benchmark says the
    # run failed, so the scorer takes attribution's agent and step (and says so).
    from forensics.classify import classify
    from forensics.evaluate import evaluate_blame

    doc = json.loads((M1 / "magentic_one_wrong_figure.json").read_text())
    del doc["is_correct"]
    path = tmp_path / "no_verdict.json"
    path.write_text(json.dumps(doc))
    loaded = load(path, format="ag2-history")
    c = classify(loaded)
    (run,) = c.runs.to_pylist()
    assert (run["declared_outcome"], run["ok"], run["decisive_agent"]) == ("unknown", True, None)
    labels = pl.DataFrame(
        {"run_id": ["m1-wrong-figure"], "mistake_agent": ["WebSurfer"], "mistake_step": [9]}
    )
    b = evaluate_blame(c, loaded, labels)
    (row,) = b.runs.to_dicts()
    assert (row["decisive_agent"], row["decisive_step"], row["named_for_benchmark"]) == ("WebSurfer", 9, True)
    assert (b.flagged, b.agent_correct, b.step_correct) == (1, 1, 1)
    assert "of which named only because the benchmark says the run failed" in b.format_text()


def test_a_failed_tool_is_blamed_on_code_only_when_it_ran_that_code() -> None:
    # A message with a code block, then a failed tool call whose input is something else (near
    # miss): the tool call itself is the step, not the unrelated code before it.
    conv = spans(
        span("a", 0, 1, kind="agent", name="planner", output="Example:\n```python\nprint('hi')\n```"),
        span("b", 1, 2, parent_id="a", kind="tool", tool="search", input="weather in Oslo", status="error"),
        span("c", 2, 3, parent_id="a", kind="agent", name="planner", output="Done."),
        run_id="t",
    )
    row = _one(attribute(conv), "t")
    assert (row["decisive_step"], row["attribution_rule"]) == (1, "tool_error")
    assert row["decisive_agent"] == "planner"  # the tool span's own agent, inherited from its parent


def test_stall_never_recovered_from_blames_the_action_that_put_the_worker_there() -> None:
    # magentic_one_stall_loop.json: the surfer searches "grey heron wingspan" (step 5, results page
    # https://www.bing.com/search?q=grey+heron+wingspan), the ledger at 6 still reports progress,
    # then scrolls that same page (9, 13, 17, 21); every ledger from 10 on says no progress and the
    # run ends "Max rounds (30) reached.". The episode on that page began at step 5.
    row = _one(attribute(load(M1 / "magentic_one_stall_loop.json")), "m1-stall-loop")
    assert verdict(row) == (
        "WebSurfer",
        5,
        "orchestrator_stall",
    )
    assert row["attribution_evidence"].endswith(
        "judging WebSurfer's step 9, stuck since its step 5 on the same page"
    )


def test_a_stall_the_run_recovered_from_is_not_evidence() -> None:
    # Near miss: magentic_one_replan_drops_fact.json stalls at 10, 14, 18 (a 503 page) but replans
    # (19-20) and its later ledgers report progress: the stall is not what the run is blamed for.
    from forensics.attribution import _stalls, _steps
    from forensics.classify import _as_spans

    steps = _steps(_as_spans(load(M1 / "magentic_one_replan_drops_fact.json")))
    assert steps.filter(pl.col("ledger_progress") == False)["step"].to_list() == [10, 14, 18]  # noqa: E712
    assert _stalls(steps).height == 0


def test_a_replan_resets_the_team_so_earlier_repeats_are_not_evidence() -> None:
    # In the replan history the surfer's step 13 and 17 repeat step 9 word for word (the 503 page),
    # all before the new plan at step 20: no repeated_action. In the stall loop (no replan) the
    # same kind of repeat is a candidate.
    from forensics.attribution import _repeats, _steps
    from forensics.classify import _as_spans

    replan = _steps(_as_spans(load(M1 / "magentic_one_replan_drops_fact.json")))
    assert replan.filter(pl.col("replan"))["step"].to_list() == [20]
    assert _repeats(replan).height == 0
    loop = _steps(_as_spans(load(M1 / "magentic_one_stall_loop.json")))
    assert _repeats(loop)["decisive_step"].to_list() == [17]


def test_plan_acting_on_a_given_fact_the_task_never_gave() -> None:
    # magentic_one_wrong_plan.json: the initial fact sheet lists "14 stations before the extension"
    # under GIVEN OR VERIFIED FACTS; the task never says 14.
    row = _one(attribute(load(M1 / "magentic_one_wrong_plan.json")), "m1-wrong-plan")
    assert verdict(row) == (
        "Orchestrator",
        1,
        "plan_unbacked_fact",
    )
    assert row["attribution_evidence"] == (
        "step 1: Orchestrator's plan acts on 14 that neither the task nor any earlier message held"
    )


def test_replan_swapping_a_learned_fact_for_a_guess() -> None:
    # magentic_one_replan_drops_fact.json: the surfer found 2009 (step 5); the new plan (step 20)
    # guesses 2011 and its bullets search for it.
    row = _one(attribute(load(M1 / "magentic_one_replan_drops_fact.json")), "m1-replan-drops-fact")
    assert verdict(row) == (
        "Orchestrator",
        20,
        "plan_unbacked_fact",
    )
    assert "acts on 2011" in row["attribution_evidence"]


def test_plan_whose_numbers_the_task_holds_is_not_unbacked() -> None:
    # Near miss: the coder history's plan restates the task's own "10"; no plan fact is new.
    from forensics.attribution import _plan_unbacked_facts, _steps
    from forensics.classify import _as_spans

    steps = _steps(_as_spans(load(M1 / "magentic_one_coder_exit0.json")))
    assert steps.filter(pl.col("plan_msg"))["step"].to_list() == [1]
    assert _plan_unbacked_facts(steps).height == 0


def test_orchestrator_accepting_an_answer_its_worker_could_not_verify() -> None:
    # magentic_one_unverified.json: step 10 "I could not find an official attendance figure ...
    # probably about 40000"; the ledger at 11 declares the request satisfied on it.
    row = _one(attribute(load(M1 / "magentic_one_unverified.json")), "m1-unverified")
    assert verdict(row) == (
        "Orchestrator",
        11,
        "unverified_accepted",
    )


def test_accepting_a_plain_answer_is_traced_to_the_answer_not_the_orchestrator(tmp_path: Path) -> None:
    # Near miss: the wrong-click history without its FINAL ANSWER: the surfer's page said 1904 plainly
    # (step 9), the ledger's reason states 1904: the surfer at 9.
    row = _one(_variant(tmp_path, "magentic_one_wrong_click.json", 1), "m1-wrong-click")
    assert verdict(row) == (
        "WebSurfer",
        9,
        "accepted_wrong_answer",
    )


def _m1_history(tmp_path: Path, instruction: str) -> pl.DataFrame:
    ledger = json.dumps(
        {
            "is_request_satisfied": {"reason": "Not yet.", "answer": False},
            "is_in_loop": {"reason": "No.", "answer": False},
            "is_progress_being_made": {"reason": "The file could not be read.", "answer": False},
            "next_speaker": {"reason": "The Coder can count.", "answer": "Coder"},
            "instruction_or_question": {"reason": "Next step.", "answer": instruction},
        },
        indent=2,
    )
    done = ledger.replace(
        '"reason": "Not yet.",\n    "answer": false', '"reason": "The Coder counted 8.",\n    "answer": true'
    )
    assert done != ledger
    doc = {
        "question_ID": "m1-assume",
        "history": [
            {"role": "human", "content": "How many night shifts are in the attached rota.pdf?"},
            {"role": "Orchestrator (thought)", "content": "Initial plan:\n\nWe are working to address ..."},
            {
                "role": "FileSurfer",
                "content": "Address: file:///workspace/rota.pdf\n# Error\n\nUnsupported format",
            },
            {"role": "Orchestrator (thought)", "content": "Updated Ledger:\n" + ledger},
            {"role": "Orchestrator (-> Coder)", "content": instruction},
            {"role": "Orchestrator (thought)", "content": "Next speaker Coder"},
            {"role": "Coder", "content": "The count is 8."},
            {"role": "Orchestrator (thought)", "content": "Updated Ledger:\n" + done},
            {"role": "Orchestrator (thought)", "content": "Request satisfied."},
        ],
    }
    path = tmp_path / "assume.json"
    path.write_text(json.dumps(doc))
    return attribute(load(path, format="ag2-history"))


def test_orchestrator_telling_a_worker_to_assume_a_value(tmp_path: Path) -> None:
    row = _one(_m1_history(tmp_path, "The file cannot be read; assume two night shifts a week."), "m1-assume")
    assert verdict(row) == (
        "Orchestrator",
        3,
        "unverified_accepted",
    )


def test_orchestrator_instruction_without_an_assumption(tmp_path: Path) -> None:
    # Near miss: the same run told to read the file with the terminal instead.
    row = _one(_m1_history(tmp_path, "Convert rota.pdf to text with pdftotext and count."), "m1-assume")
    assert row["attribution_rule"] != "unverified_accepted"


def test_orchestrated_run_without_evidence_falls_back_to_the_orchestrators_plan(tmp_path: Path) -> None:
    # The wrong-click history cut before its satisfied ledger: no stall, no error, no answer.
    # The orchestrator (the agent keeping the ledger) and its plan at step 1 are named (a prior).
    row = _one(_variant(tmp_path, "magentic_one_wrong_click.json", 4), "m1-wrong-click")
    assert verdict(row) == (
        "Orchestrator",
        1,
        "orchestrator_plan",
    )
    assert "a prior, not evidence" in row["attribution_evidence"]


def test_run_without_an_orchestrator_keeps_first_response(tmp_path: Path) -> None:
    # Near miss: an AG2-style chat (no handoffs, no ledgers) has no orchestrator: first_response.
    out = _history(tmp_path, [("user", "Find x."), ("Expert", "It is probably fine."), ("Expert", "Done.")])
    row = _one(out, "r")
    assert verdict(row) == (
        "Expert",
        1,
        "first_response",
    )


def test_blame_scores_are_the_same_with_is_correct_removed(tmp_path: Path) -> None:
    # The six labelled Magentic-One histories scored as given and as copies without is_correct
    # (labels removed by the scorer in both): every run's agent and step is the same. Without a
    # verdict, the runs table names only the run whose own log declares the failure (the stall loop,
    # "Max rounds (30) reached."); the scorer names the others because the benchmark says they failed.
    from forensics.classify import classify
    from forensics.evaluate import evaluate_blame

    names = ["wrong_click", "wrong_plan", "unverified", "coder_exit0", "replan_drops_fact", "stall_loop"]
    files = [M1 / f"magentic_one_{n}.json" for n in names]
    with_verdict = load(files)
    stripped = []
    for f in files:
        doc = json.loads(f.read_text())
        del doc["is_correct"]
        (tmp_path / f.name).write_text(json.dumps(doc))
        stripped.append(tmp_path / f.name)
    without = load(stripped)
    a = evaluate_blame(classify(with_verdict), with_verdict)
    b = evaluate_blame(classify(without), without)
    cols = ["run_id", "decisive_agent", "decisive_step", "attribution_rule"]
    assert a.runs.select(cols).equals(b.runs.select(cols))
    assert b.runs.filter(~pl.col("named_for_benchmark"))["run_id"].to_list() == ["m1-stall-loop"]
    runs = {r["run_id"]: r for r in classify(without).runs.to_pylist()}
    assert (runs["m1-stall-loop"]["declared_outcome"], runs["m1-stall-loop"]["decisive_step"]) == (
        "failure",
        5,
    )
    assert (runs["m1-wrong-click"]["declared_outcome"], runs["m1-wrong-click"]["decisive_agent"]) == (
        "unknown",
        None,
    )


def test_plan_numbers_inside_dates_and_urls_are_not_facts(tmp_path: Path) -> None:
    # Near miss of plan_unbacked_fact: the plan's bullets hold numbers the task does not, but only
    # inside an ISO date and a URL (2021-03-04, /abs/2206.00001), not standing alone.
    doc = json.loads((M1 / "magentic_one_coder_exit0.json").read_text())
    plan = doc["history"][1]["content"]
    doc["history"][1]["content"] = plan.replace(
        "- ComputerTerminal: run it.",
        "- ComputerTerminal: run it, as of 2021-03-04 (see https://arxiv.org/abs/2206.00001).",
    )
    assert doc["history"][1]["content"] != plan
    path = tmp_path / "dates.json"
    path.write_text(json.dumps(doc))
    row = _one(attribute(load(path, format="ag2-history")), "m1-coder-exit0")
    assert row["attribution_rule"] != "plan_unbacked_fact"
    # The same number standing alone in a bullet is a fact the plan acts on.
    doc["history"][1]["content"] = plan.replace("- ComputerTerminal: run it.", "- Expect about 2206 rows.")
    path.write_text(json.dumps(doc))
    row = _one(attribute(load(path, format="ag2-history")), "m1-coder-exit0")
    assert (row["decisive_step"], row["attribution_rule"]) == (1, "plan_unbacked_fact")


def test_a_one_digit_answer_is_not_traced_to_a_plans_section_numbers(tmp_path: Path) -> None:
    # The coder history answering 3 instead of 9: "3" is in the plan only as the section number
    # "3. FACTS TO DERIVE"; the terminal printed it first (step 9), running the Coder's step 5.
    doc = json.loads((M1 / "magentic_one_coder_exit0.json").read_text())
    assert "3. FACTS TO DERIVE" in doc["history"][1]["content"]
    for m in doc["history"][9:]:
        m["content"] = m["content"].replace("9", "3")
    path = tmp_path / "three.json"
    path.write_text(json.dumps(doc))
    row = _one(attribute(load(path, format="ag2-history")), "m1-coder-exit0")
    assert verdict(row) == (
        "Coder",
        5,
        "final_answer_origin",
    )


def _reason(tmp_path: Path, name: str, old: str, new: str, drop_last: int = 1) -> pl.DataFrame:
    doc = json.loads((M1 / name).read_text())
    doc["history"] = doc["history"][: len(doc["history"]) - drop_last]
    text = json.dumps(doc)
    assert text.count(old) == 1
    path = tmp_path / name
    path.write_text(text.replace(old, new))
    return attribute(load(path, format="ag2-history"))


def test_satisfied_ledger_stating_a_name_is_traced_to_the_page_the_surfer_opened(tmp_path: Path) -> None:
    # The wrong-click history, its ledger's reason naming the place instead of the year: "Westmere
    # Bay" is listed on the search results page (step 5) and first taken up on the page the surfer
    # opened (step 9). The agent names in the reason (WebSurfer) are not answers.
    out = _reason(
        tmp_path,
        "magentic_one_wrong_click.json",
        "The WebSurfer found that the lighthouse was first lit in 1904.",
        "The WebSurfer found the lighthouse in Westmere Bay.",
    )
    row = _one(out, "m1-wrong-click")
    assert verdict(row) == (
        "WebSurfer",
        9,
        "accepted_wrong_answer",
    )
    assert "stating Bay" in row["attribution_evidence"] or "stating Westmere" in row["attribution_evidence"]


def test_satisfied_ledger_stating_only_names_from_the_task_is_not_traced(tmp_path: Path) -> None:
    # Near miss: the reason names only what the task names (Corran Island): the judged message.
    out = _reason(
        tmp_path,
        "magentic_one_wrong_click.json",
        "The WebSurfer found that the lighthouse was first lit in 1904.",
        "The lighthouse on Corran Island was found.",
    )
    row = _one(out, "m1-wrong-click")
    assert row["attribution_evidence"] == (
        "step 14: the orchestrator's ledger took the request as satisfied by WebSurfer's step 13"
    )


def _orchestrated_chat(satisfied: bool) -> Any:
    """A chat transcript (no ag2-history loader, no verdict anywhere) whose orchestrator's last
    ledger says the request is or is not satisfied."""
    led = json.dumps(
        {
            "is_request_satisfied": {"reason": "The page gave 42.", "answer": satisfied},
            "is_in_loop": {"reason": "No.", "answer": False},
            "is_progress_being_made": {"reason": "New text.", "answer": True},
            "next_speaker": {"reason": "x", "answer": "WebSurfer"},
            "instruction_or_question": {"reason": "x", "answer": "Read the page."},
        }
    )
    return spans(
        span("s0", 0, 1, kind="human", name="user", output="How many moons has the planet Zorb?"),
        span(
            "s1",
            1,
            2,
            parent_id="s0",
            kind="agent",
            name="WebSurfer",
            output="The page says Zorb has 42 moons.",
        ),
        span("s2", 2, 3, parent_id="s1", kind="agent", name="MagenticOneOrchestrator", output=led),
        run_id="chat",
    )


def test_runs_table_attributes_a_run_whose_own_log_declares_failure() -> None:
    # No verdict and no detector: the orchestrator's only ledger says the request is not satisfied,
    # which the log itself declares a failure (forensics.conventions.ledger.log_declared_failures).
    from forensics.classify import _as_spans, classify
    from forensics.conventions.ledger import log_declared_failures

    conv = _orchestrated_chat(satisfied=False)
    assert log_declared_failures(_as_spans(conv))["run_id"].to_list() == ["chat"]
    (run,) = classify(conv).runs.to_pylist()
    assert (run["declared_outcome"], run["decisive_agent"], run["decisive_step"]) == (
        "unknown",
        "WebSurfer",
        1,
    )


def test_runs_table_names_nobody_in_a_run_of_unknown_outcome() -> None:
    # Near miss: the same run whose ledger says the request is satisfied: the log declares nothing,
    # nothing flagged it, so no decisive agent (it may have succeeded).
    from forensics.classify import _as_spans, classify
    from forensics.conventions.ledger import log_declared_failures

    conv = _orchestrated_chat(satisfied=True)
    assert log_declared_failures(_as_spans(conv)).height == 0
    (run,) = classify(conv).runs.to_pylist()
    assert (run["declared_outcome"], run["ok"], run["decisive_agent"]) == ("unknown", True, None)


def test_a_handoff_by_an_agent_that_keeps_no_ledger_is_not_an_orchestrator_instruction() -> None:
    # Near miss of the assume rule: a triage agent handing off with "assume" in its message is not
    # an orchestrator (no progress ledger), so its words are not an orchestrator's instruction.
    conv = spans(
        span("a", 0, 1, kind="agent", name="triage", output="Routing the refund."),
        span(
            "b", 1, 2, parent_id="a", kind="handoff", name="triage", output="Assume the customer is premium."
        ),
        span("c", 2, 3, parent_id="a", kind="agent", name="billing", output="Refund sent."),
        run_id="h",
    )
    row = _one(attribute(conv), "h")
    assert row["attribution_rule"] != "unverified_accepted"
