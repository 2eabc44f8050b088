"""A manager that keeps sending its managed agent questions it has already had answered.

smolagents runs a managed agent afresh at every call (src/smolagents/agents.py
``MultiStepAgent.__call__``: the task wrapped in the managed agent's prompt, "You're a helpful agent
named '<name>'. You have been submitted this task by your manager. --- Task: <task> ---",
prompts/toolcalling_agent.yaml ``managed_agent.task``, then ``self.run(full_task)``); the
OpenInference instrumentation traces that run as an AGENT span inside the manager's ``Step N``
span, right after the manager's model call that asked for it (openinference-instrumentation-
smolagents ``_wrappers.py`` ``_RunWrapper``, ``_StepWrapper``, ``_ModelWrapper``). Each call is a
whole sub-agent run paid for again. A manager asking the same question again ("... (verify
again)") after the reports already agreed, more than ``repeat_count`` times, re-paid for nothing
new: runaway_cost. Decisive: the manager's model call that asked the first time again (a loop's
first repeat; the decision to ask).

Near misses: a few different questions whose answers agree (a healthy research run); re-asks
that each brought a different report; no more re-asks than ``repeat_count``.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

QUESTIONS = (
    "When does the new data retention rule start to apply?",
    "What does Article 12 say about the retention period?",
    "Which records are exempt from the retention rule?",
)
TEMPLATE = ("You're a helpful agent named 'researcher'.\nYou have been submitted this task by your manager.\n---\n"
            "Task:\n{task}\n---\nYou're helping your manager solve a wider task: so make sure to not provide a "
            "one-line answer, but give as much information as possible.")  # fmt: skip
REPORT = "The rule applies from 1 March 2026 (Art. 12(1)); records kept for audit are exempt (Art. 14). Source: {url}"


def _manager(asks: list[str], reports: list[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("root", 0, 2_000, kind="agent", name="ToolCallingAgent.run", agent="manager",
             input="When does the data retention rule apply, and what is exempt?",
             output="The rule applies from 1 March 2026; audit records are exempt."),
    ]
    t = 1.0
    for i, (ask, report) in enumerate(zip(asks, reports, strict=True)):
        rows += [
            span(f"s{i}", t, t + 12, parent_id="root", kind="chain", name=f"Step {i + 1}", agent="manager"),
            span(f"m{i}", t + 0.1, t + 1, parent_id=f"s{i}", kind="llm", model="gpt-4o", agent="manager",
                 input_tokens=3_000 + 10_000 * i, output_tokens=90, output=f'{{"tool_calls": [{{"name": "researcher", "arguments": {{"task": "{ask}"}}}}]}}'),
            span(f"a{i}", t + 1.1, t + 11, parent_id=f"s{i}", kind="agent", name="ToolCallingAgent.run",
                 agent="researcher", input=json.dumps({"task": TEMPLATE.format(task=ask)}),
                 output=report),
            span(f"r{i}", t + 1.2, t + 10, parent_id=f"a{i}", kind="llm", model="gpt-4o-mini", agent="researcher",
                 input_tokens=9_000, output_tokens=160, output=report),
        ]
        t += 13
    rows.append(span("fin", t, t + 1, parent_id="root", kind="tool", tool="final_answer", agent="manager",
                     output="The rule applies from 1 March 2026; audit records are exempt."))
    return rows


def _same_reports(n: int) -> list[str]:
    # The same findings each time, citing whichever page the search ranked first.
    return [REPORT.format(url=f"https://example.org/source-{i % 3}") for i in range(n)]


def test_the_same_questions_asked_again_after_the_reports_agreed_fire() -> None:
    asks = list(QUESTIONS) + [f"{q} (verify again)" for q in QUESTIONS] + [f"Independent re-check: {QUESTIONS[0]}"]
    f = one(run(*_manager(asks, _same_reports(len(asks)))), "repeated_sub_agent_calls")
    assert f["decisive_span_id"] == "m3"
    assert f["evidence_span_ids"] == ["m3", "m4", "m5", "m6"]
    assert "4 time(s)" in f["explanation"] and "already agreed" in f["explanation"]


def test_near_miss_different_questions_whose_answers_agree() -> None:
    assert "repeated_sub_agent_calls" not in detectors(run(*_manager(list(QUESTIONS), _same_reports(3))))


def test_near_miss_re_asks_that_each_brought_a_different_report() -> None:
    asks = list(QUESTIONS) + [f"{q} (verify again)" for q in QUESTIONS] + [f"Independent re-check: {QUESTIONS[0]}"]
    reports = [REPORT.format(url="https://example.org/a") + f" Update {i}: a new amendment was found." for i in range(len(asks))]
    assert "repeated_sub_agent_calls" not in detectors(run(*_manager(asks, reports)))


def test_near_miss_no_more_re_asks_than_repeat_count() -> None:
    asks = list(QUESTIONS) + [f"{q} (verify again)" for q in QUESTIONS]
    assert "repeated_sub_agent_calls" not in detectors(run(*_manager(asks, _same_reports(len(asks)))))


def test_near_miss_a_managed_agent_searching_once_in_each_of_its_runs_is_no_requery() -> None:
    # Each delegated run starts afresh (run(reset=True)): the same search in three of them, worded
    # anew by each, is the manager asking again (above), not a thread the researcher lost.
    # The smolagents tool span's input is {args, sanitize_inputs_outputs, kwargs} (_ToolCallWrapper).
    queries = ("data retention rule start date", "when does the data retention rule apply", "retention rule application date")
    rows = _manager(list(QUESTIONS), _same_reports(3))

    def search(i: int, parent: str, at: float) -> dict[str, object]:
        return span(f"w{i}", at, at + 1, parent_id=parent, kind="tool", tool="web_search", agent="researcher",
                    input=json.dumps({"args": [], "sanitize_inputs_outputs": True, "kwargs": {"query": queries[i]}}),
                    output="## Search Results\n[Retention rule](https://example.org/rule)\n[Art. 12](https://example.org/art12)")

    each = [search(i, f"a{i}", 13 * i + 2.5) for i in range(3)]
    assert "requery_same_results" not in detectors(run(*rows, *each))
    # The same three searches in one run of the researcher are a requery.
    one_run = [search(i, "a2", 26 + 2.5 + 2 * i) for i in range(3)]
    assert "requery_same_results" in detectors(run(*rows, *one_run))
