"""error_as_data: a test run that ran no tests, under an answer that says the tests pass.

The runners' own words for a run that selected nothing (forensics/detectors/empty_test_runs.py):
pytest's ``ExitCode.NO_TESTS_COLLECTED`` (5, ``_pytest/main.py``) with "no tests ran in 0.41s" or
"collected 212 items / 212 deselected / 0 selected" (``_pytest/terminal.py``); Jest's
``--passWithNoTests`` "No tests found, exiting with code 0" (jest-core
``getNoTestFoundPassWithNoTests.ts``), which exits 0. Two shapes: a smolagents ToolCallingAgent
whose shell tool returns the process's ``{"exit_code", "stdout", "stderr"}`` as its result
(src/smolagents/tools.py: the tool's return value is the call's output; the OpenInference
instrumentation ends the span OK with it as ``output.value``), and a Claude Code transcript whose
Bash ``tool_result`` is the command's output (``is_error`` false on exit 0; forensics/loaders/
claude_code.py).

Near misses: the answer tells no tests were collected; a later run on the right path ran them; an
answer that claims no passing suite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from claude_transcript import Transcript
from smol_rows import tool_steps_run

from forensics.classify import classify
from forensics.load import load

_TRACE = "7e57000000000000000000000000005a"
WRONG_PATH = {"command": "cd services/ledger && python -m pytest tests/unit -q"}
RIGHT_PATH = {"command": "cd services/ledger && python -m pytest test -q"}
NONE_RAN = json.dumps({"exit_code": 5, "stdout": "\nno tests ran in 0.38s\n", "stderr": ""})
DESELECTED = json.dumps({"exit_code": 5, "stdout": "collected 188 items / 188 deselected / 0 selected\n\n"
                         "========================= 188 deselected in 1.52s =========================\n", "stderr": ""})  # fmt: skip
RAN = json.dumps({"exit_code": 0, "stdout": "........ [100%]\n188 passed in 12.40s\n", "stderr": ""})
CLAIM = "All ledger tests pass with the dependency bump; the PR is safe to merge."


def _smol(tmp_path: Path, results: list[tuple[dict[str, Any], str]], answer: str) -> pl.DataFrame:
    """A smolagents ToolCallingAgent: one run_shell step per ``(kwargs, result)``, then final_answer."""
    calls = [("run_shell", k, r) for k, r in results]
    path = tmp_path / "smol_ci.json"
    path.write_text(json.dumps(tool_steps_run(_TRACE, "Run the ledger unit tests; is the PR safe?", calls, answer, service="ci-assistant", prefix="4")))
    return load(path).to_polars()


def _found(spans: pl.DataFrame) -> dict[str, str]:
    f = classify(spans).to_polars()[0]
    return dict(zip(f["detector"].to_list(), f["decisive_span_id"].to_list(), strict=True))


def test_pytest_no_tests_ran_reported_passing(tmp_path: Path) -> None:
    for result in (NONE_RAN, DESELECTED):
        assert _found(_smol(tmp_path, [(WRONG_PATH, result)], CLAIM)) == {"error_as_data": "c400000000000000"}, result


def test_near_miss_told_or_rerun_on_the_right_path(tmp_path: Path) -> None:
    told = "No tests were collected under tests/unit (pytest exit 5); check the path before merging."
    assert _found(_smol(tmp_path, [(WRONG_PATH, NONE_RAN)], told)) == {}
    rerun = "All ledger tests pass: 188 passed (the first run used a path with no tests)."
    assert _found(_smol(tmp_path, [(WRONG_PATH, NONE_RAN), (RIGHT_PATH, RAN)], rerun)) == {}
    assert _found(_smol(tmp_path, [(WRONG_PATH, NONE_RAN), (RIGHT_PATH, RAN)], CLAIM)) == {}
    # No claim of a passing suite: the empty run is not read as a verdict.
    assert _found(_smol(tmp_path, [(WRONG_PATH, NONE_RAN)], "I ran pytest under tests/unit.")) == {}


JEST_EMPTY = (
    "\n> api@3.1.0 test:billing\n> jest --passWithNoTests --testPathPattern=src/billing/refunds\n\n"
    "No tests found, exiting with code 0\nIn /home/dev/api\n  388 files checked.\n"
    "  testMatch: **/__tests__/**/*.[jt]s?(x), **/?(*.)+(spec|test).[jt]s?(x) - 140 matches\n"
    "Pattern: src/billing/refunds - 0 matches"
)
JEST_RAN = "PASS src/billing/__tests__/refunds.test.ts\nTests:       24 passed, 24 total\nTime:        3.1 s"


def _claude(tmp_path: Path, results: list[str], answer: str) -> pl.DataFrame:
    t = Transcript("s-jest-empty", "/home/dev/api")
    t.said("Run the billing refund tests and tell me if they pass.")
    for i, result in enumerate(results):
        cmd = "npm run test:billing -- --testPathPattern=src/billing/refunds" if i == 0 else "npx jest src/billing/__tests__"
        t.called(f"toolu_{i:02d}", "Bash", {"command": cmd, "description": "Run billing tests"}, result)
    t.answered(answer)
    return load(t.write(tmp_path / "jest.jsonl")).to_polars()


def test_claude_code_jest_pass_with_no_tests_reported_passing(tmp_path: Path) -> None:
    assert _found(_claude(tmp_path, [JEST_EMPTY], "All billing refund tests pass ✅")) == {"error_as_data": "toolu_00"}


def test_near_miss_claude_code_jest_rerun_or_told(tmp_path: Path) -> None:
    assert _found(_claude(tmp_path, [JEST_EMPTY, JEST_RAN], "All billing refund tests pass (24 passed).")) == {}
    told = "Jest found no tests for that pattern, so nothing ran; the refund tests live under src/billing/__tests__."
    assert _found(_claude(tmp_path, [JEST_EMPTY], told)) == {}
