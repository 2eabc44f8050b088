"""Healthy research runs and decisive spans (issue 13, smolagents rules round 5), on small runs built
in the shape the OpenInference smolagents instrumentation writes: ``<Agent>.run`` (agent) ->
``Step N`` (chain) -> tool and model calls; a managed agent's run nests under the manager's step; a
plan update is a model call directly under the run, between steps.

Each rule here has a firing twin and near misses drawn from what GAIA-style research agents do
legitimately (open_deep_research: a manager delegating to ``search_agent`` several times).
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, findings, run, span

MANAGER = "CodeAgent.run"
SEARCH = "ToolCallingAgent.run"
URL = '{"args": [], "sanitize_inputs_outputs": true, "kwargs": {"url": "https://ec.europa.eu/eurostat/nrg_ind_ren"}}'
PAGE = "Address: https://ec.europa.eu/eurostat/nrg_ind_ren\nTitle: Share of energy from renewable sources\n| PT | 30.5 |"


def _agent(sid: str, start: float, end: float, agent: str, parent: str | None = None, **kw: Any) -> dict[str, Any]:
    return span(sid, start, end, kind="agent", name=agent, agent=agent, parent_id=parent, **kw)


def _step(sid: str, start: float, end: float, parent: str, agent: str, **kw: Any) -> dict[str, Any]:
    return span(sid, start, end, kind="chain", name="Step", agent=agent, parent_id=parent, **kw)


def _llm(sid: str, start: float, parent: str, agent: str, out: str = "plan") -> dict[str, Any]:
    return span(sid, start, kind="llm", name="OpenAIServerModel.generate", model="gpt-4o", agent=agent,
                parent_id=parent, output=out)


def _tool(sid: str, start: float, parent: str, agent: str, tool: str, args: str, out: str) -> dict[str, Any]:
    return span(sid, start, kind="tool", name=tool, tool=tool, agent=agent, parent_id=parent, input=args, output=out)


def _delegate_run(d: str, start: float, parent: str, *, replan: bool, visit: str, reread: str | None = None,
                  error: bool = False) -> list[dict[str, Any]]:
    """One run of search_agent: plan, visit the table, (a plan update or a failed step), final answer;
    ``reread``: the same visit again inside this run, after the update."""
    rows = [
        _agent(d, start, start + 30, SEARCH, parent, output="PT 30.5"),
        _llm(f"{d}p0", start + 1, d, SEARCH),
        _step(f"{d}s1", start + 2, start + 6, d, SEARCH),
        _llm(f"{d}m1", start + 2.5, f"{d}s1", SEARCH, "visit_page"),
        _tool(visit, start + 3, f"{d}s1", SEARCH, "visit_page", URL, PAGE),
    ]
    if error:
        rows.append(_step(f"{d}s2", start + 7, start + 10, d, SEARCH, status="error",
                          error_type="AgentParsingError", error_message="Error in code parsing"))
    else:
        rows.append(_step(f"{d}s2", start + 7, start + 10, d, SEARCH))
    if replan:
        rows.append(_llm(f"{d}p1", start + 11, d, SEARCH, "## Updated plan\n1. Read the table again."))
    rows.append(_step(f"{d}s3", start + 12, start + 20, d, SEARCH))
    if reread:
        rows.append(_tool(reread, start + 13, f"{d}s3", SEARCH, "visit_page", URL, PAGE))
    rows.append(_tool(f"{d}fa", start + 18, f"{d}s3", SEARCH, "final_answer",
                      '{"args": [], "sanitize_inputs_outputs": true, "kwargs": {"answer": "PT 30.5"}}', ""))
    return rows


_T0_S = span("x", 0)["start_time"].timestamp()


def _manager_run(*parts: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    rows: list[dict[str, Any]] = [_agent("m", 0, 200, MANAGER, output="-1.7")]
    for i, part in enumerate(parts):
        start = part[0]["start_time"].timestamp() - _T0_S
        rows.append(_step(f"ms{i}", start - 1, start + 32, "m", MANAGER))
        rows.append(_llm(f"mm{i}", start - 0.5, f"ms{i}", MANAGER, "search_agent(task=...)"))
        rows.extend(part)
    rows.append(_step("msz", 150, 160, "m", MANAGER))
    rows.append(_tool("mfa", 151, "msz", MANAGER, "final_answer",
                      '{"args": [], "sanitize_inputs_outputs": false, "kwargs": {"answer": "-1.7"}}', "-1.7"))
    return run(*rows)


# --- a managed agent run again starts afresh ------------------------------------------------------


def test_a_delegate_run_that_rereads_after_its_own_plan_update_redid_its_work() -> None:
    # Firing twin: inside ONE delegate run, the table read, a plan update, the same read again.
    c = _manager_run(_delegate_run("d1", 10, "ms0", replan=True, visit="v1", reread="v1b"))
    f = findings(c, "redo_after_replan")
    assert len(f) == 1
    assert f[0]["decisive_span_id"] == "d1p1"  # the plan update that dropped what v1 had read
    assert f[0]["evidence_span_ids"] == ["v1", "d1p1", "v1b"]


def test_a_second_delegation_reading_the_same_table_is_no_redo() -> None:
    # GAIA-style manager: search_agent is asked about Portugal, then about Spain; each run opens the
    # same Eurostat table. The first run updated its plan, but the second run is a new memory
    # (smolagents runs a managed agent with reset=True): no plan of ITS dropped anything.
    c = _manager_run(
        _delegate_run("d1", 10, "ms0", replan=True, visit="v1"),
        _delegate_run("d2", 60, "ms1", replan=False, visit="v2"),
    )
    assert "redo_after_replan" not in detectors(c)
    assert "redo_after_error" not in detectors(c)


def test_a_second_delegation_after_a_step_error_in_the_first_is_no_redo() -> None:
    c = _manager_run(
        _delegate_run("d1", 10, "ms0", replan=False, visit="v1", error=True),
        _delegate_run("d2", 60, "ms1", replan=False, visit="v2"),
    )
    assert "redo_after_error" not in detectors(c)


def test_a_delegate_run_that_rereads_after_its_own_step_error_redid_its_work() -> None:
    c = _manager_run(_delegate_run("d1", 10, "ms0", replan=False, visit="v1", reread="v1b", error=True))
    f = findings(c, "redo_after_error")
    assert len(f) == 1
    assert f[0]["decisive_span_id"] == "v1b"  # the redo


# --- the same question to the same delegate, again and again (repeated_delegation) ----------------


def _managed(d: str, start: float, parent: str, task: str, report: str, *calls: tuple[str, str, str]) -> list[dict[str, Any]]:
    """A managed search_agent run (smolagents' managed-agent task template as its input), one step
    per tool call ``(tool, arguments, result)``, then final_answer with ``report``."""
    text = f"You're a helpful agent named 'search_agent'.\nYou have been submitted this task by your manager.\n---\nTask:\n{task}\n---\n"
    rows = [_agent(d, start, start + 30, SEARCH, parent, input=json.dumps({"task": text}), output=report)]
    for i, (tool, args, out) in enumerate(calls):
        rows.append(_step(f"{d}s{i}", start + 1 + 2 * i, start + 2.5 + 2 * i, d, SEARCH))
        rows.append(_tool(f"{d}t{i}", start + 1.5 + 2 * i, f"{d}s{i}", SEARCH, tool, args, out))
    rows.append(_step(f"{d}sz", start + 25, start + 29, d, SEARCH))
    rows.append(_tool(f"{d}fa", start + 26, f"{d}sz", SEARCH, "final_answer", '{"answer": "r"}', report))
    return rows


NOT_IN = "### 1. Task outcome (short version):\nI could not find an airport-level figure for Addis Ababa in the report."
TASK = "Find the 2019 passengers of Addis Ababa Bole airport in the ICAO annual report."


def _three(tasks: list[str], reports: list[str]):  # type: ignore[no-untyped-def]
    return _manager_run(*[
        _managed(f"d{i}", 10 + 40 * i, f"ms{i}", task, report, ("visit_page", URL, PAGE))
        for i, (task, report) in enumerate(zip(tasks, reports, strict=True))
    ])


def test_the_same_task_three_times_with_the_same_report_is_the_managers_loop() -> None:
    c = _three([TASK] * 3, [NOT_IN] * 3)
    f = findings(c, "repeated_delegation")
    assert len(f) == 1
    assert f[0]["failure_class"] == "context_collapse"
    assert f[0]["decisive_span_id"] == "d1"  # the first repeat, which ignored the first report
    assert f[0]["evidence_span_ids"] == ["d0", "d1", "d2"]
    assert "the same task 3 times" in f[0]["explanation"]
    # Each delegated run opened the table once, in a new memory: no loop of the delegate's.
    assert "repeated_action" not in detectors(c)


def test_three_different_questions_reading_the_same_table_are_no_loop() -> None:
    # GAIA-style: Portugal, Spain, then a revision check, each run opening the same Eurostat table.
    c = _three([f"{TASK} ({x})" for x in ("Portugal", "Spain", "revisions")], [NOT_IN] * 3)
    assert not {"repeated_delegation", "repeated_action", "redelegated_same_task"} & detectors(c)


def test_the_same_task_not_found_three_times_in_other_words_is_a_loop() -> None:
    reworded = [NOT_IN, NOT_IN.replace("I could not find", "I was unable to find"), NOT_IN + " Try ACI."]
    f = findings(_three([TASK] * 3, reworded), "repeated_delegation")
    assert len(f) == 1 and f[0]["decisive_span_id"] == "d1"


def test_the_same_task_whose_report_changed_is_no_loop() -> None:
    c = _three([TASK] * 3, [NOT_IN, NOT_IN, "### 1. Task outcome (short version):\n21.8 million (Table 3)."])
    assert "repeated_delegation" not in detectors(c)


def test_the_same_task_asked_twice_is_a_second_try_not_a_loop() -> None:
    c = _manager_run(*[_managed(f"d{i}", 10 + 40 * i, f"ms{i}", TASK, NOT_IN, ("visit_page", URL, PAGE)) for i in range(2)])
    assert "repeated_delegation" not in detectors(c)


def test_one_delegate_run_opening_the_same_page_three_times_is_its_own_loop() -> None:
    # Firing twin of the memory rule: inside ONE managed run the identical visit, three times.
    c = _manager_run(_managed("d0", 10, "ms0", TASK, NOT_IN, *[("visit_page", URL, PAGE)] * 3))
    f = findings(c, "repeated_action")
    assert len(f) == 1 and f[0]["decisive_span_id"] == "d0t1"


# --- what GAIA-style research runs do legitimately ------------------------------------------------

_FIND = '{"args": [], "sanitize_inputs_outputs": true, "kwargs": {"search_string": "%s"}}'
_QUERY = '{"args": [], "sanitize_inputs_outputs": true, "kwargs": {"query": "%s"}}'
_DOWN = '{"args": [], "sanitize_inputs_outputs": true, "kwargs": {}}'


def _research(*calls: tuple[str, str, str], failed: tuple[int, ...] = ()) -> set[str]:
    rows = _managed("d0", 10, "ms0", TASK, "### 1. Task outcome (short version):\n21.8 million.", *calls)
    for r in rows:
        if r["span_id"] in {f"d0t{i}" for i in failed}:
            r.update(status="error", error_type="Exception", error_message="No results found for query", output=None)
    return detectors(_manager_run(rows))


def test_scrolling_a_long_page_is_no_loop() -> None:
    pages = [PAGE + f"\nViewport position: Showing page {i} of 5." for i in range(1, 6)]
    got = _research(("visit_page", URL, pages[0]), *[("page_down", _DOWN, p) for p in pages[1:]],
                    ("page_up", _DOWN, pages[3]), ("page_down", _DOWN, pages[4]))
    assert not {"repeated_action", "redo_after_error", "redo_after_replan"} & got


def test_find_on_page_with_different_terms_is_no_loop() -> None:
    got = _research(("visit_page", URL, PAGE), *[("find_on_page_ctrl_f", _FIND % w, PAGE + w) for w in ("Addis", "Bole", "ADD")])
    assert "repeated_action" not in got


def test_a_failed_search_retried_in_other_words_then_answered_is_healthy() -> None:
    got = _research(
        ("web_search", _QUERY % "Addis Ababa Bole 2019 passengers ICAO council report table", ""),
        ("web_search", _QUERY % "Bole airport passengers 2019", "1. [Bole International Airport] 21.8 million"),
        ("visit_page", URL, PAGE),
        failed=(0,),
    )
    assert not {"repeated_action", "requery_same_results", "redo_after_error"} & got


def test_revisiting_a_page_once_for_another_part_is_no_loop() -> None:
    other = URL.replace("nrg_ind_ren", "demo_pjan")
    got = _research(("visit_page", URL, PAGE), ("visit_page", other, PAGE + "population"), ("visit_page", URL, PAGE),
                    ("find_on_page_ctrl_f", _FIND % "area", PAGE + "area"))
    assert "repeated_action" not in got


def _code_step(i: int, start: float, code: str, error: str | None = None) -> list[dict[str, Any]]:
    """A CodeAgent step: the model call writing ``code``, failing with AgentExecutionError ``error``."""
    extra: dict[str, Any] = {}
    if error:
        extra = {"status": "error", "error_type": "AgentExecutionError", "error_message": error}
    return [
        _step(f"c{i}", start, start + 5, "m", MANAGER, **extra),
        _llm(f"c{i}m", start + 0.5, f"c{i}", MANAGER, f"Thought: go.\n<code>\n{code}\n</code>"),
    ]


def test_a_code_error_fixed_by_other_code_then_answered_is_healthy() -> None:
    # GAIA: a German-formatted number fails to convert once; the next step changes the code and the
    # run answers with final_answer after the recovered error.
    err = "Code execution failed at line 'float(x)' due to: ValueError: could not convert string to float: '1.234,5'"
    rows = [
        _agent("m", 0, 40, MANAGER, output="9145.4"),
        *_code_step(1, 1, "print(sum(float(x) for x in col))", err),
        *_code_step(2, 7, "print(sum(float(x.replace('.', '').replace(',', '.')) for x in col))"),
        _step("c3", 13, 18, "m", MANAGER),
        _tool("fa", 14, "c3", MANAGER, "final_answer", '{"args": [], "sanitize_inputs_outputs": false, "kwargs": {"answer": "9145.4"}}', "9145.4"),
    ]
    got = detectors(run(*rows))
    assert not {"repeated_step_error", "repeated_format_error", "redo_after_error", "repeated_action"} & got


def test_the_same_failing_code_three_times_is_a_loop() -> None:
    # Firing twin: the identical code, the same error, three steps running.
    err = "Code execution failed at line 'float(x)' due to: ValueError: could not convert string to float: '1.234.5'"
    rows = [_agent("m", 0, 40, MANAGER, output="could not be computed")]
    for i in range(3):
        rows += _code_step(i + 1, 1 + 6 * i, "print(sum(float(x.replace(',', '.')) for x in col))", err)
    f = findings(run(*rows), "repeated_step_error")
    assert len(f) == 1 and f[0]["decisive_span_id"] == "c1"  # the loop's first member


def _replanned(second_task: str) -> set[str]:
    """The manager asks search_agent about Portugal, updates its plan, then asks ``second_task``."""
    first = _managed("d0", 10, "ms0", f"{TASK} (Portugal)", "### 1. Task outcome (short version):\nPortugal: 30.5%.",
                     ("visit_page", URL, PAGE))
    later = _managed("d1", 60, "ms1", second_task, "### 1. Task outcome (short version):\nSpain: 16.2%.",
                     ("visit_page", URL, PAGE))
    plan = _llm("mp1", 45, "m", MANAGER, "## Updated plan\n1. Ask search_agent about Spain.")
    return detectors(_manager_run(first, [*later, plan]))


def test_a_plan_update_that_asks_the_delegate_a_new_question_is_healthy() -> None:
    got = _replanned(f"{TASK} (Spain)")
    assert not {"redelegated_after_replan", "redelegated_same_task", "redo_after_replan", "repeated_delegation",
                "repeated_action"} & got


def test_a_plan_update_that_asks_the_answered_question_again_dropped_it() -> None:
    # Firing twin: after the update the manager hands search_agent the question it had answered.
    assert "redelegated_after_replan" in _replanned(f"{TASK} (Portugal)")


# --- twice is enough only in the agent run that ran out of steps ----------------------------------


def _stuck(d: str, start: float, parent: str, *calls: tuple[str, str, str]) -> list[dict[str, Any]]:
    """A managed search_agent run that used up its steps: one ``Step N`` per call, then the closing
    model call smolagents makes at the limit (_handle_max_steps_reached), directly under the run."""
    text = f"You're a helpful agent named 'search_agent'.\nYou have been submitted this task by your manager.\n---\nTask:\n{TASK}\n---\n"
    rows = [_agent(d, start, start + 30, SEARCH, parent, input=json.dumps({"task": text}), output="about 20 million")]
    for i, (tool, args, out) in enumerate(calls):
        rows.append(span(f"{d}s{i}", start + 1 + 2 * i, start + 2.5 + 2 * i, kind="chain", name=f"Step {i + 1}",
                         agent=SEARCH, parent_id=d))
        rows.append(_tool(f"{d}t{i}", start + 1.5 + 2 * i, f"{d}s{i}", SEARCH, tool, args, out))
    rows.append(_llm(f"{d}close", start + 28, d, SEARCH, "1) Best current answer: about 20 million (estimate)."))
    return rows


def test_a_delegate_out_of_steps_that_reopened_a_page_spent_its_steps_there() -> None:
    other = URL.replace("nrg_ind_ren", "demo_pjan")
    c = _manager_run(_stuck("d0", 10, "ms0", ("visit_page", URL, PAGE), ("visit_page", other, PAGE + "x"), ("visit_page", URL, PAGE)))
    f = findings(c, "repeated_action")
    assert len(f) == 1 and f[0]["decisive_span_id"] == "d0t2"  # the page opened again


def test_a_page_reopened_by_another_agent_run_than_the_one_out_of_steps_is_no_loop() -> None:
    # The first delegation ran out of steps (distinct calls); the second, a new memory, opened one
    # table twice to read two rows: the limit says nothing about it.
    other = URL.replace("nrg_ind_ren", "demo_pjan")
    c = _manager_run(
        _stuck("d0", 10, "ms0", ("visit_page", other, PAGE + "x"), ("web_search", _QUERY % "Bole 2019", "1. [Bole]")),
        _managed("d1", 60, "ms1", TASK + " (again, from the table)", "### 1. Task outcome (short version):\n21.8 million.",
                 ("visit_page", URL, PAGE), ("find_on_page_ctrl_f", _FIND % "Bole", PAGE + "Bole"), ("visit_page", URL, PAGE)),
    )
    assert "repeated_action" not in detectors(c)


FOUND = "### 1. Task outcome (short version):\nRetrieved the table: 21.8 million (Table 3)."


def test_a_loop_of_the_same_report_taken_up_again_is_the_loop_not_a_dropped_report() -> None:
    # The report said it found the figure, the same each time: the manager asked again three times.
    # That is repeated_delegation's loop; redelegated_same_task (a report nobody took up) stands down.
    found = detectors(_three([TASK] * 3, [FOUND] * 3))
    assert "repeated_delegation" in found
    assert "redelegated_same_task" not in found


def test_near_miss_the_same_found_report_asked_for_twice_is_a_dropped_report() -> None:
    twice = [_managed(f"d{i}", 10 + 40 * i, f"ms{i}", TASK, FOUND, ("visit_page", URL, PAGE)) for i in range(2)]
    found = detectors(_manager_run(*twice))
    assert "repeated_delegation" not in found
    assert "redelegated_same_task" in found
