"""A write the run's own later read found missing is an undelivered output.

LangChain's file tools: WriteFileTool answers "File written successfully to {file_path}." and
ReadFileTool "Error: no such file or directory: {file_path}" for a path that is not there, or the
file's text (langchain_community/tools/file_management/write.py, read.py). An agent that wrote its
report, read it back, found nothing and reported it saved delivered nothing.
Near misses: the read found the text; the agent wrote it again and the read then found it; the
read was of another file; the write was a delete (nothing there is its success).
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

PATH = "reports/q3_summary.md"
TEXT = "# Q3 summary\nRevenue $4.1B, up 8%."
MISSING = f"Error: no such file or directory: {PATH}"


def _write(sid: str, at: float, tool: str = "write_file", path: str = PATH) -> dict[str, object]:
    return span(sid, at, parent_id="root", kind="tool", tool=tool, agent="report_writer",
                input=json.dumps({"file_path": path, "text": TEXT, "append": False}),
                output=f"File written successfully to {path}.")  # fmt: skip


def _read(sid: str, at: float, found: str, path: str = PATH) -> dict[str, object]:
    return span(sid, at, parent_id="root", kind="tool", tool="read_file", agent="report_writer",
                input=json.dumps({"file_path": path}), output=found)  # fmt: skip


def _run(*steps: dict[str, object]):
    return run(
        span("root", 0, 10, kind="agent", agent="report_writer", input="Write the Q3 summary to reports/q3_summary.md",
             output=f"The Q3 summary is saved at {PATH}."),
        *steps,
    )  # fmt: skip


def test_a_write_its_later_read_found_missing_is_undelivered() -> None:
    f = one(_run(_write("w", 1), _read("r", 3, MISSING)), "undelivered_output")
    assert f["decisive_span_id"] == "w"
    assert "no such file or directory" in f["explanation"]
    assert one(_run(_write("w", 1), _read("r", 3, "")), "undelivered_output")["decisive_span_id"] == "w"


def test_near_miss_the_write_was_found_or_made_good() -> None:
    assert "undelivered_output" not in detectors(_run(_write("w", 1), _read("r", 3, TEXT)))
    again = _run(_write("w", 1), _read("r", 3, MISSING), _write("w2", 4), _read("r2", 5, TEXT))
    assert "undelivered_output" not in detectors(again)
    # Another file's read found nothing: not the place written.
    other = _run(_write("w", 1), _read("r", 3, "Error: no such file or directory: notes.md", path="notes.md"))
    assert "undelivered_output" not in detectors(other)
    # A delete, then a read finding nothing: the delete worked.
    gone = _run(_write("w", 1, tool="delete_file"), _read("r", 3, MISSING))
    assert "undelivered_output" not in detectors(gone)


def test_near_miss_a_read_whose_result_was_not_recorded() -> None:
    # A tracer that keeps no tool results (autogen-core's execute_tool span) says nothing was found.
    unrecorded = span("r", 3, parent_id="root", kind="tool", tool="read_file", agent="report_writer",
                      input=json.dumps({"file_path": PATH}))  # fmt: skip
    assert "undelivered_output" not in detectors(_run(_write("w", 1), unrecorded))


def test_the_read_that_found_the_write_missing_is_no_error_read_as_data() -> None:
    # One failure, one detector: the read told the truth (the file is not there); the write's loss
    # is undelivered_output's. Every such read, not only the run's first.
    assert detectors(_run(_write("w", 1), _read("r", 3, MISSING))) == {"undelivered_output"}
    notes = "reports/notes.md"
    two = _run(_write("w", 1), _read("r", 3, MISSING), _write("w2", 4, path=notes),
               _read("r2", 5, f"Error: no such file or directory: {notes}", path=notes))  # fmt: skip
    assert detectors(two) == {"undelivered_output"}


def test_near_miss_a_read_of_another_place_finding_nothing_stays_error_as_data() -> None:
    other = _run(_write("w", 1), _read("r", 3, "Error: no such file or directory: notes.md", path="notes.md"))
    assert one(other, "error_as_data")["decisive_span_id"] == "r"
