"""A file written twice at the same path is one file, as the last write left it.

A codemod agent writes src/billing/tax.py, runs the tests (two fail), writes the same path again
with a fix and the tests pass. A whole-file write truncates and replaces the file (open(path, "w"),
fs.writeFile), so the second write is an edit, not a second object: no duplicate side effect, even
where the trace records only the path among the arguments. Near miss: appending the same line to
a file twice leaves it twice.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

PATH = '{"path": "src/billing/tax.py"}'


def _migration(tool: str) -> object:
    return run(
        span("run", 0, 40, kind="chain", name="migrator"),
        span("w1", 1, 2, parent_id="run", kind="tool", tool=tool, input=PATH, output='{"written": true, "diff_lines": 32}'),
        span("t1", 3, 9, parent_id="run", kind="tool", tool="run_tests", input='{"cmd": "pytest -q"}',
             output='{"exit_code": 1, "summary": "2 failed, 311 passed"}'),
        span("w2", 10, 11, parent_id="run", kind="tool", tool=tool, input=PATH, output='{"written": true, "diff_lines": 4}'),
        span("t2", 12, 18, parent_id="run", kind="tool", tool="run_tests", input='{"cmd": "pytest -q"}',
             output='{"exit_code": 0, "summary": "313 passed"}'),
        span("fin", 19, 20, parent_id="run", kind="llm", name="final", output="Migrated; all 313 tests pass."),
    )  # fmt: skip


def test_a_file_written_again_after_a_failing_test_is_an_edit() -> None:
    assert "duplicate_side_effect" not in detectors(_migration("write_file"))


def test_near_miss_an_append_repeated_is_two_lines() -> None:
    assert one(_migration("append_to_file"), "duplicate_side_effect")["decisive_span_id"] == "w2"
