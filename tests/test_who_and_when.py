"""Who&When: 126 real failed multi-agent runs (AG2 CaptainAgent) with a human-chosen mistake agent
and step. We load them all, classify them and report how often the runs' decisive agent and step
(forensics.attribution) are that agent and step: on the two thirds the rules were tuned on and on
the third held back before tuning (``blame_holdout``), with label-free baselines beside them. The
report is printed (``pytest -s``); only facts read from the files are asserted, never an accuracy.
The labels are removed before classifying in one test and the figures must not move.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from realdata import WHO_AND_WHEN

from forensics.attribution import attribute
from forensics.classify import Classification, classify
from forensics.evaluate import (
    BlameEvaluation,
    blame_baselines,
    blame_holdout,
    blame_labels_from_spans,
    evaluate_blame,
    without_labels,
)
from forensics.load import LoadResult, load

WW = WHO_AND_WHEN
pytestmark = pytest.mark.skipif(not WW.is_dir(), reason="Who&When dev set not present")


@pytest.fixture(scope="module")
def loaded() -> LoadResult:
    return load(WW)


@pytest.fixture(scope="module")
def classified(loaded: LoadResult) -> Classification:
    return classify(loaded)


@pytest.fixture(scope="module")
def blame(classified: Classification, loaded: LoadResult) -> BlameEvaluation:
    return evaluate_blame(classified, loaded)


def test_every_file_loads_one_span_per_message(loaded: LoadResult) -> None:
    docs = {p.name: json.loads(p.read_text()) for p in WW.glob("*.json")}
    assert len(docs) == 126
    assert loaded.spans.num_rows == sum(len(d["history"]) for d in docs.values())
    counts: dict[str, int] = {}
    for rid in loaded.spans.column("run_id").to_pylist():
        counts[rid] = counts.get(rid, 0) + 1
    assert len(counts) == 126
    for doc in docs.values():
        assert counts[doc["question_ID"]] == len(doc["history"])


def test_labels_come_through_from_the_files(loaded: LoadResult) -> None:
    labels = {r["run_id"]: r for r in blame_labels_from_spans(loaded).to_dicts()}
    assert len(labels) == 126
    # 1.json, read by hand: Excel_Expert made the mistake at step 0.
    one = labels["4d51c4bf-4b0e-4f3d-897b-3f6687a7d9f2"]
    assert (one["mistake_agent"], one["mistake_step"]) == ("Excel_Expert", 0)


def test_a_failed_terminal_run_that_nobody_retried(classified: Classification) -> None:
    # 108.json, read by hand: step 5 is Computer_terminal "exitcode: 1" running the code of step 4
    # (DataVerification_Expert); no later terminal run, and the chat ends with TERMINATE.
    rid = "cca4776df3c73e7f9430a2e624aafad056b14322a0b7ca6c0c22b7e7f3f0890a"
    found = {
        (f["detector"], f["decisive_span_id"]) for f in classified.findings.to_pylist() if f["run_id"] == rid
    }
    # The chat then reported success (TERMINATE): the ignored failure is told once, as swallowed_error.
    assert ("swallowed_error", "step-5") in found
    assert not {d for d, _ in found} & {"unhandled_error"}
    (run,) = [r for r in classified.runs.to_pylist() if r["run_id"] == rid]
    assert run["decisive_span_id"] == "step-5"


def test_a_failure_that_was_retried_is_not_unhandled(classified: Classification) -> None:
    # 10.json, read by hand: step 6 exitcode 1, the expert fixes the code, step 8 exitcode 0.
    rid = "d1af70ea-a9a4-421a-b9cc-94b5e02f1788"
    detectors = {f["detector"] for f in classified.findings.to_pylist() if f["run_id"] == rid}
    assert not detectors & {"unhandled_error", "swallowed_error"}


def test_blame_report(blame: BlameEvaluation, classified: Classification, loaded: LoadResult) -> None:
    # Every dev run says is_correct false: each is a declared failure, so each gets a decisive
    # agent and step, flagged by a detector or not.
    assert blame.total == 126
    assert blame.flagged == 126
    runs = classified.runs.to_pylist()
    assert all(r["declared_outcome"] == "failure" and r["decisive_step"] is not None for r in runs)
    assert blame.both_correct <= min(blame.agent_correct, blame.step_correct)
    held = blame_holdout(blame.runs["run_id"])
    tuned = set(blame.runs["run_id"]) - held
    assert (len(held), len(tuned)) == (42, 84)
    for name, part in (("tuned on", tuned), ("held back", held), ("all", set(blame.runs["run_id"]))):
        figures = blame.subset(part)
        assert figures.total == len(part)
        print(f"\nWho&When dev set, {name} ({len(part)} runs):\n" + figures.format_text())
        spans = pl.DataFrame(pl.from_arrow(loaded.spans)).filter(pl.col("run_id").is_in(list(part)))
        print(blame_baselines(spans))


def test_scores_are_the_same_with_the_labels_removed(loaded: LoadResult, blame: BlameEvaluation) -> None:
    # The fixture classifies the spans as loaded (labels kept as run.* attributes); here the copy
    # without them: every run's decisive agent and step, and the attribution, are identical.
    spans = pl.DataFrame(pl.from_arrow(loaded.spans))
    clean = without_labels(spans)
    assert not clean["attributes"].str.contains("run.mistake_").any()
    assert not clean["attributes"].str.contains("run.ground_truth").any()
    assert clean.height == spans.height
    again = evaluate_blame(classify(clean), clean, blame_labels_from_spans(spans))
    cols = ["run_id", "decisive_agent", "decisive_step", "attribution_rule", "agent_match", "step_match"]
    assert again.runs.select(cols).equals(blame.runs.select(cols))
    assert attribute(clean).equals(attribute(spans))


def test_holdout_is_fixed_by_ids_alone(blame: BlameEvaluation) -> None:
    ids = blame.runs["run_id"].to_list()
    held = blame_holdout(ids)
    assert held == blame_holdout(list(reversed(ids)))  # not the order
    assert held <= set(ids) and len(held) == len(ids) // 3
    assert blame_holdout(ids, seed="another seed") != held


def test_cli_blame_report_on_real_who_and_when_files(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from realdata import WHO_AND_WHEN

    if not WHO_AND_WHEN.exists():
        pytest.skip(f"{WHO_AND_WHEN} is not available (../shared is missing beside the repo)")
    for name in ("1.json", "10.json", "108.json"):
        shutil.copy(WHO_AND_WHEN / name, tmp_path / name)
    proc = subprocess.run(
        [sys.executable, "-m", "forensics.cli", "evaluate", str(tmp_path), "--blame"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "runs with a human-labeled mistake: 3" in proc.stdout
    neither = subprocess.run(
        [sys.executable, "-m", "forensics.cli", "evaluate", str(tmp_path)], capture_output=True, text=True
    )
    assert neither.returncode == 2 and "--labels FILE or --blame" in neither.stderr


def test_scores_are_the_same_with_is_correct_removed_too(tmp_path: Path, blame: BlameEvaluation) -> None:
    # Copies of the 126 files without is_correct (the scorer removes mistake_* and ground_truth in
    # both): no run's log declares its own failure (AG2 chats carry no verdict), so the runs table
    # names only the runs a detector flagged and the scorer names the rest because the benchmark
    # says they failed; every run's decisive agent and step are the same as with the verdict.
    for p in WW.glob("*.json"):
        doc = json.loads(p.read_text())
        assert doc.pop("is_correct") is False
        (tmp_path / p.name).write_text(json.dumps(doc))
    loaded = load(tmp_path)
    c = classify(loaded)
    assert set(c.runs.column("declared_outcome").to_pylist()) == {"unknown"}
    again = evaluate_blame(c, loaded)
    cols = ["run_id", "decisive_agent", "decisive_step", "agent_match", "step_match"]
    assert again.runs.select(cols).equals(blame.runs.select(cols))
    flagged = sum(1 for r in c.runs.to_pylist() if not r["ok"])
    assert again.runs["named_for_benchmark"].sum() == 126 - flagged
