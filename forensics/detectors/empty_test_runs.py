"""Test runs that ran no tests, reported as a passing suite. Read by ``silent_failure.error_as_data``
beside the empty lookups (:mod:`forensics.detectors.empty_lookups`).

A test runner that selects nothing says so in its own summary, and that summary is no verdict on
any test:

* pytest ends a session that collected nothing with ``ExitCode.NO_TESTS_COLLECTED`` (5,
  ``_pytest/main.py``), its terminal summary "no tests ran in 0.41s", its collection line
  "collected 0 items", or "collected 212 items / 212 deselected / 0 selected" where ``-k`` / ``-m``
  deselected every one (``_pytest/terminal.py`` ``report_collect``);
* Jest writes "No tests found, exiting with code 1", and with ``--passWithNoTests`` "No tests
  found, exiting with code 0" and exits 0 (jest-core ``getNoTestFound*.ts``); Vitest "No test files
  found, exiting with code 0/1";
* unittest "Ran 0 tests in 0.000s" (``unittest/runner.py`` ``TextTestRunner.run``; Python 3.12
  exits 5 on it, "NO TESTS RAN").

A tool that runs the tests and hands that output back with status ok (a shell tool's stdout, a CI
tool's JSON, Claude Code's Bash result of an exit-0 Jest run) looks like a clean run. Under an
answer that says the tests pass it is an empty result where a test verdict was expected (TAXONOMY
error_as_data). Cargo's "running 0 tests" and Go's "[no test files]" are left out: a healthy
workspace run prints them for the doc tests and the packages without tests.

Clean: a later result in the run that did run tests (a "N passed" / "N failed" count: the agent
found the right path and ran them); an answer that says nothing ran, none was collected or found
("no tests were collected, check the path"), or that speaks of a failure; an answer that claims no
passing suite.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

#: A line's start as a tool's JSON result keeps it: after a word boundary or an escaped newline
#: ("stdout": "\\nno tests ran in 0.41s").
_LINE: Final = r"(?:\b|\\[nrt])"
#: A test runner's own summary of a run that ran no test (module docstring).
EMPTY_TEST_RUN: Final = (
    rf"(?i){_LINE}no tests ran\b|{_LINE}collected 0 items\b|/ 0 selected\b|{_LINE}No tests found, exiting with code [01]\b"
    rf"|{_LINE}No test files found, exiting with code [01]\b|{_LINE}Ran 0 tests in\b"
)
#: A result of a run that did run tests: pytest's, Jest's and Vitest's counts ("214 passed",
#: "Tests: 1 failed, 57 passed").
_TESTS_RAN: Final = rf"(?i){_LINE}[1-9]\d*\s+(?:passed|failed)\b"
#: An answer saying the tests pass: "all billing tests pass", "the suite is green", "tests passed".
TESTS_PASS: Final = (
    r"(?i)\b(?:tests?|specs?|suites?)\b[^.!?\n]{0,40}?\b(?:pass(?:es|ed|ing)?|green|succeeded)\b"
    r"|\b(?:passing|green)\s+(?:tests?|suite|build|ci)\b"
)
#: An answer that tells nothing ran, or speaks of a failure or of a test not passing.
_TOLD: Final = (
    r"(?i)\b(?:no|zero|0)\s+(?:[a-z][\w-]*\s+){0,2}?(?:tests?|specs?|test\s+files?)\b|\bcollected\s+(?:0|no|nothing)\b"
    r"|\bnothing\s+(?:ran|was\s+run|to\s+run)\b|\bdeselected\b|\bnot\s+(?:been\s+)?(?:run|ran|collected|found|executed|selected)\b"
    r"|\b(?:didn'?t|never)\s+(?:run|ran|collect|find|execute|select)\b|\bempty\b"
    r"|\bfail\w*|\berror\w*|\bnot\s+pass\w*|n'?t\s+pass\w*"
)


def ran_no_tests(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, t, call, output, kind``: tool results (status ok) holding a test
    runner's summary of a run that ran nothing (:data:`EMPTY_TEST_RUN`), with no later result of
    the run showing tests ran, under a final answer that says the tests pass and neither tells that
    none ran nor speaks of a failure (module docstring)."""
    s = ctx.spans.lazy()
    answer = pl.col("final_output")
    runs = ctx.runs.lazy().filter(
        (pl.col("reported_outcome") != "error")
        & answer.str.contains(TESTS_PASS).fill_null(False)
        & ~answer.str.contains(_TOLD).fill_null(True)
    )
    empty = (
        s.filter((pl.col("kind") == "tool") & ~pl.col("failed") & pl.col("output").str.contains(EMPTY_TEST_RUN).fill_null(False))
        .join(runs.select("run_id"), on="run_id", how="semi")
        .select("run_id", "span_id", "seq", "t", "call", "output", "kind")
        .collect()
    )
    if empty.height == 0:
        return empty.lazy()
    ran = (
        s.join(empty.lazy().select("run_id").unique(), on="run_id", how="semi")
        .filter((pl.col("kind") == "tool") & pl.col("output").str.contains(_TESTS_RAN).fill_null(False))
        .group_by("run_id")
        .agg(pl.col("seq").max().alias("_ran_seq"))
    )
    return (
        empty.lazy()
        .join(ran, on="run_id", how="left")
        .filter(pl.col("_ran_seq").is_null() | (pl.col("_ran_seq") < pl.col("seq")))
        .drop("_ran_seq")
    )
