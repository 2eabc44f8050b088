"""When a failure was told, and when the words that seem to tell it are not the run's answer.

* DSPy ReAct keeps a tool's exception as the observation "Execution error in <tool>: ..." in the
  trajectory its prediction carries beside the answer (dspy/predict/react.py: ReAct.forward returns
  dspy.Prediction(trajectory=trajectory, **extract)). The trajectory is the run's working notes,
  not its answer: "According to Wikipedia ..." over three timed-out searches swallowed them. Near
  miss: an answer that says the search timed out told.
* google-adk tools return {"status": "error", "error_message": ...} for the model to explain
  (adk-docs tools/function-tools). "February 2026 only has 28 days, so there is no 30 February"
  says again most of "Invalid date '2026-02-30': February 2026 has 28 days": relayed, not read as
  data. Near miss: an answer listing flights read the error as data.
* A failure a later successful side-effecting call names in its arguments was passed on
  (create_review_task(reason="CourtListener unavailable")). Near miss: the same task opened with
  no word of the failure.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

TIMEOUT = "ReadTimeout: HTTPSConnectionPool(host='en.wikipedia.org', port=443): Read timed out."


def _react(answer: str):
    trajectory = {f"observation_{i}": "Execution error in search_wikipedia: ReadTimeout" for i in range(2)}
    trajectory["tool_args_0"] = {"query": "Jorn Utzon Pritzker Prize"}  # type: ignore[assignment]
    out = json.dumps({"trajectory": trajectory, "answer": answer})
    return run(
        span("root", 0, 30, kind="chain", name="ReAct.forward", output=out),
        span("lm1", 1, 1.5, parent_id="root", kind="llm", model="gpt-4o-mini", output="next_tool_name: search_wikipedia"),
        span("s1", 2, 12, parent_id="root", kind="tool", tool="search_wikipedia", status="error",
             error_type="ReadTimeout", error_message=TIMEOUT, input='{"query": "Sydney Opera House architect"}'),  # fmt: skip
        span("lm2", 13, 13.5, parent_id="root", kind="llm", model="gpt-4o-mini", output="next_tool_name: search_wikipedia"),
        span("s2", 14, 24, parent_id="root", kind="tool", tool="search_wikipedia", status="error",
             error_type="ReadTimeout", error_message=TIMEOUT, input='{"query": "Jorn Utzon Pritzker Prize"}'),  # fmt: skip
        span("lm3", 25, 25.5, parent_id="root", kind="llm", model="gpt-4o-mini", output="next_tool_name: finish"),
        span("cot", 26, 27, parent_id="root", kind="chain", name="ChainOfThought.forward", output=json.dumps({"answer": answer})),
    )


def test_a_react_answer_over_failed_searches_swallowed_them() -> None:
    c = _react("According to Wikipedia, Jorn Utzon received the Pritzker Prize in 2003.")
    assert "swallowed_error" in detectors(c)


def test_near_miss_a_react_answer_saying_the_search_timed_out_told() -> None:
    c = _react("The Wikipedia search timed out twice, so I could not check; from memory it may be 2003.")
    assert "swallowed_error" not in detectors(c)


ERROR = '{"status": "error", "error_message": "Invalid date \'2026-02-30\': February 2026 has 28 days."}'


def _flights(answer: str):
    return run(
        span("root", 0, 10, kind="agent", name="invoke_agent flight_helper", agent="flight_helper"),
        span("m1", 1, 1.5, parent_id="root", kind="llm", model="gemini-2.5-flash", output='{"function_call": "search_flights"}'),
        span("t1", 2, 2.5, parent_id="root", kind="tool", tool="search_flights",
             input='{"origin": "OSL", "destination": "LIS", "date": "2026-02-30"}', output=ERROR),  # fmt: skip
        span("m2", 3, 3.5, parent_id="root", kind="llm", model="gemini-2.5-flash", output=answer),
    )


def test_an_answer_saying_the_errors_reason_again_relayed_it() -> None:
    c = _flights("February 2026 only has 28 days, so there is no 30 February. Did you mean 28 February or 1 March?")
    assert "error_as_data" not in detectors(c)


def test_near_miss_an_answer_listing_flights_read_the_error_as_data() -> None:
    c = _flights("Here are the morning flights Oslo to Lisbon on 30 February: SK1821 at 07:10 and TP755 at 09:40.")
    assert one(c, "error_as_data")["decisive_span_id"] == "t1"


def _review(reason: str):
    return run(
        span("root", 0, 20, kind="agent", name="due_diligence", agent="due_diligence",
             output="Financials fine. Sanctions: no matches. I opened LDD-3318 for the litigation check."),  # fmt: skip
        span("lit", 1, 6, parent_id="root", kind="agent", name="litigation_agent", agent="litigation_agent",
             output='{"summary": "see task"}'),  # fmt: skip
        span("c1", 2, 3, parent_id="lit", kind="tool", tool="courtlistener_search", status="error",
             error_type="requests.exceptions.HTTPError", input='{"q": "Northwind"}'),  # fmt: skip
        span("task", 8, 9, parent_id="root", kind="tool", tool="create_review_task",
             input=json.dumps({"queue": "legal-dd", "title": "Manual litigation check", "reason": reason}),
             output='{"task_id": "LDD-3318", "status": "open"}'),  # fmt: skip
        span("m1", 10, 11, parent_id="root", kind="llm", model="gpt-4.1",
             output="Financials fine. Sanctions: no matches. I opened LDD-3318 for the litigation check."),  # fmt: skip
    )


def test_a_failure_named_in_a_later_tasks_arguments_was_passed_on() -> None:
    assert "swallowed_error" not in detectors(_review("CourtListener unavailable"))


def test_near_miss_a_task_with_no_word_of_the_failure_passed_nothing_on() -> None:
    assert "swallowed_error" in detectors(_review("routine second check"))


def test_the_swallowed_chain_begins_at_its_first_failed_attempt() -> None:
    c = _react("According to Wikipedia, Jorn Utzon received the Pritzker Prize in 2003.")
    assert one(c, "swallowed_error")["decisive_span_id"] == "s1"


def test_near_miss_an_attempt_a_later_success_recovered_is_not_in_the_chain() -> None:
    c = run(
        span("root", 0, 40, kind="chain", name="ReAct.forward",
             output='{"answer": "According to Wikipedia, Jorn Utzon received the Pritzker Prize in 2003."}'),  # fmt: skip
        span("s1", 2, 12, parent_id="root", kind="tool", tool="search_wikipedia", status="error",
             error_type="ReadTimeout", error_message=TIMEOUT, input='{"query": "Sydney Opera House architect"}'),  # fmt: skip
        span("s2", 14, 15, parent_id="root", kind="tool", tool="search_wikipedia", input='{"query": "Sydney Opera House architect"}',
             output="Jorn Utzon was the architect."),  # fmt: skip
        span("s3", 16, 26, parent_id="root", kind="tool", tool="search_wikipedia", status="error",
             error_type="ReadTimeout", error_message=TIMEOUT, input='{"query": "Jorn Utzon Pritzker Prize"}'),  # fmt: skip
        span("lm", 27, 27.5, parent_id="root", kind="llm", model="gpt-4o-mini", output="next_tool_name: finish"),
    )
    assert one(c, "swallowed_error")["decisive_span_id"] == "s3"
