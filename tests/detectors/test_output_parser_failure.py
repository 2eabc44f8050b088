"""A LangChain output parser that could not read the model's answer failed the model step.

JsonOutputParser raises OutputParserException ("Invalid json output: ...", langchain_core/exceptions.py;
troubleshooting OUTPUT_PARSING_FAILURE) on an answer it cannot read, here one cut at max_tokens. A
prompt | model | parser chain with no retry (with_retry, RetryOutputParser) or fixing parser
(OutputFixingParser) ends in that error: the failure no defined path followed.
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, one, run, span

OPE = "langchain_core.exceptions.OutputParserException"
CUT = '{"lines": [{"sku": "A1", "qty": 2}, {"sku": "B'


def _chain(*, retried: bool = False, error_type: str = OPE) -> list[dict[str, Any]]:
    ok = retried
    rows = [
        span("root", 0, 10, kind="chain", name="RunnableSequence", status="ok" if ok else "error",
             error_type=None if ok else error_type, error_message=None if ok else "Invalid json output"),
        span("l1", 1, 4, parent_id="root", kind="llm", model="gpt-4o-mini", output=CUT),
        span("p1", 4.1, 4.2, parent_id="root", kind="chain", name="JsonOutputParser", status="error",
             error_type=error_type, error_message="Invalid json output: " + CUT),
    ]
    if retried:  # RetryOutputParser: the model asked again with the error, and the parse succeeded.
        rows += [
            span("l2", 5, 8, parent_id="root", kind="llm", model="gpt-4o-mini", output='{"lines": []}'),
            span("p2", 8.1, 8.2, parent_id="root", kind="chain", name="JsonOutputParser", output='{"lines": []}'),
        ]
    return rows


def test_a_parser_failure_with_nothing_after_it_is_unhandled() -> None:
    assert one(run(*_chain()), "unhandled_error")["decisive_span_id"] == "p1"


def test_a_parser_failure_retried_or_another_chain_error_is_not_this_rule() -> None:
    # Near-misses: the retry parsed the new answer; a chain step failing with its own error (not a
    # parse of a model's answer) is no call.
    assert "unhandled_error" not in detectors(run(*_chain(retried=True)))
    assert "unhandled_error" not in detectors(run(*_chain(error_type="KeyError")))
