"""A tool called three times by a tracer that records neither arguments nor results shows no repeat.

autogen-core's execute_tool span (autogen_core/_telemetry/_genai.py ``trace_tool_span``) carries the
tool's name, call id and description, not the arguments or the result. Three run_python spans of
one coder, a write_file between each, are three test runs whose inputs and outputs the log does not
show: nothing says they were the same. The same calls with their arguments and an identical result
recorded are a repeat.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _coder(recorded: bool) -> list[dict[str, object]]:
    io = {"input": '{"code": "import pytest; pytest.main([\'tests/test_parse.py\'])"}', "output": "1 failed, 11 passed"} if recorded else {}
    rows: list[dict[str, object]] = [span("team", 0, 60, kind="chain", name="team_run")]
    for i in range(3):
        base = 1 + 15 * i
        rows += [
            span(f"a{i}", base, base + 14, parent_id="team", kind="agent", name="invoke_agent coder", agent="coder"),
            span(f"l{i}", base + 0.5, base + 3, parent_id=f"a{i}", kind="llm", model="gpt-4o", agent="coder", output="{}"),
            span(f"w{i}", base + 4, base + 5, parent_id=f"a{i}", kind="tool", tool="write_file", agent="coder"),
            span(f"r{i}", base + 6, base + 9, parent_id=f"a{i}", kind="tool", tool="run_python", agent="coder", **io),
        ]
    return rows


def test_calls_with_nothing_recorded_are_no_repeat() -> None:
    assert "repeated_action" not in detectors(run(*_coder(False)))


def test_near_miss_the_same_arguments_and_result_recorded_are_a_repeat() -> None:
    f = one(run(*_coder(True)), "repeated_action")
    assert f["decisive_span_id"] == "r1"
