"""registry.findings_of: a detector's findings are computed once per Context, whoever asks (classify,
or a rule that reads another detector's findings: orphan_failure reads unhandled_error's)."""

from __future__ import annotations

from typing import ClassVar

import polars as pl
from span_builder import span, spans

from forensics.classify import _as_spans, classify
from forensics.detectors.base import DETECTOR_OUTPUT, Context, Detector
from forensics.detectors.preparation import prepare
from forensics.detectors.registry import findings_of, get
from forensics.policy import load_policy


class _Counting(Detector):
    """Not registered: classify also runs detector classes it is handed."""

    name = "counting_probe"
    failure_class = "silent_failure"
    scope = "run"
    severity = "low"
    description = "counts its detect calls"
    calls: ClassVar[list[int]] = []

    def detect(self, ctx: Context) -> pl.LazyFrame:
        _Counting.calls.append(1)
        return pl.LazyFrame(schema=DETECTOR_OUTPUT)


def _table() -> object:
    return spans(
        span("root", 0, 10, kind="agent", name="support"),
        span("t1", 1, 2, parent_id="root", kind="tool", name="send_email", status="error", error_message="boom"),
    )


def test_a_detector_asked_twice_is_computed_once_per_context() -> None:
    _Counting.calls.clear()
    ctx = prepare(_as_spans(_table()), load_policy())
    first = findings_of(ctx, _Counting)
    assert findings_of(ctx, _Counting) is first
    assert len(_Counting.calls) == 1
    # Another Context (another night, limit_stops' sub-context) computes its own.
    findings_of(prepare(_as_spans(_table()), load_policy()), _Counting)
    assert len(_Counting.calls) == 2


def test_by_name_and_by_class_are_the_same_findings() -> None:
    ctx = prepare(_as_spans(_table()), load_policy())
    assert findings_of(ctx, "unhandled_error") is findings_of(ctx, get("unhandled_error"))


def test_classify_runs_each_detector_once() -> None:
    _Counting.calls.clear()
    classify(_table(), detectors=[_Counting])
    assert len(_Counting.calls) == 1
