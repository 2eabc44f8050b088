"""A smolagents manager polling its managed agent with time.sleep between calls: no dropped report.

A CodeAgent writes Python its local executor runs inside the step (huggingface/smolagents
src/smolagents/agents.py, CodeAgent: code parsed from the model output, run by python_executor), so
the ``time.sleep(90)`` of a polling loop leaves no span, only its time; the managed agent called from
that code is an agent run under the ``Step N`` span (openinference-instrumentation-smolagents
_wrappers.py: _StepWrapper, _RunWrapper; the code is the model call's output). Asking the export
watcher the same question after each wait, its report moving from 20% to done, is polling: the
report was taken up each time (the next wait). redelegated_same_task called it a dropped report.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

TASK = "Check the status of export job 8812 and report its progress."
REPORTS = ["Export 8812: 20% done.", "Export 8812: 55% done.", "Export 8812: 90% done.", "Export 8812: finished."]


def _manager(sleep: int) -> list[dict[str, Any]]:
    wait = f"    time.sleep({sleep})\n" if sleep else ""
    code = (
        "Thought: the export is running; I will ask job_watcher until it is finished.\nCode:\n```py\nimport time\n"
        f"for attempt in range(4):\n    report = job_watcher(task={TASK!r})\n    print(report)\n"
        f"    if report.endswith('finished.'):\n        break\n{wait}```<end_code>"
    )
    message = json.dumps({"role": "assistant", "content": code, "tool_calls": None})
    rows = [
        span("root", 0, 2_000, kind="agent", name="CodeAgent.run", agent="ops", output="Export 8812 is finished."),
        span("s1", 1, 1_000, parent_id="root", kind="chain", name="Step 1", agent="ops", output="\n".join(REPORTS)),
        span("l1", 1.1, 4, parent_id="s1", kind="llm", name="OpenAIServerModel.generate", model="gpt-4.1",
             agent="ops", output=message),
    ]  # fmt: skip
    t = 5.0
    for i, rep in enumerate(REPORTS):
        rows.append(span(f"a{i}", t, t + 10, parent_id="s1", kind="agent", name="job_watcher", agent="job_watcher",
                         input=json.dumps({"task": TASK}), output=rep))  # fmt: skip
        rows.append(span(f"m{i}", t + 1, t + 9, parent_id=f"a{i}", kind="llm", model="gpt-4.1", agent="job_watcher",
                         output=rep))  # fmt: skip
        t += 10.5 + sleep
    return rows


def test_near_miss_polling_with_a_sleep_between_calls() -> None:
    assert "redelegated_same_task" not in detectors(run(*_manager(90)))


def test_asking_again_at_once_is_still_a_report_not_taken_up() -> None:
    f = one(run(*_manager(0)), "redelegated_same_task")
    assert f["decisive_span_id"] == "a0"


def test_a_sleep_the_loop_did_not_take_is_no_wait() -> None:
    """The code says time.sleep(90) but the calls came back to back: the sleep never ran between them."""
    rows = _manager(0)
    rows[2] = {**rows[2], "output": rows[2]["output"].replace("```<end_code>", "    time.sleep(90)\\n```<end_code>")}
    assert "redelegated_same_task" in detectors(run(*rows))
