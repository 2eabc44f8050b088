"""``--fail-on`` and the exit code of ``forensics classify``: decided in the CLI from the summary
the library returns (forensics.cli.fail_on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.cli.app import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK
from forensics.cli.fail_on import Threshold, exit_code_of, find_breaches, parse_fail_on
from forensics.errors import InputError
from forensics.nightly import BatchSummary, classify_paths
from forensics.store import Problem

SAMPLES = Path(__file__).resolve().parents[2] / "sample_logs"
OTLP = sorted(SAMPLES.glob("*.otlp.json"))


def test_parse_fail_on():
    assert parse_fail_on(["3", "silent_failure=0"]) == [Threshold(3), Threshold(0, "silent_failure")]
    for bad in ("-1", "x", "silent_failure=", "=3", "Silent=1"):
        with pytest.raises(InputError, match="is not N or CLASS=N"):
            parse_fail_on([bad])


def _summary(findings_by_class: dict[str, int], problems: list[Problem] | None = None) -> BatchSummary:
    return BatchSummary(batch_id=1, status="succeeded", policy_version="p", store_url="sqlite://",
                        files=[], problems=problems or [], findings=sum(findings_by_class.values()),
                        findings_by_class=findings_by_class)


def test_breaches_count_all_findings_or_one_class_and_bad_input_wins():
    summary = _summary({"silent_failure": 2, "runaway_cost": 1})
    assert find_breaches(parse_fail_on(["3"]), summary) == []  # 3 findings do not exceed 3
    assert find_breaches(parse_fail_on(["2"]), summary) == ["findings: 3 > 2"]
    assert find_breaches(parse_fail_on(["silent_failure=1", "runaway_cost=1", "ownership_gap=0"]), summary) == [
        "silent_failure: 2 > 1"]
    assert exit_code_of(summary, ["silent_failure: 2 > 1"]) == EXIT_FINDINGS
    assert exit_code_of(summary, []) == EXIT_OK
    # A file that contributed nothing is bad input, whatever the findings; a warning is not.
    bad = _summary({"silent_failure": 2}, [Problem("x.json", "empty", "x.json: empty")])
    assert exit_code_of(bad, ["silent_failure: 2 > 1"]) == EXIT_BAD_INPUT
    warned = _summary({}, [Problem("x.json", "quarantined", "x.json: 1 of 3 quarantined", level="warning")])
    assert exit_code_of(warned, []) == EXIT_OK


def test_fail_on_over_a_real_night_and_no_alert_twice(tmp_path):
    summary = classify_paths([str(f) for f in OTLP], db=str(tmp_path / "f.db"))
    assert summary.findings > 0
    breaches = find_breaches(parse_fail_on(["0"]), summary)
    assert breaches == [f"findings: {summary.findings} > 0"]
    assert exit_code_of(summary, breaches) == EXIT_FINDINGS
    again = classify_paths([str(f) for f in OTLP], db=str(tmp_path / "f.db"))
    # A rerun stores nothing new, so it finds nothing new: no alert twice for the same night.
    assert (again.status, again.findings) == ("skipped", 0)
    assert exit_code_of(again, find_breaches(parse_fail_on(["0"]), again)) == EXIT_OK
