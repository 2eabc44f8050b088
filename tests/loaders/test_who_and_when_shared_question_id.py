"""Who&When files that share a ``question_ID`` are distinct runs (forensics/loaders/task_run_ids.py).

The Who&When benchmark (ag2-history's schema: ``{question, question_ID, history[], is_correct,
mistake_agent, mistake_step, ...}``) has the same GAIA question in its Hand-Crafted and
Algorithm-Generated subsets, one file per run, each named by its number in its own directory; a
repeated trial of a question writes a second record of the same ``question_ID``. The loader's run
id is the ``question_ID``: read together, such runs must stay apart, nothing quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from forensics.load import load


def _record(qid: str, verdict: bool, answer: str) -> dict:
    return {
        "question": "How many studio albums did the band release before 2000?",
        "question_ID": qid,
        "is_correct": verdict,
        "history": [
            {"role": "human", "content": "How many studio albums did the band release before 2000?"},
            {"role": "Orchestrator (-> WebSurfer)", "content": "Please search for the discography."},
            {"role": "WebSurfer", "content": f"I typed 'discography' into the search bar. It lists {answer}."},
        ],
    }


def _write(path: Path, *records: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records[0]) if len(records) == 1 else "\n".join(json.dumps(r) for r in records))
    return path


def test_the_same_question_in_two_subsets_is_two_runs(tmp_path: Path) -> None:
    qid = "0a3cd321-3e76-4622-911b-0fda2e5d6b1a"
    a = _write(tmp_path / "Hand-Crafted" / "7.json", _record(qid, False, "three"))
    b = _write(tmp_path / "Algorithm-Generated" / "7.json", _record(qid, True, "four"))
    result = load([a, b])
    assert result.quarantine.num_rows == 0
    runs = pl.DataFrame(pl.from_arrow(result.spans)).group_by("run_id").len().sort("run_id")
    assert runs.to_dicts() == [
        {"run_id": f"{qid}#Algorithm-Generated/7", "len": 3},
        {"run_id": f"{qid}#Hand-Crafted/7", "len": 3},
    ]
    # The same ids whatever order the files are read in.
    again = pl.DataFrame(pl.from_arrow(load([b, a]).spans)).get_column("run_id").unique().sort()
    assert again.to_list() == runs.get_column("run_id").to_list()


def test_repeated_trials_in_one_file_are_two_runs(tmp_path: Path) -> None:
    path = _write(tmp_path / "trials.jsonl", _record("q-7", False, "three"), _record("q-7", True, "four"))
    result = load(path, format="ag2-history")
    assert result.quarantine.num_rows == 0
    assert sorted(set(pl.from_arrow(result.spans).get_column("run_id").to_list())) == ["q-7#1", "q-7#2"]


def test_near_miss_a_question_id_no_other_file_holds_stays_as_it_is(tmp_path: Path) -> None:
    a = _write(tmp_path / "Hand-Crafted" / "7.json", _record("q-7", False, "three"))
    b = _write(tmp_path / "Hand-Crafted" / "8.json", _record("q-8", True, "four"))
    ids = pl.from_arrow(load([a, b]).spans).get_column("run_id").unique().sort().to_list()
    assert ids == ["q-7", "q-8"]
