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
