"""The sample corpus: every labeled run gets its expected classes and decisive span; clean runs are ok.

Labels are the ground truth in sample_logs/labels.jsonl, written by a reviewer from the stories
in sample_logs/_scenarios.py (never from this classifier's output).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forensics.classify import Classification, classify
from forensics.evaluate import evaluate
from forensics.load import load

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
LABELS = SAMPLES / "labels.jsonl"


def _labels() -> list[dict[str, Any]]:
    return [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def result() -> Classification:
    return classify(load(SAMPLES))


@pytest.fixture(scope="module")
def by_run(result: Classification) -> dict[str, dict[str, Any]]:
    runs = {r["run_id"]: {**r, "detectors": set()} for r in result.runs.to_pylist()}
    for f in result.findings.to_pylist():
        runs[f["run_id"]]["detectors"].update({f["detector"], f["failure_class"]})
    return runs


@pytest.mark.parametrize("label", _labels(), ids=lambda lab: f"{lab['scenario']}:{lab['run_id'][:8]}")
def test_labeled_run(label: dict[str, Any], by_run: dict[str, dict[str, Any]]) -> None:
    run = by_run.get(label["run_id"])
    assert run is not None, f"run {label['run_id']} of {label['file']} was not loaded"
    assert sorted(run["classes"]) == sorted(label["expected_classes"]), label["story"]
    assert run["decisive_span_id"] == label["decisive_span_id"], label["story"]
    # Every detector the reviewer expects fired (a label may name a class where any of its detectors will do).
    assert set(label["expected_detectors"]) <= run["detectors"], label["story"]
    if not label["expected_classes"]:
        assert run["ok"] and run["primary_class"] is None


def test_every_run_in_the_corpus_is_labeled(by_run: dict[str, dict[str, Any]]) -> None:
    assert set(by_run) == {lab["run_id"] for lab in _labels()}


def test_evaluation_of_the_corpus(result: Classification) -> None:
    e = evaluate(result, LABELS)
    assert e.missing_runs == []
    assert e.misses.height == 0, e.format_text()
    assert e.false_alarms.height == 0, e.format_text()
    assert e.decisive_correct == e.decisive_total
