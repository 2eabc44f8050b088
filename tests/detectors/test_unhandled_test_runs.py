"""unhandled_error and a failing test run: a test runner's non-zero exit is the tests' answer
(pytest exit code 1: "tests were collected and run but some of the tests failed", docs.pytest.org
"Exit codes"), not a failed call to retry or fall back from; a claim that the suite passed after it
is silent_failure's. Any other failed shell command stays unhandled_error's where the run did not
report success (a failure the run reported success over is swallowed_error's alone: one failure,
one class), so the firing cases here end in a crash: the session's span ends with error status."""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, one, run, span


def _session(command: str, answer: str, crashed: bool = False):
    # crashed: the messages sit under a session span that ended in error (the run did not report
    # success); otherwise a flat transcript whose last message is its answer.
    up = {"parent_id": "s"} if crashed else {}
    head = [span("s", 0, 7, kind="agent", name="session", status="error", error_type="SessionCrashed")] if crashed else []
    return run(
        *head,
        span("u1", 0, 0, kind="human", name="user", output="add the CSV import button and run the tests", **up),
        span("m0", 1, 2, kind="llm", name="assistant", output="", **up),
        span("b0", 2, 4, parent_id="m0", kind="tool", name="Bash", tool="Bash", status="error",
             error_message="Exit code 1", input=json.dumps({"command": command, "description": "run"}),
             output="FAIL src/ImportCsvButton.test.tsx\nTypeError: parseStatement is not a function"),
        span("final", 5, 6, kind="llm", name="assistant", output=answer, **up),
    )  # fmt: skip


@pytest.mark.parametrize("command", ["npx vitest run", "python -m pytest -q", "cd web && npm test"])
def test_a_failing_test_run_is_no_unhandled_error(command: str) -> None:
    found = detectors(_session(command, "Done: the import button is in and all tests pass."))
    assert "unhandled_error" not in found
    # The claim the run made over it is still found.
    assert "tests_claimed_passing" in found
    # Nor in a run that crashed, where a failed build would be unhandled_error's (below).
    assert "unhandled_error" not in detectors(_session(command, "Done: the import button is in.", crashed=True))


def test_a_failed_build_is_still_an_unhandled_error() -> None:
    f = one(_session("npm run build", "Done: the import button is in.", crashed=True), "unhandled_error")
    assert f["decisive_span_id"] == "b0"
    # Reporting success over the failed build is swallowed_error's, told once.
    c = _session("npm run build", "Done: the import button is in.")
    assert one(c, "swallowed_error")["decisive_span_id"] == "b0"
    assert "unhandled_error" not in detectors(c)
