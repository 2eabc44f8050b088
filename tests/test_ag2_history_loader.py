"""ag2-history: Who&When conversation histories. Expectations read from the files by hand."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from realdata import WHO_AND_WHEN

from forensics.load import load

WW = WHO_AND_WHEN
needs_ww = pytest.mark.skipif(not WW.is_dir(), reason="Who&When dev set not present")


def _spans(result) -> pl.DataFrame:
    return pl.DataFrame(pl.from_arrow(result.spans)).sort("start_time")


@needs_ww
def test_ag2_file_sniffed_one_span_per_message() -> None:
    # 10.json: 10 messages; Validation_Expert talks, Computer_terminal answers at steps 1, 6, 8;
    # step 6 is "exitcode: 1 (execution failed)", step 8 "exitcode: 0".
    result = load(WW / "10.json")
    assert result.report.files[0].format == "ag2-history"
    assert result.report.files[0].chosen_by == "sniffed"
    df = _spans(result)
    assert df.height == 10
    assert df["run_id"].unique().to_list() == ["d1af70ea-a9a4-421a-b9cc-94b5e02f1788"]
    assert df["span_id"].to_list() == [f"step-{i}" for i in range(10)]
    assert df["parent_id"].to_list() == [None] + [f"step-{i}" for i in range(9)]
    tools = df.filter(pl.col("kind") == "tool")
    assert tools["span_id"].to_list() == ["step-1", "step-6", "step-8"]
    assert tools["tool"].unique().to_list() == ["Computer_terminal"]
    assert df.filter(pl.col("status") == "error")["span_id"].to_list() == ["step-6"]
    assert df.filter(pl.col("span_id") == "step-6")["error_type"].item() == "exitcode 1"
    # The terminal's tool spans belong to the agent whose code they ran (inherited from the parent).
    assert df["agent"].unique().to_list() == ["Validation_Expert"]
    # Synthesised clock: step i starts at i seconds after the epoch, and says so.
    assert df["start_time"].dt.epoch("s").to_list() == list(range(10))
    assert all("time_synthesized" in a for a in df["attributes"].to_list())
    # The benchmark's labels stay with the run (first step's attributes), nothing lost.
    first = json.loads(df["attributes"][0])
    assert first["run.mistake_agent"] == "Validation_Expert"
    assert first["run.mistake_step"] == "5"


@needs_ww
def test_large_ag2_file_whose_head_is_cut_still_sniffs() -> None:
    # 108.json is bigger than the sniffing window; step 5 is a failed terminal run (Traceback).
    result = load(WW / "108.json")
    assert result.report.files[0].format == "ag2-history"
    df = _spans(result)
    assert df.height == 10
    assert df.filter(pl.col("status") == "error")["span_id"].to_list() == ["step-5"]
    assert df.filter(pl.col("span_id") == "step-5")["error_type"].item() == "exitcode 1"


@needs_ww
@pytest.mark.parametrize("name", ["1.json", "100.json", "108.json", "30.json"])
def test_span_count_is_history_length(name: str) -> None:
    doc = json.loads((WW / name).read_text())
    df = _spans(load(WW / name))
    assert df.height == len(doc["history"])
    assert df["output"].to_list() == [m["content"] for m in doc["history"]]


@needs_ww
def test_whole_dev_set_loads_with_nothing_quarantined() -> None:
    result = load(WW)
    assert len(result.report.files) == 126
    assert {f.format for f in result.report.files} == {"ag2-history"}
    assert result.quarantine.num_rows == 0
    # 1,099 messages across the 126 histories (counted with json.load over every file).
    assert result.spans.num_rows == 1099


def test_magentic_one_roles_handoffs_and_exitcodes(tmp_path: Path) -> None:
    doc = {
        "question": "q",
        "history": [
            {"role": "human", "content": "How many?"},
            {"role": "Orchestrator (thought)", "content": "Plan: ask WebSurfer."},
            {"role": "Orchestrator (-> WebSurfer)", "content": "Please search for it."},
            {"role": "WebSurfer", "content": "I typed 'it' into the search box.\n```python\nprint(1)\n```"},
            {
                "role": "ComputerTerminal",
                "content": "exitcode: 2 (execution failed)\nCode output: boom\nValueError: bad",
            },
            {"role": "Orchestrator (-> Coder)", "content": "Coder, fix it."},
        ],
    }
    path = tmp_path / "m1.json"
    path.write_text(json.dumps(doc))
    result = load(path, format="ag2-history")
    df = _spans(result)
    assert df["run_id"].unique().to_list() == ["m1"]  # no question_ID: the file stem
    assert df["kind"].to_list() == ["human", "agent", "handoff", "agent", "tool", "handoff"]
    # The terminal's tool span belongs to the agent whose code it ran.
    assert df["agent"].to_list() == [
        "human",
        "Orchestrator",
        "Orchestrator",
        "WebSurfer",
        "WebSurfer",
        "Orchestrator",
    ]
    assert df["handoff_to"].to_list() == [None, None, "WebSurfer", None, None, "Coder"]
    term = df.filter(pl.col("kind") == "tool")
    assert term["tool"].item() == "ComputerTerminal"
    assert term["status"].item() == "error"
    assert term["error_type"].item() == "exitcode 2"
    assert term["error_message"].item() == "ValueError: bad"
    assert term["input"].item() == "print(1)"  # the code of the message before it


def test_bad_records_are_quarantined_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            [
                {
                    "question_ID": "a",
                    "history": [{"name": "X", "role": "user", "content": "hi"}, "not a message"],
                },
                {"question_ID": "b", "history": []},
            ]
        )
    )
    result = load(path, format="ag2-history")
    acct = result.report.files[0]
    assert acct.rows == 1
    assert acct.quarantined == 2
    assert acct.reasons == {"not-a-message": 1, "missing-history": 1}


# --- Magentic-One (histories written from autogen_magentic_one's emitting code: tests/data/ag2_history/README_magentic_one.md)

M1 = Path(__file__).resolve().parent / "data" / "ag2_history"


def _m1(name: str) -> pl.DataFrame:
    result = load(M1 / name)
    assert result.report.files[0].format == "ag2-history"
    assert result.quarantine.num_rows == 0
    return _spans(result)


def test_magentic_one_ledger_answers_become_attributes() -> None:
    # magentic_one_websurfer_stall.json: ledgers at steps 2, 6, 10, 14; step 10 answers
    # is_progress_being_made false, step 14 also is_in_loop true (written so, see its README).
    df = _m1("magentic_one_websurfer_stall.json")
    attrs = [json.loads(a) for a in df["attributes"].to_list()]
    ledgers = {i: a for i, a in enumerate(attrs) if "ledger.is_in_loop" in a}
    assert sorted(ledgers) == [2, 6, 10, 14]
    assert [ledgers[i]["ledger.is_progress_being_made"] for i in (2, 6, 10, 14)] == [True, True, False, False]
    assert [ledgers[i]["ledger.is_in_loop"] for i in (2, 6, 10, 14)] == [False, False, False, True]
    assert ledgers[10]["ledger.next_speaker"] == "WebSurfer"
    assert ledgers[10]["ledger.is_progress_being_made.reason"].startswith("The page denied access")
    assert ledgers[2]["ledger.instruction_or_question"].startswith("Search the web for Fabrikam")
    # "Next speaker WebSurfer" thoughts, and the note of every "Agent (note)" role.
    assert attrs[4]["orchestrator.next_speaker"] == "WebSurfer"
    assert attrs[1]["history.note"] == "thought"
    assert attrs[17]["history.note"] == "termination condition"
    assert df["agent"][17] == "Orchestrator"
    # Handoffs: "Orchestrator (-> WebSurfer)" at steps 3, 7, 11, 15.
    assert df.filter(pl.col("kind") == "handoff")["span_id"].to_list() == [
        "step-3",
        "step-7",
        "step-11",
        "step-15",
    ]
    # is_correct false is the run's own verdict, on its root span.
    assert attrs[0]["@outcome"] == {"verdict": "failure", "score": 0.0, "field": "is_correct", "value": False}


def test_magentic_one_terminal_runs_the_coders_code_and_its_exit_code_is_read() -> None:
    # magentic_one_coder_misread.json: the Coder's script at step 5; three orchestrator messages
    # (6-8) between it and the terminal (step 9), which says "Unix exit code: 1".
    df = _m1("magentic_one_coder_misread.json")
    term = df.filter(pl.col("kind") == "tool")
    assert term["span_id"].to_list() == ["step-9"]
    assert term["tool"].item() == "ComputerTerminal"
    # Handed work by the orchestrator (step 7), the terminal answers as the agent it is; the code it
    # ran is the Coder's (its input).
    assert term["agent"].item() == "ComputerTerminal"
    assert term["input"].item().startswith("import pandas as pd")
    assert term["status"].item() == "error" and term["error_type"].item() == "exitcode 1"
    assert term["error_message"].item().startswith("FileNotFoundError")
    last = json.loads(df["attributes"][16])
    assert last["final_answer"] == "318"


def test_magentic_one_exit_code_zero_is_ok_and_outcome_success() -> None:
    df = _m1("magentic_one_healthy.json")
    term = df.filter(pl.col("kind") == "tool")
    assert term["status"].item() == "ok"
    assert json.loads(term["attributes"].item())["exitcode"] == 0
    assert json.loads(df["attributes"][0])["@outcome"]["verdict"] == "success"


def test_web_surfing_error_and_no_code_terminal(tmp_path: Path) -> None:
    # MultimodalWebSurfer returns a caught exception as "Web surfing error:\n\n<traceback>"; the
    # Executor answers "No code block detected..." when there is nothing to run.
    doc = {
        "history": [
            {"role": "human", "content": "Find it."},
            {"role": "Coder", "content": "```python\nprint(2)\n```"},
            {
                "role": "WebSurfer",
                "content": "Web surfing error:\n\nTraceback (most recent call last):\n  File "
                '"x.py", line 1, in f\nValueError: No such element.',
            },
            {
                "role": "ComputerTerminal",
                "content": "No code block detected in the messages. Please provide a "
                "markdown-encoded code block to execute for the original task.",
            },
        ]
    }
    path = tmp_path / "m1.json"
    path.write_text(json.dumps(doc))
    df = _spans(load(path, format="ag2-history"))
    surfer = df.filter(pl.col("span_id") == "step-2")
    assert surfer["status"].item() == "error" and surfer["error_type"].item() == "web surfing error"
    assert surfer["error_message"].item() == "ValueError: No such element."
    term = df.filter(pl.col("span_id") == "step-3")
    assert term["status"].item() == "ok" and term["input"].item() is None
    assert json.loads(term["attributes"].item())["terminal.no_code"] is True
    assert term["agent"].item() == "WebSurfer"  # nothing ran: the previous speaker's, by inheritance
    assert "@outcome" not in json.loads(df["attributes"][0])  # no is_correct, no verdict


def test_ledger_that_is_not_json_keeps_its_text(tmp_path: Path) -> None:
    doc = {"history": [{"role": "Orchestrator (thought)", "content": "Updated Ledger:\n{not json"}]}
    path = tmp_path / "bad_ledger.json"
    path.write_text(json.dumps(doc))
    df = _spans(load(path, format="ag2-history"))
    attrs = json.loads(df["attributes"].item())
    assert "ledger.parse_error" in attrs and "ledger.is_in_loop" not in attrs
    assert df["output"].item() == "Updated Ledger:\n{not json"


def _without_verdict(tmp_path: Path, name: str, drop_last: int = 0) -> pl.DataFrame:
    doc = json.loads((M1 / name).read_text())
    del doc["is_correct"]
    doc["history"] = doc["history"][: len(doc["history"]) - drop_last]
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return _spans(load(path, format="ag2-history"))


def test_magentic_one_log_that_ran_out_of_rounds_declares_a_failure(tmp_path: Path) -> None:
    # magentic_one_stall_loop.json ends "Orchestrator (termination condition)" "Max rounds (30)
    # reached." (base_orchestrator.py): without is_correct, the log's own verdict is a failure.
    df = _without_verdict(tmp_path, "magentic_one_stall_loop.json")
    outcome = json.loads(df["attributes"][0])["@outcome"]
    assert outcome == {
        "verdict": "failure",
        "field": "log",
        "reason": "the orchestrator ran out of rounds, time or replans",
    }


def test_magentic_one_log_whose_ledgers_never_satisfied_declares_a_failure(tmp_path: Path) -> None:
    # The same history cut before its termination message: its ledgers all say not satisfied.
    df = _without_verdict(tmp_path, "magentic_one_stall_loop.json", drop_last=1)
    assert not df["output"].str.contains("Max rounds").any()
    outcome = json.loads(df["attributes"][0])["@outcome"]
    assert outcome["reason"] == "no ledger of the orchestrator ever said the request was satisfied"


def test_magentic_one_log_whose_ledger_was_satisfied_declares_nothing(tmp_path: Path) -> None:
    # Near miss: magentic_one_wrong_figure.json's ledger at step 10 says the request is satisfied
    # (the answer is wrong, but the log does not say so): no verdict.
    df = _without_verdict(tmp_path, "magentic_one_wrong_figure.json")
    assert "@outcome" not in json.loads(df["attributes"][0])
