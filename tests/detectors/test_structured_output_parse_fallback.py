"""A structured-output parse that failed, whose include_raw fallback handed on parsed=None.

LangChain's ``with_structured_output(include_raw=True)`` is ``{"raw": llm} | parser_assign.with_fallbacks(
[parser_none], exception_key="parsing_error")`` with ``parser_none = RunnablePassthrough.assign(parsed=
lambda _: None)`` (langchain-ai/langchain libs/core/langchain_core/language_models/chat_models.py):
when the parser raises, the ``RunnableWithFallbacks`` runs the fallback, which ends OK with
``{"raw": ..., "parsing_error": <the exception>, "parsed": null}``. That fallback replaced nothing
(conventions.fallbacks ``fallback_answered_nothing``): an app that then acts on defaults and reports
the ticket triaged swallowed the parse failure. Near miss: the app read ``parsing_error``, invoked
the chain again, and that parse succeeded.
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, one, run, span

_RAW = '{"raw": {"content": "", "tool_calls": [{"name": "TicketTriage", "args": {"severity": "SEV1"}}]}}'


def _structured_call(n: int, t: float, parses: bool) -> list[dict[str, Any]]:
    seq, wf = f"seq{n}", f"wf{n}"
    rows = [
        span(seq, t, t + 3, parent_id="root", kind="chain", name="RunnableSequence", output=_RAW),
        span(f"llm{n}", t + 0.1, t + 1.5, parent_id=seq, kind="llm", model="gpt-4o-mini", output='{"tool_calls": ["TicketTriage"]}'),
        span(wf, t + 1.6, t + 2.9, parent_id=seq, kind="chain", name="RunnableWithFallbacks"),
    ]
    if parses:
        rows += [
            span(f"assign{n}", t + 1.7, t + 2.0, parent_id=wf, kind="chain", name="RunnableAssign<parsed,parsing_error>",
                 output='{"raw": "AIMessage", "parsed": {"severity": "P1"}, "parsing_error": null}'),
            span(f"parser{n}", t + 1.8, t + 1.9, parent_id=f"assign{n}", kind="unknown", name="PydanticToolsParser",
                 output='{"severity": "P1"}'),
        ]
    else:
        rows += [
            span(f"assign{n}", t + 1.7, t + 2.0, parent_id=wf, kind="chain", name="RunnableAssign<parsed,parsing_error>",
                 status="error", error_type="ValidationError"),
            span(f"parser{n}", t + 1.8, t + 1.9, parent_id=f"assign{n}", kind="unknown", name="PydanticToolsParser",
                 status="error", error_type="pydantic_core._pydantic_core.ValidationError",
                 error_message="1 validation error for TicketTriage\nseverity\n  Input should be 'P1', 'P2', 'P3' or 'P4'"),
            span(f"none{n}", t + 2.1, t + 2.3, parent_id=wf, kind="chain", name="RunnableAssign<parsed>",
                 output='{"raw": "AIMessage", "parsing_error": "ValidationError", "parsed": null}'),
        ]
    return rows


def _run(asked_again: bool) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, 20, kind="chain", name="handle_inbound_ticket", output="Ticket #88213 triaged: priority=low"),
        span("get", 0.5, 1, parent_id="root", kind="tool", tool="zendesk.get_ticket", output='{"subject": "checkout down"}'),
        *_structured_call(1, 2, parses=False),
    ]
    if asked_again:
        rows += _structured_call(2, 6, parses=True)
    rows.append(span("upd", 12, 13, parent_id="root", kind="tool", tool="zendesk.update_ticket",
                     input='{"ticket_id": 88213, "priority": "low"}', output='{"ticket": {"priority": "low"}}'))
    return rows


def test_a_parse_failure_handed_on_as_parsed_none_was_swallowed() -> None:
    f = one(run(*_run(asked_again=False)), "swallowed_error")
    assert f["decisive_span_id"] == "parser1"


def test_near_miss_the_app_asked_again_and_the_parse_succeeded() -> None:
    found = detectors(run(*_run(asked_again=True)))
    assert "swallowed_error" not in found and "unhandled_error" not in found
