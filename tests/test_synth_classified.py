"""The classifier on the generator's own night, every injectable detector present: a regression guard.

The generator (forensics.synth) injects each failure in the shape TAXONOMY describes and labels it;
tests/test_synth.py checks those shapes from the raw file. This test checks the other side: a change
to a detector or a convention that stops finding one of those shapes, or starts flagging the clean
runs around them, fails here with the detector named. (It proves nothing about real logs, which the
held-out sets measure; it catches two rules that quietly disagree, as a rescue rule once cleared the
generator's truncated-context overflow.)
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from forensics.classify import classify
from forensics.evaluate import evaluate
from forensics.load import load
from forensics.synth.generator import INJECTABLE, generate


@pytest.mark.parametrize("fmt", ["otel-sdk-json", "otlp-json"])
def test_every_injected_failure_is_found_and_every_clean_run_is_clean(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / "night.jsonl"
    labels = generate(400, out, format=fmt, mix={d: 0.03 for d in INJECTABLE}, seed=11)
    ev = evaluate(classify(load([out]).spans), labels)
    assert ev.labeled_runs == 400 and not ev.missing_runs
    assert ev.clean_false_alarms.height == 0, ev.clean_false_alarms
    found = dict(ev.per_detector.select("detector", "found").rows())
    expected = dict(ev.per_detector.select("detector", "expected").rows())
    short = {d: (found.get(d, 0), n) for d, n in expected.items() if found.get(d, 0) < n}
    assert not short, f"detectors that missed injected failures (found, injected): {short}"
    assert ev.exact_runs == ev.labeled_runs, ev.misses.select("scenario", "failure_class", "story").rows()[:5]


def test_a_swallowed_error_on_a_read_the_agent_then_acted_past_is_labeled_as_the_rule_reads_it(tmp_path: Path) -> None:
    # The swallowed 429 lands on the first sub-agent's first call. Where that is the coder's fs.read,
    # its next call is fs.write: the run acted past the failed read (detectors/acted_without.py), one
    # failure the TAXONOMY names unhandled_error, and the generator labels it so; elsewhere (the CRM
    # lookup, then another read) it stays the swallowed error.
    out = tmp_path / "night.jsonl"
    labels = generate(300, out, mix={"swallowed_error": 0.5}, seed=3)
    ev = evaluate(classify(load([out]).spans), labels)
    assert ev.exact_runs == ev.labeled_runs, ev.misses.select("scenario", "failure_class", "story").rows()[:5]
    rows = [orjson.loads(line) for line in labels.read_bytes().splitlines()]
    acted = [r for r in rows if r["expected_detectors"] == ["unhandled_error"]]
    swallowed = [r for r in rows if r["expected_detectors"] == ["swallowed_error"]]
    assert acted and swallowed
    assert all(r["story"].startswith("fs.read returned 429") and "fs.write" in r["story"] for r in acted)
    assert not any(r["story"].startswith("fs.read") for r in swallowed)
