"""evaluate(): scores computed by hand on a three-run example, and label-file errors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from span_builder import concat, span, spans

from forensics.classify import classify
from forensics.errors import InputError
from forensics.evaluate import evaluate, evaluate_blame, read_labels


def _classification():
    bad = spans(
        span("root", 0, 10, kind="agent", name="triage", output="Answered."),
        span(
            "t1",
            1,
            parent_id="root",
            kind="tool",
            tool="crm.lookup",
            input="{}",
            status="error",
            error_type="429",
        ),
        run_id="bad",
    )
    good = spans(span("root", 0, 4, kind="agent", name="triage", output="Answered."), run_id="good")
    return classify(concat(bad, good))


LABELS = [
    {
        "run_id": "bad",
        "scenario": "s1",
        "expected_classes": ["missing_fallback", "ownership_gap"],
        "expected_detectors": ["unhandled_error", "dangling_handoff"],
        "decisive_span_id": "t1",
        "story": "lookup failed",
    },
    {
        "run_id": "good",
        "scenario": "s2",
        "expected_classes": [],
        "expected_detectors": [],
        "decisive_span_id": None,
    },
    {
        "run_id": "gone",
        "scenario": "s3",
        "expected_classes": ["silent_failure"],
        "expected_detectors": ["swallowed_error"],
        "decisive_span_id": "x9",
        "story": "never loaded",
    },
]


def _write_labels(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_scores_by_hand(tmp_path: Path) -> None:
    # Predicted: bad -> {silent_failure, missing_fallback}, decisive t1; good -> ok; gone is absent.
    e = evaluate(_classification(), _write_labels(tmp_path, LABELS))
    per = {r["failure_class"]: r for r in e.per_class.to_dicts()}
    assert (per["missing_fallback"]["tp"], per["missing_fallback"]["fp"], per["missing_fallback"]["fn"]) == (
        1,
        0,
        0,
    )
    assert per["missing_fallback"]["precision"] == 1.0 and per["missing_fallback"]["f1"] == 1.0
    assert (per["ownership_gap"]["tp"], per["ownership_gap"]["fn"]) == (0, 1)
    assert per["ownership_gap"]["recall"] == 0.0 and per["ownership_gap"]["precision"] is None
    assert (per["silent_failure"]["tp"], per["silent_failure"]["fp"], per["silent_failure"]["fn"]) == (
        0,
        1,
        1,
    )
    assert per["silent_failure"]["f1"] == 0.0
    assert per["runaway_cost"]["support"] == 0 and per["runaway_cost"]["f1"] is None

    assert e.missing_runs == ["gone"]
    assert (e.decisive_correct, e.decisive_total) == (1, 2)
    assert (e.clean_correct, e.clean_total) == (1, 1)
    assert e.exact_runs == 1  # only "good"
    assert e.misses.select("run_id", "failure_class").rows() == [
        ("bad", "ownership_gap"),
        ("gone", "silent_failure"),
    ]
    (fa,) = e.false_alarms.to_dicts()
    assert (fa["run_id"], fa["failure_class"], fa["detector"]) == ("bad", "silent_failure", "swallowed_error")
    assert "crm.lookup failed with HTTP 429" in fa["explanation"]

    conf = {r["expected"]: r for r in e.confusion.to_dicts()}
    assert (
        conf["missing_fallback"]["silent_failure"] == 1 and conf["missing_fallback"]["missing_fallback"] == 1
    )
    assert conf["ownership_gap"]["missing_fallback"] == 1
    assert conf["silent_failure"]["ok"] == 1
    assert conf["ok"]["ok"] == 1
    det = {r["detector"]: r for r in e.per_detector.to_dicts()}
    assert det["unhandled_error"]["found"] == 1 and det["dangling_handoff"]["found"] == 0

    text = e.format_text()
    assert "decisive span: 1/2 correct (50%)" in text
    assert "clean runs reported ok: 1/1" in text
    assert "labeled runs not in the results: 1 (gone)" in text
    assert "bad [s1] ownership_gap: lookup failed" in text


def test_a_class_name_as_expected_detector_is_met_by_any_detector_of_the_class() -> None:
    labels = pl.DataFrame([{**LABELS[0], "expected_detectors": ["missing_fallback"]}])
    e = evaluate(_classification(), labels)
    assert e.per_detector.to_dicts() == [
        {"detector": "missing_fallback", "expected": 1, "found": 1, "recall": 1.0}
    ]


def test_label_file_errors_say_where(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps(LABELS[1]) + "\n{not json\n")
    with pytest.raises(InputError) as err:
        read_labels(path)
    assert str(err.value).startswith(f"{path}:2: expected one JSON object per line")
    path.write_text(json.dumps({**LABELS[1], "expected_classes": ["silent"]}) + "\n")
    with pytest.raises(InputError, match="unknown failure class 'silent'"):
        read_labels(path)
    path.write_text(json.dumps({"scenario": "x"}) + "\n")
    with pytest.raises(InputError, match="expected key `run_id`"):
        read_labels(path)


def test_blame_compares_decisive_agent_and_step() -> None:
    conv = spans(
        span("step-0", 0, 1, kind="agent", name="Planner", output="plan"),
        span("step-1", 1, 2, parent_id="step-0", kind="agent", name="Coder", output="```python\nx\n```"),
        span(
            "step-2",
            2,
            3,
            parent_id="step-1",
            kind="tool",
            tool="Computer_terminal",
            status="error",
            error_type="exitcode 1",
        ),
        span("step-3", 3, 4, parent_id="step-2", kind="agent", name="Planner", output="TERMINATE"),
        run_id="q1",
    )
    c = classify(conv)
    labels = pl.DataFrame({"run_id": ["q1"], "mistake_agent": ["Coder"], "mistake_step": [1]})
    b = evaluate_blame(c, conv, labels)
    (row,) = b.runs.to_dicts()
    # The failed terminal run (step 2) is the decisive finding's span; attribution names the code
    # it ran: Coder's message at step 1 (forensics.attribution, rule tool_error).
    assert row["decisive_span_id"] == "step-2"
    assert (row["decisive_agent"], row["decisive_step"], row["attribution_rule"]) == (
        "Coder",
        1,
        "tool_error",
    )
    assert (b.total, b.flagged, b.agent_correct, b.step_correct, b.both_correct) == (1, 1, 1, 1, 1)
    assert "agent accuracy (decisive_agent = mistake_agent): 1/1 (100.0%)" in b.format_text()
    assert "  tool_error           runs    1  agent right   1  step right   1" in b.format_text()
    # A wrong label: the figures say so.
    wrong = evaluate_blame(
        c,
        conv,
        labels.with_columns(pl.lit("Planner").alias("mistake_agent"), pl.lit(3).alias("mistake_step")),
    )
    assert (wrong.agent_correct, wrong.step_correct) == (0, 0)
