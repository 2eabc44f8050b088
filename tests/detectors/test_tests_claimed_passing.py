"""tests_claimed_passing: the answer says the whole suite passes after a failing test run that no
later run of the same (or a broader) command passed. Firing and near-miss tests."""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, one, run, span

from forensics.detectors.suite_claims import _covers, runner_segment


def _session(runs: list[tuple[str, bool]], answer: str):
    rows = [span("u1", 0, 0, kind="human", name="user", output="implement partial capture, make sure everything passes")]
    t = 1.0
    for i, (command, ok) in enumerate(runs):
        rows.append(span(f"m{i}", t, t + 1, kind="llm", name="assistant", output=""))
        rows.append(span(f"b{i}", t + 1, t + 3, parent_id=f"m{i}", kind="tool", name="Bash", tool="Bash",
                         status="ok" if ok else "error", error_message=None if ok else "Exit code 1",
                         input=json.dumps({"command": command, "description": "run tests"}),
                         output="2 passed" if ok else "2 failed, 40 passed"))
        t += 4
    rows.append(span("final", t, t + 1, kind="llm", name="assistant", output=answer))
    return run(*rows)


def test_narrower_passing_run_does_not_back_all_tests_pass() -> None:
    c = _session([("python -m pytest -q", False), ("python -m pytest tests/test_partial_capture.py -q", True)],
                 "Partial capture is implemented. All tests pass, so the branch is ready for your PR.")
    f = one(c, "tests_claimed_passing")
    assert f["decisive_span_id"] == "b0"
    assert f["evidence_span_ids"] == ["b0", "final"]


@pytest.mark.parametrize(
    ("runs", "answer"),
    [
        # The same command passed again after the fix.
        ([("python -m pytest -q", False), ("python -m pytest -q", True)], "Fixed the rounding; all tests pass."),
        # A broader run passed (the selector taken out).
        ([("python -m pytest tests/invoicing -q", False), ("python -m pytest -q", True)], "All 212 tests pass."),
        # The answer claims only the new tests.
        ([("python -m pytest -q", False), ("python -m pytest tests/test_new.py -q", True)],
         "The new tests pass; 2 older tests in settlement still fail."),
        # Honest about the failure.
        ([("npm test", False)], "Not all tests pass: 2 failures remain in refunds."),
    ],
)
def test_claims_backed_or_not_made(runs: list[tuple[str, bool]], answer: str) -> None:
    assert "tests_claimed_passing" not in detectors(_session(runs, answer))


def test_runner_and_cover() -> None:
    assert runner_segment("cd api && go test ./... ") == "gotest./..."
    assert runner_segment("ruff check . && git diff --stat") is None
    assert _covers("python-mpytest-q", "python-mpytesttests/x.py-q")
    assert not _covers("python-mpytesttests/x.py-q", "python-mpytest-q")
