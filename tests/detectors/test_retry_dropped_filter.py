"""A failed call retried with one of its constraints dropped answered a wider question: no recovery.

DSPy's ReAct catches a tool's exception and hands it to the model as the step's observation
("Execution error in <tool>: ...", stanfordnlp/dspy dspy/predict/react.py ``forward``); the model's
next ``next_tool_args`` may call the same tool again without the filter that made it slow, and the
OpenInference DSPy instrumentation writes each ``Tool.__call__`` as a TOOL span with its arguments
as the input. A LangGraph ``ToolNode`` hands a tool's error back as a ToolMessage the same way, and
OpenLLMetry's callback handler marks the ``<tool>.tool`` span an error (traceloop/openllmetry
opentelemetry-instrumentation-langchain callback_handler.py ``on_tool_error``); the model re-runs
the SQL with a WHERE conjunct removed. The retry succeeds on a wider question, and an answer that
presents its result as the narrower one swallowed the failure (TAXONOMY swallowed_error: no later
successful retry of the same call). Decisive: the wider retry, whose result was passed on.
Near misses: the same arguments sent again; only the page or limit changed; a later retry that kept
the constraint and succeeded; an answer that says the filter was dropped.
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, one, run, span

from forensics.detectors.dropped_filters import dropped_constraint

A = {"agent": "legal_research", "parent_id": "root"}
FILTERED = '{"query": "non-compete remote employee", "jurisdiction": "ca9", "decided_after": "2019-12-31"}'
UNFILTERED = '{"query": "non-compete remote employee"}'
CASES = '{"count": 2, "results": [{"case": "A v. B", "court": "ca7"}, {"case": "C v. D", "court": "Cal."}]}'
ANSWER = "Likely unenforceable under Ninth Circuit authority: A v. B and C v. D."


def _rows(retry_args: str, answer: str = ANSWER, then: str | None = None) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, 30, kind="chain", name="ReAct.forward", input='{"question": "Cite Ninth Circuit authority"}',
             output=answer),
        span("l1", 1, 2, kind="llm", model="gpt-4.1", **A, output='{"next_tool_name": "search_case_law"}'),
        span("t1", 3, 8, kind="tool", tool="search_case_law", **A, input=FILTERED, status="error",
             error_type="httpx.ReadTimeout", error_message="The read operation timed out"),
        span("l2", 9, 10, kind="llm", model="gpt-4.1", **A, output='{"next_tool_name": "search_case_law"}'),
        span("t2", 11, 12, kind="tool", tool="search_case_law", **A, input=retry_args, output=CASES),
    ]  # fmt: skip
    if then is not None:
        rows.append(span("t3", 13, 14, kind="tool", tool="search_case_law", **A, input=then, output=CASES))
    rows.append(span("l3", 20, 21, kind="llm", model="gpt-4.1", **A, output=answer))
    return rows


def test_a_retry_without_the_court_and_date_filters_recovers_nothing() -> None:
    f = one(run(*_rows(UNFILTERED)), "swallowed_error")
    assert f["decisive_span_id"] == "t2"
    assert "t1" in f["evidence_span_ids"]


def test_near_miss_the_same_arguments_sent_again() -> None:
    assert "swallowed_error" not in detectors(run(*_rows(FILTERED)))


def test_near_miss_only_the_limit_changed() -> None:
    with_limit = FILTERED[:-1] + ', "limit": 50}'
    rows = _rows(FILTERED)
    rows[2]["input"] = with_limit
    assert "swallowed_error" not in detectors(run(*rows))


def test_near_miss_a_later_retry_kept_the_filters_and_succeeded() -> None:
    assert "swallowed_error" not in detectors(run(*_rows(UNFILTERED, then=FILTERED)))


def test_near_miss_the_answer_says_the_filter_was_dropped() -> None:
    told = ("The Ninth-Circuit-filtered search timed out, so I searched without the court filter; "
            "A v. B is a Seventh Circuit case, not Ninth Circuit authority.")
    assert "swallowed_error" not in detectors(run(*_rows(UNFILTERED, answer=told)))


def test_a_sql_where_conjunct_dropped_is_a_constraint_and_a_limit_is_not() -> None:
    # Arguments as the span table holds them (whitespace taken out: preparation's ``args``).
    q = "{\"query\":\"SELECTSUM(net)FROMfct_revenueWHEREregion='EMEA'ANDday>='2026-07-01'\"}"
    assert dropped_constraint(q, q.replace("region='EMEA'AND", ""))
    assert not dropped_constraint(q, q)
    assert not dropped_constraint('{"q":"x","limit":50}', '{"q":"x"}')
    # A search text shortened is another wording, not a constraint dropped.
    assert not dropped_constraint('{"q":"remotenoncompete","court":"ca9"}', '{"q":"remote","court":"ca9"}')
