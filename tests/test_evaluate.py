"""evaluate(): scores computed by hand on a three-run example, and label-file errors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from span_builder import span, spans

from forensics.classify import Classification, classify
from forensics.errors import InputError
from forensics.evaluate import evaluate, evaluate_blame, mcc, read_labels
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA


def _classification() -> Classification:
    """bad -> swallowed_error (silent_failure) and unhandled_error (missing_fallback), both decisive at
    t1; good -> ok. Built by hand: these tests are of evaluate's arithmetic, not of which detectors a
    run fires (the classifier tells an ignored error under a success report once, as swallowed_error)."""
    c = _hand_classification(
        {"bad": [("silent_failure", "swallowed_error"), ("missing_fallback", "unhandled_error")], "good": []}
    )
    swallowed = "tool crm.lookup failed with HTTP 429 at 02:13:01 and it was never retried, yet the run reported success"
    findings = c.findings.set_column(
        c.findings.schema.get_field_index("decisive_span_id"), "decisive_span_id", pa.array(["t1", "t1"])
    )
    findings = findings.set_column(
        findings.schema.get_field_index("explanation"), "explanation", pa.array([swallowed, "unhandled_error at t1"])
    )
    runs = c.runs.set_column(c.runs.schema.get_field_index("decisive_span_id"), "decisive_span_id", pa.array(["t1", None]))
    return Classification(findings=findings, runs=runs, policy_version="hand")


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
    det = {r["detector"]: r for r in e.per_detector.to_dicts()}
    assert {k: det["missing_fallback"][k] for k in ("expected", "found", "recall")} == {
        "expected": 1,
        "found": 1,
        "recall": 1.0,
    }


def test_per_detector_precision_counts_runs_fired_true_false_and_on_clean_runs() -> None:
    # a: labelled silent_failure, swallowed_error fired (tp); b: labelled ownership_gap, it fired
    # (fp, not clean); c: clean, it fired (fp on a clean run); d: clean, only a hint of
    # unguarded_irreversible (hinted, and d stays clean).
    c = _hand_classification(
        {
            "a": [("silent_failure", "swallowed_error")],
            "b": [("silent_failure", "swallowed_error")],
            "c": [("silent_failure", "swallowed_error")],
            "d": [],
        }
    )
    hint = {
        "run_id": "d",
        "failure_class": "unguarded_action",
        "detector": "unguarded_irreversible",
        "severity": "critical",
        "strength": "hint",
        "evidence_span_ids": ["d-s"],
        "decisive_span_id": "d-s",
        "explanation": "possible irreversible act: schedule_payment, by its name only",
        "policy_version": "hand",
    }
    findings = pa.concat_tables([c.findings, pa.Table.from_pylist([hint], schema=c.findings.schema)])
    c = Classification(findings=findings, runs=c.runs, policy_version="hand")
    labels = pl.DataFrame(
        [_label("a", ["silent_failure"]), _label("b", ["ownership_gap"]), _label("c", []), _label("d", [])]
    )
    e = evaluate(c, labels)
    det = {r["detector"]: r for r in e.per_detector.to_dicts()}
    sw = det["swallowed_error"]
    assert (sw["fired"], sw["tp"], sw["fp"], sw["fp_clean"], sw["hinted"]) == (3, 1, 2, 1, 0)
    ug = det["unguarded_irreversible"]
    assert (ug["fired"], ug["tp"], ug["fp"], ug["fp_clean"], ug["hinted"]) == (0, 0, 0, 0, 1)
    # The hint is no false alarm: d counts clean, and only c is listed as a clean run that raised one.
    assert e.clean_false_alarms["run_id"].to_list() == ["c"]
    assert (e.clean_correct, e.clean_total) == (1, 2)
    assert e.false_alarms.filter(pl.col("run_id") == "d").height == 0
    text = e.format_text()
    assert "fired   tp   fp  clean  hinted" in text


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
            input="x",  # the code it ran (ag2-history sets it so): Coder's at step 1
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


# --- MCC per class and false alarms on clean runs, on a table built by hand -------------------------
# The classification is written directly (not produced by classify()), so these figures depend on
# nothing but the arithmetic.


def _hand_classification(found: dict[str, list[tuple[str, str]]]) -> Classification:
    """A Classification whose run ``r`` has the (class, detector) findings ``found[r]``."""
    findings = [
        {
            "run_id": run,
            "failure_class": cls,
            "detector": det,
            "severity": "high",
            "evidence_span_ids": [f"{run}-s"],
            "decisive_span_id": f"{run}-s",
            "explanation": f"{det} fired on {run}",
            "policy_version": "hand",
            "strength": "strong",
        }
        for run, hits in found.items()
        for cls, det in hits
    ]
    runs = [
        {
            "run_id": run,
            "agents": [],
            "span_count": 1,
            "error_count": 0,
            "reported_outcome": "unknown",
            "classes": list(dict.fromkeys(c for c, _ in hits)),
            "primary_class": hits[0][0] if hits else None,
            "decisive_span_id": f"{run}-s" if hits else None,
            "ok": not hits,
            "policy_version": "hand",
            "declared_outcome": "unknown",
            "unexplained_failure": False,
            "source_format": "otlp-json" if run in ("a", "b", "c") else "langsmith",
        }
        for run, hits in found.items()
    ]

    def table(rows: list[dict], schema: pa.Schema) -> pa.Table:
        # Only the schema's own columns (the contract's newer columns are given when they exist).
        return pa.Table.from_pylist(
            [{k: v for k, v in r.items() if k in schema.names} for r in rows], schema=schema
        )

    return Classification(
        findings=table(findings, FINDING_SCHEMA), runs=table(runs, RUN_SCHEMA), policy_version="hand"
    )


def _label(run: str, classes: list[str]) -> dict:
    return {
        "run_id": run,
        "scenario": run,
        "expected_classes": classes,
        "expected_detectors": [],
        "decisive_span_id": f"{run}-s" if classes else None,
        "story": "",
    }


# Six labeled runs. silent_failure, by run: a TP, b TP, c FN, d FP, e TN, f TN
#   -> tp=2 fp=1 fn=1 tn=2: MCC = (2*2 - 1*1) / sqrt(3*3*3*3) = 3/9 = 1/3.
# missing_fallback: only c has it and only c is flagged -> tp=1 tn=5: MCC = 5/sqrt(1*1*5*5) = 1.
# ownership_gap: expected on a, never found -> tp=0 fp=0 fn=1 tn=5: a zero marginal with a
#   disagreement -> 0.0 (scikit-learn's convention).
# context_collapse: nobody has it, nobody found it -> all 6 true negatives: undefined (None).
HAND_FOUND = {
    "a": [("silent_failure", "swallowed_error")],
    "b": [("silent_failure", "claimed_but_not_done")],
    "c": [("missing_fallback", "unhandled_error")],
    "d": [("silent_failure", "error_as_data"), ("runaway_cost", "budget_exceeded")],
    "e": [],
    "f": [],
}
HAND_LABELS = [
    _label("a", ["silent_failure", "ownership_gap"]),
    _label("b", ["silent_failure"]),
    _label("c", ["silent_failure", "missing_fallback"]),
    _label("d", []),
    _label("e", []),
    _label("f", []),
]


def test_mcc_by_hand_per_class_and_mean_over_the_mission_classes() -> None:
    e = evaluate(_hand_classification(HAND_FOUND), pl.DataFrame(HAND_LABELS))
    per = {r["failure_class"]: r for r in e.per_class.to_dicts()}
    sf = per["silent_failure"]
    assert (sf["tp"], sf["fp"], sf["fn"], sf["tn"]) == (2, 1, 1, 2)
    assert sf["mcc"] == pytest.approx(1 / 3)
    assert (per["missing_fallback"]["tn"], per["missing_fallback"]["mcc"]) == (5, pytest.approx(1.0))
    assert (per["ownership_gap"]["fn"], per["ownership_gap"]["mcc"]) == (1, 0.0)
    assert per["context_collapse"]["tn"] == 6 and per["context_collapse"]["mcc"] is None
    # runaway_cost: d flagged, nobody labeled -> tp=0 fp=1 fn=0 tn=5 -> 0.0, and not a mission class.
    assert (per["runaway_cost"]["fp"], per["runaway_cost"]["mcc"]) == (1, 0.0)
    assert e.mission_mcc == {
        "context_collapse": None,
        "ownership_gap": 0.0,
        "missing_fallback": pytest.approx(1.0),
        "silent_failure": pytest.approx(1 / 3),
    }
    assert e.mean_mcc == pytest.approx((0.0 + 1.0 + 1 / 3) / 3)
    text = e.format_text()
    assert "mean MCC over the four mission classes: +0.44 (defined for 3 of 4)" in text
    assert any(
        line.startswith("silent_failure") and line.rstrip().endswith("+0.33") for line in text.splitlines()
    )
    assert any(
        line.startswith("context_collapse") and line.rstrip().endswith("-") for line in text.splitlines()
    )


def test_the_table_expression_and_the_mcc_function_agree() -> None:
    # A four-quadrant table: tp=6 fp=2 fn=1 tn=11 -> (66 - 2) / sqrt(8 * 7 * 13 * 12).
    assert mcc(6, 2, 1, 11) == pytest.approx(64 / 8736**0.5)
    assert mcc(0, 3, 3, 0) == pytest.approx(-1.0)
    assert mcc(0, 0, 0, 7) is None and mcc(4, 0, 0, 0) is None
    assert mcc(0, 0, 2, 5) == 0.0 and mcc(0, 2, 0, 5) == 0.0
    e = evaluate(_hand_classification(HAND_FOUND), pl.DataFrame(HAND_LABELS))
    for r in e.per_class.to_dicts():
        assert r["mcc"] == (
            None
            if mcc(r["tp"], r["fp"], r["fn"], r["tn"]) is None
            else pytest.approx(mcc(r["tp"], r["fp"], r["fn"], r["tn"]))
        )


def test_false_alarms_on_clean_runs_name_the_run_and_what_it_raised() -> None:
    e = evaluate(_hand_classification(HAND_FOUND), pl.DataFrame(HAND_LABELS))
    assert (e.clean_total, e.clean_correct) == (3, 2)
    (row,) = e.clean_false_alarms.to_dicts()
    assert row["run_id"] == "d"
    assert row["classes"] == ["silent_failure", "runaway_cost"]
    assert row["detectors"] == ["budget_exceeded", "error_as_data"]
    text = e.format_text()
    assert "false alarms on clean runs: 1 of 3 clean run(s) raised a finding" in text
    assert "  d [d] silent_failure, runaway_cost (budget_exceeded, error_as_data)" in text
    # A false alarm on a failing run (c's missing_fallback is right; nothing extra) is not listed there.
    assert set(e.false_alarms["run_id"]) == {"d"}


def test_decisive_span_accuracy_counts_failing_runs_only() -> None:
    found = {**HAND_FOUND, "b": []}  # b is missed entirely: no decisive span
    labels = [*HAND_LABELS[:2], {**HAND_LABELS[2], "decisive_span_id": "elsewhere"}, *HAND_LABELS[3:]]
    e = evaluate(_hand_classification(found), pl.DataFrame(labels))
    assert (e.decisive_correct, e.decisive_total) == (1, 3)  # a right, b none, c another span
    assert "decisive span: 1/3 correct (33%)" in e.format_text()


def test_cli_evaluate_prints_mcc_and_clean_false_alarms_and_all_lists_every_one(tmp_path: Path) -> None:
    import subprocess
    import sys

    import pyarrow.parquet as pq

    # 60 clean runs that each raised a finding: the report caps the list at 50 unless --all.
    found = {f"r{i:02d}": [("silent_failure", "error_as_data")] for i in range(60)}
    c = _hand_classification(found)
    results = tmp_path / "results"
    results.mkdir()
    pq.write_table(c.runs, results / "runs.parquet")
    pq.write_table(c.findings, results / "findings.parquet")
    labels = _write_labels(tmp_path, [_label(r, []) for r in found])

    def run(*extra: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "forensics.cli", "evaluate", str(results), "--labels", str(labels), *extra],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    capped = run()
    assert "false alarms on clean runs: 60 of 60 clean run(s) raised a finding" in capped
    assert "mean MCC over the four mission classes: +0.00 (defined for 1 of 4)" in capped
    assert "  r49 [r49] silent_failure (error_as_data)" in capped and "r50 [r50]" not in capped
    assert "  ... and 10 more" in capped
    full = run("--all")
    assert "  r59 [r59] silent_failure (error_as_data)" in full and "... and 10 more" not in full


def test_by_source_format_counts_exact_class_sets_and_clean_runs() -> None:
    # otlp-json: a (missed ownership_gap), b (exact), c (missed silent_failure) -> 3 runs, 1 exact, no clean.
    # langsmith: d (clean, flagged), e and f (clean, ok) -> 3 runs, 2 exact, 3 clean, 2 clean ok.
    e = evaluate(_hand_classification(HAND_FOUND), pl.DataFrame([*HAND_LABELS, _label("gone", [])]))
    assert e.by_format.rows() == [
        ("(not in results)", 1, 0, 1, 0),  # a missing run is never right, even a clean one
        ("langsmith", 3, 2, 3, 2),
        ("otlp-json", 3, 1, 0, 0),
    ]
    assert "otlp-json              3      1      0         0" in e.format_text()
    assert (e.clean_correct, e.clean_total, e.exact_runs) == (2, 4, 3)
