"""budget_exceeded against one other run given the same task (budgets.fleet_min_task_runs = 1).

Shape, from the framework's own code: a smolagents ToolCallingAgent run span records the task it
was given (openinference-instrumentation-smolagents ``_wrappers.py`` ``_RunWrapper``: ``input.value``
the run's arguments, ``smolagents.task``), and each model call its usage
(``_ModelWrapper``: ``llm.token_count.prompt`` / ``llm.token_count.completion``; a reasoning model's
completion count includes its reasoning tokens, openai-python ``CompletionUsage.completion_tokens``).
The same task given again is comparable as it is: one other run of it says what it needs, where
runs that share only the agent answered other questions (those still need budgets.fleet_min_runs).

Near misses: the same task where the run spent under fleet_factor x the other; one other run of the
same agent on another task; the same task twice under the floor.
"""

from __future__ import annotations

import json

from span_builder import concat, detectors, findings, span, spans

from forensics.classify import classify

TASK = json.dumps({"task": "Convert 72 F to Celsius, one decimal."})


def _run(run_id: str, completions: list[int], task: str = TASK):
    """One ToolCallingAgent run: a model call per step (1,900 prompt tokens), then the answer."""
    rows = [span("root", 0, 3_000, kind="agent", name="ToolCallingAgent.run", agent="research-assistant",
                 input=task, output="22.2 C")]  # fmt: skip
    for i, c in enumerate(completions):
        rows.append(span(f"m{i}", 1 + 400 * i, 390 + 400 * i, parent_id="root", kind="llm", name="OpenAIServerModel.generate",
                         model="o3-2025-04-16", input_tokens=1_900, output_tokens=c, output="calculator((72-32)*5/9)"))  # fmt: skip
    return spans(*rows, run_id=run_id)


def test_same_task_far_past_one_other_run_is_budget_exceeded() -> None:
    """Four calls of ~62k completion tokens against a run of the same task that spent ~6k in all:
    the budget is the 100k floor (5 x 6,270 is under it), crossed by the second call."""
    c = classify(concat(_run("low", [212, 188, 164]), _run("high", [61_842, 58_311, 64_027, 59_770])))
    (f,) = findings(c, "budget_exceeded")
    assert f["run_id"] == "high" and f["decisive_span_id"] == "m1"
    assert "1 comparable run(s) given the same task" in f["explanation"]


def test_near_miss_same_task_under_five_times_the_other_is_clean() -> None:
    c = classify(concat(_run("a", [30_000, 28_000]), _run("b", [60_000, 60_000, 60_000, 60_000])))
    assert "budget_exceeded" not in detectors(c)


def test_near_miss_one_other_run_of_the_agent_on_another_task_is_no_fleet() -> None:
    other = json.dumps({"task": "Summarise the three attached papers."})
    c = classify(concat(_run("a", [212, 188], task=other), _run("b", [61_842, 58_311, 64_027])))
    assert "budget_exceeded" not in detectors(c)


def test_near_miss_same_task_under_the_floor_is_clean() -> None:
    c = classify(concat(_run("a", [200, 180]), _run("b", [20_000, 20_000, 20_000])))
    assert "budget_exceeded" not in detectors(c)
