"""chat-messages: a run id is the file's own, so two files never merge into one run.

tau-bench writes one results file per run of the benchmark (sierra-research/tau-bench
``tau_bench/run.py``: a JSON list of ``EnvRunResult`` = ``{task_id, reward, info, traj, trial}``), so
two results files both hold task 12's trial 0. Read together, each is its own run (``<id>#<file>``),
every span kept; a run id only one file holds stays as written, so labels keyed on it still match.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics


def _result(task_id: int, trial: int, reply: str) -> dict:
    return {"task_id": task_id, "trial": trial, "reward": 1.0, "info": {},
            "traj": [{"role": "system", "content": "You are an airline agent."},
                     {"role": "user", "content": "Cancel reservation ZFA04Y please."},
                     {"role": "assistant", "content": reply}]}  # fmt: skip


def test_the_same_task_and_trial_in_two_results_files_are_two_runs(tmp_path: Path) -> None:
    (tmp_path / "monday").mkdir()
    (tmp_path / "tuesday").mkdir()
    (tmp_path / "monday" / "results.json").write_text(json.dumps([_result(12, 0, "Cancelled."), _result(13, 0, "Done.")]))
    (tmp_path / "tuesday" / "results.json").write_text(json.dumps([_result(12, 0, "I could not cancel it.")]))
    result = forensics.load(tmp_path)
    assert result.report.quarantined == 0 and result.report.merged == 0
    runs = {(r["run_id"], r["output"]) for r in result.spans.to_pylist() if r["kind"] == "llm"}
    assert runs == {
        ("12:trial=0#monday/results", "Cancelled."),
        ("12:trial=0#tuesday/results", "I could not cancel it."),
        # Held by one file only: its id stays as written.
        ("13:trial=0", "Done."),
    }


def test_near_miss_one_file_alone_keeps_its_ids(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps([_result(12, 0, "Cancelled."), _result(12, 1, "Cancelled again.")]))
    ids = {r["run_id"] for r in forensics.load(path).spans.to_pylist()}
    assert ids == {"12:trial=0", "12:trial=1"}
