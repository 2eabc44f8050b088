"""A smolagents run whose every step failed, answered with the framework's closing guess.

At max_steps ``_handle_max_steps_reached`` asks the model once more, with no tools, for an answer
from the memory of the failed steps (``provide_final_answer``, src/smolagents/agents.py); the run
returns it with no error. OpenInference traces it as a model call after the last ``Step N`` span.
With no step ever working (code cut off before its closing fence, AgentParsingError each time),
the answer stands on nothing, and the failures were swallowed under it.
"""

from __future__ import annotations

from span_builder import detectors, one, run, run_row, span

_PARSE = "Error in code parsing:\nYour code snippet is invalid, because the regex pattern ```(?:py|python)?\\s*\\n(.*?)\\n``` was not found in it."
_ANSWER = "Median first-response time per product line: Billing 3.2 h, Hardware 5.1 h, Software 2.7 h."


def _run(tool_worked: bool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("run", 0, 40, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", output=_ANSWER,
             attributes='{"openinference.span.kind": "AGENT", "smolagents.max_steps": "3"}'),
    ]
    for n in (1, 2, 3):
        t = n * 10.0
        step = {"status": "error", "error_type": "AgentParsingError", "error_message": _PARSE}
        if tool_worked and n == 2:
            step = {}
        rows.append(span(f"s{n}", t, t + 8, parent_id="run", kind="chain", name=f"Step {n}", agent="CodeAgent.run", **step))
        rows.append(span(f"g{n}", t + 0.5, t + 6, parent_id=f"s{n}", kind="llm", model="gpt-4o-mini", agent="CodeAgent.run",
                         output="Thought: I will load the CSV.\nCode:\n```py\nimport csv\nrows = list(csv.reader(open("))
        if tool_worked and n == 2:
            rows.append(span("py", t + 6.5, t + 7.5, parent_id="s2", kind="tool", tool="read_csv", agent="CodeAgent.run",
                             input='{"path": "tickets.csv"}', output="1,204 rows"))
    rows.append(span("guess", 38, 39.5, parent_id="run", kind="llm", model="gpt-4o-mini", agent="CodeAgent.run", output=_ANSWER))
    return rows


def test_every_step_failed_and_the_closing_guess_reported_success() -> None:
    c = run(*_run(tool_worked=False))
    f = one(c, "swallowed_error")
    # The guess reported success over the failed steps: it is swallowed_error's decisive span
    # (forensics/detectors/closing_guess.py); the run is decided by the loop that used the steps
    # up, the same parse error three times, from its first member.
    assert f["decisive_span_id"] == "guess"
    assert f["evidence_span_ids"] == ["s1", "s2", "s3", "guess"]
    assert run_row(c)["decisive_span_id"] == "s1"


def test_near_miss_a_step_did_work() -> None:
    assert "swallowed_error" not in detectors(run(*_run(tool_worked=True)))
