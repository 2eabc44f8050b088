"""The conventions layer: each framework signal becomes its meaning column, and detectors read the
meaning. One firing test and one near-miss per convention, on small inline tables written from the
frameworks' own emitting code (cited in forensics/conventions/*)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from span_builder import detectors, one, run, run_row, span, spans

from forensics.conventions import CONVENTIONS
from forensics.detectors.base import Context, prepare
from forensics.load import load
from forensics.policy import resolve_policy

ROOT = {"kind": "agent", "name": "assistant", "agent": "assistant"}


def ctx_of(*rows: dict[str, Any]) -> Context:
    return prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))


def col(ctx: Context, span_id: str, name: str) -> Any:
    return ctx.spans.filter(pl.col("span_id") == span_id).get_column(name).item()


def attrs(**kw: Any) -> str:
    return json.dumps(kw)


def http(
    sid: str, start: float, status: int, parent: str = "l1", url: str = "https://api.x/v1/chat", **extra: Any
):
    a: dict[str, Any] = {"http.request.method": "POST", "url.full": url, "http.response.status_code": status}
    a.update(extra)
    return span(
        sid,
        start,
        start + 0.2,
        parent_id=parent,
        name="POST",
        status="error" if status >= 400 else "ok",
        attributes=json.dumps(a),
    )


# --- the registry --------------------------------------------------------------------------------


def test_every_convention_documents_its_sources_and_columns() -> None:
    names = [c.name for c in CONVENTIONS]
    assert names[:2] == ["pauses", "handled_exceptions"]  # pauses decide what a failure is first
    assert {"attempt_groups", "fallbacks", "magentic_one_ledger", "reported_outcome"} <= set(names)
    for c in CONVENTIONS:
        assert c.signals and all(s.source and s.framework and s.becomes for s in c.signals), c.name
        assert c.columns or c.run_columns, c.name


def test_meaning_columns_are_on_the_prepared_frame_and_raw_ones_are_not() -> None:
    ctx = ctx_of(span("root", 0, 5, **ROOT))
    for c in CONVENTIONS:
        for name in c.columns:
            assert name in ctx.spans.columns, name
        for name in c.run_columns:
            assert name in ctx.runs.columns, name
    assert not [c for c in ctx.spans.columns if c.startswith("_cv_")]


# --- attempt groups: HTTP resends -----------------------------------------------------------------


def test_http_resend_that_recovered_is_neither_swallowed_nor_unhandled() -> None:
    rows = (
        span("root", 0, 10, **ROOT, output="Here is your summary."),
        span("l1", 1, 6, parent_id="root", kind="llm", model="gpt-4o", output="Here is your summary."),
        http("h1", 1.1, 503),
        http("h2", 3.0, 200, **{"http.request.resend_count": 1}),
    )
    ctx = ctx_of(*rows)
    assert col(ctx, "h1", "attempt_group") == col(ctx, "h2", "attempt_group")
    assert (col(ctx, "h1", "attempt_index"), col(ctx, "h2", "attempt_index")) == (0, 1)
    assert col(ctx, "h1", "group_recovered") and not col(ctx, "h2", "group_recovered")
    assert col(ctx, "h2", "explicit_retry") and col(ctx, "h1", "http_attempt")
    c = run(*rows)
    assert detectors(c) == set()
    assert run_row(c)["ok"]


def test_http_near_miss_another_url_is_not_a_resend() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Here is your summary."),
        span("l1", 1, 6, parent_id="root", kind="llm", model="gpt-4o", output="Here is your summary."),
        http("h1", 1.1, 503),
        http("h2", 3.0, 200, url="https://api.x/v1/other"),
    )
    f = one(c, "swallowed_error")
    assert f["decisive_span_id"] == "h1"


def test_http_resend_under_another_parent_is_not_the_same_request() -> None:
    ctx = ctx_of(
        span("root", 0, 10, **ROOT),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o"),
        span("l2", 3, 4, parent_id="root", kind="llm", model="gpt-4o"),
        http("h1", 1.1, 503, parent="l1"),
        http("h2", 3.1, 200, parent="l2"),
    )
    assert col(ctx, "h1", "attempt_group") != col(ctx, "h2", "attempt_group")


# --- attempt groups: database statements issued again -------------------------------------------
# OpenTelemetry database client spans (semantic-conventions docs/database/database-spans.md): named
# "{db.operation.name} {target}", with db.system.name (older: db.system) and db.query.text (older:
# db.statement); a failure sets error.type and records the exception event (psycopg's
# DeadlockDetected, SQLSTATE 40P01; SerializationFailure, 40001), after which the application's
# transaction retry loop issues the same statement again.
_TRANSFER = "UPDATE accounts SET balance = balance - %s WHERE id = %s"


def db(sid: str, start: float, ok: bool, query: str = _TRANSFER, parent: str = "t1", old: bool = False) -> dict[str, Any]:
    a: dict[str, Any] = (
        {"db.system": "postgresql", "db.statement": query}
        if old
        else {"db.system.name": "postgresql", "db.operation.name": "UPDATE", "db.query.text": query}
    )
    if not ok:
        a["error.type"] = "psycopg.errors.DeadlockDetected"
    return span(
        sid,
        start,
        start + 0.1,
        parent_id=parent,
        name=f"{query.split()[0]} accounts",
        status="ok" if ok else "error",
        error_type=None if ok else "psycopg.errors.DeadlockDetected",
        error_message=None if ok else "deadlock detected",
        attributes=json.dumps(a),
    )


def _db_run(*db_rows: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    return (
        span("root", 0, 10, **ROOT, output="The ledger is in sync."),
        span("t1", 1, 8, parent_id="root", kind="tool", tool="ledger.sync", input='{"account": 7}', output="done"),
        *db_rows,
        span("l1", 9, parent_id="root", kind="llm", model="gpt-4o", output="The ledger is in sync."),
    )


def test_a_db_statement_issued_again_after_a_deadlock_is_one_recovered_attempt_group() -> None:
    rows = _db_run(db("d1", 1.1, False), db("d2", 1.4, False, old=True), db("d3", 2.0, True))
    ctx = ctx_of(*rows)
    groups = {col(ctx, s, "attempt_group") for s in ("d1", "d2", "d3")}
    assert len(groups) == 1 and None not in groups  # the old db.statement spelling joins the new
    assert [col(ctx, s, "attempt_index") for s in ("d1", "d2", "d3")] == [0, 1, 2]
    assert col(ctx, "d1", "group_recovered") and col(ctx, "d2", "group_recovered")
    c = run(*rows)
    assert "swallowed_error" not in detectors(c) and "unhandled_error" not in detectors(c)
    assert run_row(c)["ok"]


def test_db_near_misses_another_statement_or_a_retry_that_failed_too() -> None:
    other = "UPDATE accounts SET balance = balance + %s WHERE id = %s"
    ctx = ctx_of(*_db_run(db("d1", 1.1, False), db("d2", 2.0, True, query=other)))
    assert col(ctx, "d1", "attempt_group") != col(ctx, "d2", "attempt_group")
    assert one(run(*_db_run(db("d1", 1.1, False), db("d2", 2.0, True, query=other))), "swallowed_error")[
        "decisive_span_id"
    ] == "d1"
    # The statement issued again, and failing again: nothing recovered it.
    c = run(*_db_run(db("d1", 1.1, False), db("d2", 2.0, False)))
    assert "swallowed_error" in detectors(c)


def _storm(gaps: list[float], last_ok: bool, retry_after: float | None = None) -> list[dict[str, Any]]:
    rows = [span("root", 0, 60, **ROOT, output="done")]
    rows.append(
        span(
            "l1",
            0.5,
            50,
            parent_id="root",
            kind="llm",
            model="gpt-4o",
            status="ok" if last_ok else "error",
            error_type=None if last_ok else "RateLimitError",
        )
    )
    t = 1.0
    extra = {"http.response.header.retry-after": [str(retry_after)]} if retry_after else {}
    for i, gap in enumerate([0.0, *gaps]):
        t += gap
        ok = last_ok and i == len(gaps)
        a = {"http.request.resend_count": i} if i else {}
        rows.append(http(f"h{i}", t, 200 if ok else 429, **a, **({} if ok else extra)))
    return rows


def test_http_retry_storm_is_a_retry_storm_not_an_unhandled_error() -> None:
    c = run(*_storm([1.0, 1.0, 1.0, 1.0, 1.0], last_ok=False))
    f = one(c, "retry_storm")
    assert f["decisive_span_id"] == "h0"
    assert "retried 5 time(s), more than the limit of 3" in f["explanation"]
    assert "https://api.x/v1/chat" in f["explanation"]
    assert "unhandled_error" not in detectors(c)


def test_a_retry_storm_whose_run_reported_success_is_one_story_not_also_a_swallowed_error() -> None:
    # Eight 429s of one request with growing backoff (OTel HTTP resends), and the run said "done":
    # the storm is the failure (missing_fallback); its attempts are not a silent failure again.
    c = run(*_storm([0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0], last_ok=False))
    assert run_row(c)["reported_outcome"] == "success"
    assert "retried 7 time(s), more than the limit of 3" in one(c, "retry_storm")["explanation"]
    assert "swallowed_error" not in detectors(c)
    # The same storm whose last attempt succeeded: recovered, so no swallowed error either.
    assert "swallowed_error" not in detectors(run(*_storm([0.25, 0.5, 1.0, 2.0, 4.0], last_ok=True)))


def test_retry_storm_near_miss_one_retry_that_failed_too_is_still_swallowed() -> None:
    # One resend (no storm: within the limit, too few retries to judge backoff), failed again,
    # and the run reported success: nobody recovered or told it.
    c = run(*_storm([2.0], last_ok=False))
    assert "retry_storm" not in detectors(c)
    assert one(c, "swallowed_error")["decisive_span_id"] == "h0"


def test_http_retries_near_miss_honoured_retry_after_is_backoff() -> None:
    # Two retries 2 s apart: no growth, but the server asked for 2 s each time and got it.
    c = run(*_storm([2.3, 2.3], last_ok=True, retry_after=2))
    assert detectors(c) == set()


def test_http_retries_without_retry_after_and_no_growth_are_a_storm() -> None:
    c = run(*_storm([2.3, 2.3], last_ok=True))
    assert "retry spacing never grew" in one(c, "retry_storm")["explanation"]


def test_a_storm_that_ignored_the_servers_retry_after_starts_at_the_first_early_resend() -> None:
    # Every 429 asked for a 20 s wait; the client resent 0.3 s later, six times. The first 429 was
    # a wait the server instructed (recoverable); the resend that ignored it made the storm.
    c = run(*_storm([0.3] * 6, last_ok=False, retry_after=20))
    f = one(c, "retry_storm")
    assert f["decisive_span_id"] == "h1"
    assert "Retry-After) was not honoured" in f["explanation"]
    # Near miss: the same storm with no Retry-After asked for starts at the first failed attempt.
    assert one(run(*_storm([0.3] * 6, last_ok=False)), "retry_storm")["decisive_span_id"] == "h0"


# --- attempt groups: calls re-issued, RunnableRetry ----------------------------------------------


def test_the_same_tool_call_reissued_recovers_its_failure() -> None:
    rows = (
        span("root", 0, 10, **ROOT, output="Booked."),
        span(
            "t1",
            1,
            2,
            parent_id="root",
            kind="tool",
            tool="book_room",
            input='{"id": 1}',
            status="error",
            error_type="Timeout",
        ),
        span(
            "t2",
            3,
            4,
            parent_id="root",
            kind="tool",
            tool="book_room",
            input='{"id": 1}',
            output='{"ok": true}',
        ),
    )
    ctx = ctx_of(*rows)
    assert col(ctx, "t1", "attempt_count") == 2 and col(ctx, "t1", "group_recovered")
    assert detectors(run(*rows)) == set()


def test_reissued_call_near_miss_other_arguments_is_another_request() -> None:
    ctx = ctx_of(
        span("root", 0, 10, **ROOT),
        span("t1", 1, 2, parent_id="root", kind="tool", tool="book_room", input='{"id": 1}', status="error"),
        span("t2", 3, 4, parent_id="root", kind="tool", tool="book_room", input='{"id": 2}'),
    )
    assert col(ctx, "t1", "attempt_count") == 1 and not col(ctx, "t1", "group_recovered")


def test_runnable_retry_tag_marks_an_explicit_retry() -> None:
    ctx = ctx_of(
        span("root", 0, 10, kind="chain", name="RunnableRetry"),
        span("a1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", input="q", status="error"),
        span(
            "a2",
            3,
            4,
            parent_id="root",
            kind="llm",
            model="gpt-4o",
            input="q",
            attributes=attrs(tags=["retry:attempt:2"]),
        ),
    )
    assert col(ctx, "a2", "explicit_retry") and not col(ctx, "a1", "explicit_retry")
    assert col(ctx, "a1", "group_recovered")


# --- pauses and escalations -----------------------------------------------------------------------


def _interrupted(run_id: str = "r1", session: str | None = "thread-1") -> list[dict[str, Any]]:
    # LangSmith-style: the node that called interrupt() and the graph above it both end with the
    # GraphInterrupt the node raised (langgraph/errors.py).
    msg = "GraphInterrupt((Interrupt(value='Approve refund of $40?', resumable=True, ns=['review:1']),))"
    common = {"status": "error", "error_type": "GraphInterrupt", "error_message": msg, "session_id": session}
    return [
        span("g", 0, 5, kind="chain", name="LangGraph", run_id=run_id, **common),
        span("n", 1, 4, parent_id="g", kind="chain", name="human_review", run_id=run_id, **common),
    ]


def test_graph_interrupt_is_an_escalation_not_an_error() -> None:
    ctx = ctx_of(*_interrupted())
    assert col(ctx, "n", "pause_kind") == "interrupt" and col(ctx, "g", "pause_kind") == "interrupt"
    assert not col(ctx, "n", "failed") and not col(ctx, "g", "failed")
    assert col(ctx, "n", "pause_escalation") and not col(ctx, "g", "pause_escalation")
    c = run(*_interrupted())
    # Never resumed before the log ends: an escalation nobody took up, and the run left suspended on it
    # (TAXONOMY limbo: no terminal state, last activity an escalation). Both are ownership gaps; no
    # error detector reads the interrupt.
    assert detectors(c) == {"unacknowledged_escalation", "limbo"}
    assert one(c, "limbo")["decisive_span_id"] == "n"
    f = one(c, "unacknowledged_escalation")
    assert f["decisive_span_id"] == "n"
    assert "a pause for a person's decision" in f["explanation"]


def test_graph_interrupt_near_miss_resumed_in_a_later_run_of_the_thread() -> None:
    from span_builder import concat

    from forensics.classify import classify

    resumed = spans(
        span(
            "g2",
            10,
            15,
            kind="chain",
            name="LangGraph",
            run_id="r2",
            session_id="thread-1",
            input='{"resume": "yes"}',
        ),
        span(
            "n2",
            11,
            14,
            parent_id="g2",
            kind="chain",
            name="human_review",
            run_id="r2",
            session_id="thread-1",
        ),
        run_id="r2",
    )
    c = classify(concat(spans(*_interrupted()), resumed))
    assert detectors(c) == set()


def test_graph_interrupt_near_miss_resumed_long_after_the_sla_is_still_owned() -> None:
    # The person answered the refund approval 20 minutes later (past the 900 s SLA a page has):
    # the graph waited, checkpointed, by design; a late decision is not an ownership gap.
    from span_builder import concat

    from forensics.classify import classify

    resumed = spans(
        span("g2", 1205, 1210, kind="chain", name="LangGraph", run_id="r2", session_id="thread-1",
             input='{"resume": "approved"}'),
        span("n2", 1206, 1209, parent_id="g2", kind="chain", name="human_review", run_id="r2",
             session_id="thread-1"),
        run_id="r2",
    )
    c = classify(concat(spans(*_interrupted()), resumed))
    assert detectors(c) == set()


def test_graph_interrupt_output_key_marks_the_pause() -> None:
    ctx = ctx_of(
        span("g", 0, 5, kind="chain", name="LangGraph", output='{"__interrupt__": [{"value": "ok?"}]}')
    )
    assert col(ctx, "g", "pause_kind") == "interrupt"


def test_interrupt_near_miss_an_ordinary_exception_is_a_failure() -> None:
    ctx = ctx_of(
        span(
            "g",
            0,
            5,
            kind="chain",
            name="node",
            status="error",
            error_type="ValueError",
            error_message="Interrupted system call",
        )
    )
    assert col(ctx, "g", "pause_kind") is None and col(ctx, "g", "failed")


def test_guardrail_tripwire_is_a_designed_stop() -> None:
    c = run(
        span(
            "root",
            0,
            5,
            **ROOT,
            status="error",
            error_type="InputGuardrailTripwireTriggered",
            error_message="Guardrail InputGuardrail triggered tripwire",
        ),
        span(
            "gr",
            0.1,
            0.3,
            parent_id="root",
            kind="guardrail",
            name="math_homework",
            attributes=attrs(triggered=True),
        ),
        span(
            "t1",
            1,
            2,
            parent_id="root",
            kind="tool",
            tool="lookup",
            status="error",
            error_type="InputGuardrailTripwireTriggered",
        ),
    )
    assert detectors(c) == set()


def test_guardrail_near_miss_untriggered_guardrail_is_no_pause() -> None:
    ctx = ctx_of(span("gr", 0, 1, kind="guardrail", name="g", attributes=attrs(triggered=False)))
    assert col(ctx, "gr", "pause_kind") is None


def test_tool_approval_request_is_an_escalation() -> None:
    ctx = ctx_of(
        span("root", 0, 5, **ROOT),
        span(
            "a",
            1,
            2,
            parent_id="root",
            kind="tool",
            tool="mcp",
            output='{"type": "mcp_approval_request", "name": "delete_repo"}',
        ),
        span(
            "b",
            1,
            2,
            parent_id="root",
            kind="tool",
            tool="mcp",
            output='{"type": "mcp_call", "name": "approval_list"}',
        ),
    )
    assert col(ctx, "a", "pause_kind") == "approval" and col(ctx, "a", "is_escalation")
    assert col(ctx, "b", "pause_kind") is None


def test_openhands_agent_states() -> None:
    ctx = ctx_of(
        span("root", 0, 9, **ROOT),
        span(
            "s1",
            1,
            1,
            parent_id="root",
            kind="event",
            attributes=attrs(extras={"agent_state": "awaiting_user_confirmation"}),
        ),
        span(
            "s2",
            2,
            2,
            parent_id="root",
            kind="event",
            attributes=attrs(extras={"agent_state": "user_confirmed"}),
        ),
        span("s3", 3, 3, parent_id="root", kind="event", attributes=attrs(extras={"agent_state": "running"})),
    )
    assert col(ctx, "s1", "pause_kind") == "approval"
    assert col(ctx, "s2", "state_ack") and col(ctx, "s2", "is_ack")
    assert col(ctx, "s3", "pause_kind") is None and not col(ctx, "s3", "state_ack")


# --- declared fallbacks ------------------------------------------------------------------------------


def _fallbacks(parent_name: str, *, crashed: bool = False) -> list[dict[str, Any]]:
    """With ``crashed`` the agent's span ends in error (the run did not report success)."""
    end = {"status": "error", "error_type": "AgentRunError"} if crashed else {}
    return [
        span("root", 0, 10, **ROOT, output="Rates: 1.08", **end),
        span("w", 1, 5, parent_id="root", kind="chain", name=parent_name),
        span(
            "p",
            1.1,
            2,
            parent_id="w",
            kind="tool",
            tool="fx_primary",
            input='{"pair": "EURUSD"}',
            status="error",
            error_type="503",
        ),
        span("f", 2.1, 3, parent_id="w", kind="tool", tool="ecb_rates", input="EURUSD", output="1.08"),
    ]


def test_with_fallbacks_child_is_a_fallback_of_the_failed_sibling() -> None:
    ctx = ctx_of(*_fallbacks("RunnableWithFallbacks"))
    assert col(ctx, "f", "fallback_of") == "p"
    assert detectors(run(*_fallbacks("RunnableWithFallbacks"))) == set()


def test_with_fallbacks_near_miss_a_sequence_is_no_fallback() -> None:
    ctx = ctx_of(*_fallbacks("RunnableSequence"))
    assert col(ctx, "f", "fallback_of") is None
    # Nothing recovered the 503: in a run that ended in error it is unhandled_error's; in one that
    # reported success, swallowed_error's alone (one failure, one class).
    assert "unhandled_error" in detectors(run(*_fallbacks("RunnableSequence", crashed=True)))
    found = detectors(run(*_fallbacks("RunnableSequence")))
    assert "swallowed_error" in found and "unhandled_error" not in found


def test_litellm_attempted_fallbacks_names_the_failed_call() -> None:
    ctx = ctx_of(
        span("root", 0, 10, **ROOT),
        span("a", 1, 2, parent_id="root", kind="llm", model="gpt-4o", status="error", error_type="429"),
        span(
            "b",
            3,
            4,
            parent_id="root",
            kind="llm",
            model="gpt-4o",
            attributes=attrs(metadata={"attempted_fallbacks": 1}),
        ),
        span(
            "c",
            5,
            6,
            parent_id="root",
            kind="llm",
            model="gpt-4o",
            attributes=attrs(metadata={"attempted_fallbacks": 0}),
        ),
    )
    assert col(ctx, "b", "fallback_of") == "a" and col(ctx, "c", "fallback_of") is None


# --- handled versus escaped ----------------------------------------------------------------------


def _tool_error(message: str, **kw: Any) -> list[dict[str, Any]]:
    return [
        span("root", 0, 10, **ROOT, output="The weather service is down right now."),
        span(
            "t1",
            1,
            2,
            parent_id="root",
            kind="tool",
            tool="get_weather",
            status="error",
            error_message=message,
            **kw,
        ),
        span(
            "l1",
            3,
            4,
            parent_id="root",
            kind="llm",
            model="gpt-4o",
            output="The weather service is down right now.",
        ),
    ]


def test_agents_sdk_non_fatal_tool_error_is_handled() -> None:
    ctx = ctx_of(*_tool_error("Error running tool (non-fatal)"))
    assert col(ctx, "t1", "error_handled") and col(ctx, "t1", "failed")
    assert detectors(run(*_tool_error("Error running tool (non-fatal)"))) == set()


def test_agents_sdk_near_miss_a_fatal_tool_error_is_unhandled() -> None:
    # A fatal tool error (failure_error_function=None) is raised out of Runner.run: no model call
    # follows and the run ends in error, nothing said. (The same error followed by an answer telling
    # the user "the weather service is down" was reported: handled, as swallowed_error reads it too.)
    rows = _tool_error("Error running tool")
    fatal = [{**rows[0], "status": "error", "output": None}, rows[1]]
    assert "unhandled_error" in detectors(run(*fatal))
    assert "unhandled_error" not in detectors(run(*rows))


def test_exception_escaped_false_is_not_evidence_of_handling() -> None:
    ev = attrs(
        **{
            "@events": [
                {
                    "name": "exception",
                    "attributes": {"exception.type": "KeyError", "exception.escaped": False},
                }
            ]
        }
    )
    ctx = ctx_of(*_tool_error("boom", attributes=ev))
    assert not col(ctx, "t1", "error_handled") and not col(ctx, "t1", "error_escaped")


def test_exception_escaped_true_overrides_a_handled_spelling() -> None:
    ev = attrs(**{"@events": [{"name": "exception", "attributes": {"exception.escaped": True}}]})
    ctx = ctx_of(*_tool_error("Error running tool (non-fatal)", attributes=ev))
    assert col(ctx, "t1", "error_escaped") and not col(ctx, "t1", "error_handled")


@pytest.mark.parametrize(
    ("error_type", "handled"),
    [
        ("AgentExecutionError", True),
        ("AgentParsingError", True),
        ("AgentToolCallError", True),
        ("AgentGenerationError", False),
        ("ValueError", False),
    ],
)
def test_smolagents_step_errors(error_type: str, handled: bool) -> None:
    ctx = ctx_of(*_tool_error("Code execution failed", error_type=error_type))
    assert col(ctx, "t1", "error_handled") is handled
    assert col(ctx, "t1", "agent_error") == (error_type if error_type.startswith("Agent") else None)


def test_step_limit_is_a_run_fact() -> None:
    ctx = ctx_of(
        span("root", 0, 10, **ROOT, output="partial"),
        span(
            "s",
            8,
            9,
            parent_id="root",
            kind="chain",
            name="Step 20",
            status="error",
            error_type="AgentMaxStepsError",
            error_message="Reached max steps.",
        ),
    )
    assert col(ctx, "s", "step_limit")
    assert ctx.runs.get_column("step_limit_hit").to_list() == [True]
    near = ctx_of(span("root", 0, 10, **ROOT), span("s", 1, 2, parent_id="root", kind="chain", name="Step 1"))
    assert near.runs.get_column("step_limit_hit").to_list() == [False]


@pytest.mark.parametrize(
    ("message", "limit"),
    [
        ("Max turns exceeded", True),  # the Agents SDK's SpanError on the agent span (no count)
        ("Max turns (10) exceeded", True),  # MaxTurnsExceeded's own message
        ("Max turns of the conversation were not exceeded", False),  # near miss: says the opposite
    ],
)
def test_openai_agents_max_turns_is_a_step_limit(message: str, limit: bool) -> None:
    ctx = ctx_of(
        span("root", 0, 10, **ROOT),
        span(
            "a",
            1,
            9,
            parent_id="root",
            kind="agent",
            name="Researcher",
            status="error",
            error_message=message,
        ),
    )
    assert col(ctx, "a", "step_limit") is limit


def test_openhands_error_observation_is_handled_and_agent_state_error_is_not() -> None:
    ctx = ctx_of(
        span("root", 0, 10, **ROOT),
        span(
            "a",
            1,
            2,
            parent_id="root",
            kind="tool",
            tool="run",
            status="error",
            error_type="ErrorObservation",
        ),
        span(
            "b",
            3,
            4,
            parent_id="root",
            kind="event",
            name="agent_state_changed",
            status="error",
            error_type="agent_state_error",
        ),
    )
    assert col(ctx, "a", "error_handled") and not col(ctx, "b", "error_handled")


def test_claude_code_tool_error_is_handled_only_for_claude_code() -> None:
    rows = _tool_error("File has not been read yet", source_format="claude-code")
    assert col(ctx_of(*rows), "t1", "error_handled")
    assert not col(ctx_of(*_tool_error("File has not been read yet")), "t1", "error_handled")


# --- Magentic-One ledger -----------------------------------------------------------------------


LEDGER = """Updated Ledger:
{
    "is_request_satisfied": {"reason": "The answer has not been found yet.", "answer": false},
    "is_in_loop": {"reason": "WebSurfer keeps opening the same page", "answer": true},
    "is_progress_being_made": {"reason": "no new \\"facts\\"", "answer": false},
    "next_speaker": {"reason": "It can browse.", "answer": "WebSurfer"},
    "instruction_or_question": {"reason": "Next step.", "answer": "Search for the 2019 annual report."}
}"""


def test_ledger_answers_become_columns() -> None:
    ctx = ctx_of(
        span("root", 0, 10, **ROOT),
        span("o1", 1, 2, parent_id="root", kind="llm", agent="Orchestrator", output=LEDGER),
        span(
            "o2",
            3,
            4,
            parent_id="root",
            kind="llm",
            agent="Orchestrator",
            output=json.dumps({"content": LEDGER}),
        ),
        span(
            "w",
            5,
            6,
            parent_id="root",
            kind="llm",
            agent="WebSurfer",
            output="I am stuck in a loop, is_in_loop maybe",
        ),
    )
    for sid in ("o1", "o2"):  # plain and JSON-escaped
        assert col(ctx, sid, "ledger_in_loop") is True
        assert col(ctx, sid, "ledger_progress") is False
        assert col(ctx, sid, "ledger_satisfied") is False
        assert col(ctx, sid, "ledger_next_speaker") == "WebSurfer"
    assert col(ctx, "o1", "ledger_instruction") == "Search for the 2019 annual report."
    assert col(ctx, "w", "ledger_in_loop") is None and col(ctx, "w", "ledger_next_speaker") is None


def test_flat_ledger_is_read_too() -> None:
    ctx = ctx_of(span("o", 0, 1, kind="llm", output='{"is_in_loop": false, "is_progress_being_made": true}'))
    assert col(ctx, "o", "ledger_in_loop") is False and col(ctx, "o", "ledger_progress") is True


# --- what the run says about its outcome -------------------------------------------------------


def _says(final: str, *, crashed: bool = False) -> list[dict[str, Any]]:
    """With ``crashed`` the agent's span ends in error (the run did not report success)."""
    end = {"status": "error", "error_type": "AgentRunError"} if crashed else {}
    return [
        span("root", 0, 10, **ROOT, output=final, **end),
        span(
            "t1",
            1,
            2,
            parent_id="root",
            kind="tool",
            tool="sync_orders",
            status="error",
            error_type="Timeout",
        ),
        span("l1", 3, 4, parent_id="root", kind="llm", model="gpt-4o", output=final),
    ]


@pytest.mark.parametrize(
    "final",
    [
        '{"result": {"synced": 10, "status": "partial"}, "failed_steps": ["sync_orders"]}',
        '{"data": {"ok": false}}',
        '{"summary": "done", "errors": [{"step": "sync_orders"}]}',
        "I was unable to sync the orders: the order service timed out.",
        # In the past tense, whatever the verb.
        "I couldn't cancel your membership: the contract is locked until March, so nothing changed.",
        "We weren't able to issue the refund today.",
        # An impersonal verdict opening the answer (GAIA-style research agents).
        "Unable to determine: the order service never answered, so no order count is known.",
        '"Could not be determined: the order export could not be read."',
    ],
)
def test_a_final_output_saying_a_step_failed_is_not_reported_success(final: str) -> None:
    c = run(*_says(final))
    assert run_row(c)["reported_outcome"] == "error"
    assert "swallowed_error" not in detectors(c)
    # The run reported the failure (a failure result, in words): it did not just carry on.
    assert "unhandled_error" not in detectors(c)


def test_the_same_failure_answered_as_success_is_swallowed_and_unhandled_in_a_crashed_run() -> None:
    # Answered as success, the timeout is swallowed_error's alone (one failure, one class).
    c = run(*_says("Your membership is cancelled."))
    assert run_row(c)["reported_outcome"] == "success"
    assert "swallowed_error" in detectors(c) and "unhandled_error" not in detectors(c)
    # In a run that ended in error, unhandled_error reads the answer's words: one saying the step
    # failed is a failure result; one that does not leaves the timeout unhandled.
    assert "unhandled_error" in detectors(run(*_says("Your membership is cancelled.", crashed=True)))
    said = run(*_says("I was unable to sync the orders: the order service timed out.", crashed=True))
    assert "unhandled_error" not in detectors(said)


@pytest.mark.parametrize(
    "final",
    [
        '{"summary": "done", "error": null, "errors": []}',
        "All orders synced. I can't wait for tomorrow's batch!",
        "All orders synced. I can't recommend the new batch mode enough.",
        # The same words inside a sourced answer are no verdict on the run.
        "All 10 orders synced; one total could not be verified by the shop, but its invoice lists it.",
        "Orders synced: 10. Unable to determine why the shop rounds totals, which is not needed here.",
    ],
)
def test_near_miss_a_final_output_without_failure_is_reported_success(final: str) -> None:
    c = run(*_says(final))
    assert run_row(c)["reported_outcome"] == "success"
    assert "swallowed_error" in detectors(c)


def test_declared_verdict_from_the_root_outcome_attribute() -> None:
    o = {"@outcome": {"verdict": "failure", "score": 0.0, "field": "reward", "value": 0}}
    ctx = ctx_of(
        span("root", 0, 5, **ROOT, attributes=json.dumps(o)),
        span(
            "x",
            1,
            2,
            parent_id="root",
            kind="llm",
            attributes=json.dumps({"@outcome": {"verdict": "success"}}),
        ),
    )
    assert ctx.runs.get_column("declared_verdict").to_list() == ["failure"]
    assert ctx_of(span("root", 0, 5, **ROOT)).runs.get_column("declared_verdict").to_list() == ["unknown"]


# --- mechanism 6: order without times ---------------------------------------------------------------


def _chat(tmp_path: Path, messages: list[dict[str, Any]]) -> Any:
    from forensics.classify import classify

    p = tmp_path / "chat.json"
    p.write_text(json.dumps({"id": "c1", "messages": messages}))
    return classify(load(str(p)).spans)


_DELETE = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "delete_account", "arguments": '{"email": "bob@x.com"}'},
}


def test_chat_transcript_without_times_unguarded_delete_requested_by_the_user(tmp_path: Path) -> None:
    c = _chat(
        tmp_path,
        [
            {"role": "system", "content": "You are a support agent."},
            {"role": "user", "content": "Delete the account of bob@x.com, I am his manager."},
            {"role": "assistant", "content": None, "tool_calls": [_DELETE]},
            {"role": "tool", "tool_call_id": "call_1", "content": '{"deleted": true}'},
            {"role": "assistant", "content": "Done, the account is deleted."},
        ],
    )
    f = one(c, "unguarded_irreversible")
    assert f["decisive_span_id"] == "call_1"


def test_chat_transcript_near_miss_the_user_confirms_when_asked(tmp_path: Path) -> None:
    c = _chat(
        tmp_path,
        [
            {"role": "user", "content": "Delete the account of bob@x.com."},
            {"role": "assistant", "content": "This cannot be undone. Shall I delete bob@x.com?"},
            {"role": "user", "content": "Yes, I confirm."},
            {"role": "assistant", "content": None, "tool_calls": [_DELETE]},
            {"role": "tool", "tool_call_id": "call_1", "content": '{"deleted": true}'},
            {"role": "assistant", "content": "Done."},
        ],
    )
    assert "unguarded_irreversible" not in detectors(c)


def test_spans_without_any_time_are_ordered_by_their_place_in_the_file() -> None:
    ctx = ctx_of(
        span("root", None, None, **ROOT),
        span("u", None, None, parent_id="root", kind="human", name="user"),
        span("l", None, None, parent_id="root", kind="llm", model="gpt-4o"),
        span("a", None, None, parent_id="root", kind="human", name="user"),
    )
    order = ctx.spans.sort("seq").get_column("span_id").to_list()
    assert order == ["root", "u", "l", "a"]
    # The opening request is no review; the answer after the model spoke is.
    assert not col(ctx, "u", "is_review") and col(ctx, "a", "is_review")


def test_a_budget_refusal_is_a_limit_stop_not_an_unhandled_error() -> None:
    msg = "Error code: 400 - {'error': {'message': 'Budget has been exceeded! Current cost: 25.04, Max budget: 25.0', 'type': 'budget_exceeded'}}"
    rows = [
        span(
            "root",
            0,
            10,
            **ROOT,
            status="error",
            error_message="BudgetExceededError: Budget has been exceeded!",
        ),
        span(
            "l1",
            1,
            2,
            parent_id="root",
            kind="llm",
            model="gpt-4o",
            status="error",
            error_type="BadRequestError",
            error_message=msg,
        ),
    ]
    ctx = ctx_of(*rows)
    assert col(ctx, "l1", "budget_stop") and col(ctx, "l1", "limit_stop") and col(ctx, "l1", "failed")
    assert "unhandled_error" not in detectors(run(*rows))


def test_budget_near_miss_another_bad_request_is_unhandled() -> None:
    # The run ends in error as the budget refusal's does, on a 400 that is no limit.
    rows = [
        span(
            "root",
            0,
            10,
            **ROOT,
            status="error",
            error_message="BadRequestError: Error code: 400 - invalid 'messages'",
        ),
        span(
            "l1",
            1,
            2,
            parent_id="root",
            kind="llm",
            model="gpt-4o",
            status="error",
            error_type="BadRequestError",
            error_message="Error code: 400 - invalid 'messages'",
        ),
    ]
    assert not col(ctx_of(*rows), "l1", "limit_stop")
    assert "unhandled_error" in detectors(run(*rows))
    # Under a run that reported success the same 400 is swallowed_error's alone.
    ok = [span("root", 0, 10, **ROOT, output="ok"), rows[1]]
    found = detectors(run(*ok))
    assert "swallowed_error" in found and "unhandled_error" not in found


def test_the_conventions_table_in_the_docs_is_the_registry() -> None:
    from forensics.conventions import table_markdown

    doc = (Path(__file__).parents[2] / "docs" / "DETECTORS.md").read_text()
    start, end = "<!-- conventions-table:start -->\n", "\n<!-- conventions-table:end -->"
    assert doc[doc.index(start) + len(start) : doc.index(end)] == table_markdown()


def test_openai_client_retry_header_marks_an_explicit_retry() -> None:
    ctx = ctx_of(
        span("root", 0, 10, **ROOT),
        span("l1", 1, 6, parent_id="root", kind="llm", model="gpt-4o"),
        http("h1", 1.1, 500, **{"http.request.header.x-stainless-retry-count": ["0"]}),
        http("h2", 2.0, 200, **{"http.request.header.x-stainless-retry-count": ["1"]}),
    )
    assert col(ctx, "h2", "explicit_retry") and not col(ctx, "h1", "explicit_retry")


# --- smolagents (OpenInference instrumentation) ------------------------------------------------
# Spans as openinference-instrumentation-smolagents _wrappers.py writes them: `<Agent>.run` (AGENT)
# with smolagents.max_steps, `Step N` (CHAIN) per step, the model call (LLM) and tool (TOOL) under
# each step. Step errors: _record_step_error writes AgentToolCallError / AgentToolExecutionError as
# an `agent.step_recovery` event with status OK, any other as an exception with status ERROR.

_RECOVERY = attrs(
    **{
        "@events": [
            {
                "name": "agent.step_recovery",
                "attributes": {
                    "type": "AgentToolExecutionError",
                    "message": "Error executing tool 'visit_page' with arguments {...}: Exception: 429",
                    "severity": "expected",
                },
            }
        ]
    }
)


def _smol_step(n: int, start: float, tool: str = "web_search", **step: Any) -> list[dict[str, Any]]:
    """Step n: a model call, then one tool call (``tool_status``/``tool_error`` in ``step``)."""
    tool_status = step.pop("tool_status", "ok")
    tool_error = step.pop("tool_error", None)
    return [
        span(f"s{n}", start, start + 0.9, parent_id="run", kind="chain", name=f"Step {n}", **step),
        span(
            f"l{n}",
            start + 0.1,
            start + 0.4,
            parent_id=f"s{n}",
            kind="llm",
            model="gpt-4o",
            output=f"call {n}",
        ),
        span(
            f"t{n}",
            start + 0.5,
            start + 0.8,
            parent_id=f"s{n}",
            kind="tool",
            tool=tool,
            name="VisitTool" if tool == "visit_page" else "SearchInformationTool",
            input=json.dumps({"args": [], "sanitize_inputs_outputs": True, "kwargs": {"query": f"q{n}"}}),
            output=None if tool_status == "error" else f"results {n}",
            status=tool_status,
            error_type="Exception" if tool_status == "error" else None,
            error_message=tool_error,
        ),
    ]


def _smol_run(
    *rows: dict[str, Any], max_steps: int | None = 6, output: str = "Paris"
) -> list[dict[str, Any]]:
    a = {"openinference.span.kind": "AGENT", "smolagents.task": "Where?"}
    if max_steps is not None:
        a["smolagents.max_steps"] = max_steps
    run_span = span(
        "run",
        0,
        30,
        kind="agent",
        name="ToolCallingAgent.run",
        agent="search_agent",
        attributes=json.dumps(a),
        output=output,
    )
    return [run_span, *rows]


def _failed_visit(**step: Any) -> list[dict[str, Any]]:
    """Step 1's visit_page fails; step 2 searches and step 3 answers with final_answer."""
    return _smol_run(
        *_smol_step(
            1,
            1,
            tool="visit_page",
            tool_status="error",
            tool_error="Exception: 429 Too Many Requests",
            **step,
        ),
        *_smol_step(2, 3),
        *_smol_step(3, 5, tool="final_answer"),
    )


def test_smolagents_tool_failure_under_a_step_recovery_event_is_handled() -> None:
    ctx = ctx_of(*_failed_visit(attributes=_RECOVERY))
    assert col(ctx, "t1", "failed") and not col(ctx, "t1", "succeeded")  # still a failure of the call
    assert col(ctx, "t1", "error_handled")
    found = detectors(run(*_failed_visit(attributes=_RECOVERY)))
    assert not found & {"swallowed_error", "unhandled_error"}, found


@pytest.mark.parametrize(
    "error_type", ["AgentToolExecutionError", "AgentExecutionError", "AgentToolCallError"]
)
def test_smolagents_tool_failure_under_a_handled_step_error_is_handled(error_type: str) -> None:
    # Older instrumentation: the step's AgentError recorded as its exception, status ERROR.
    step = {"status": "error", "error_type": error_type, "error_message": "Error executing tool 'visit_page'"}
    ctx = ctx_of(*_failed_visit(**step))
    assert col(ctx, "t1", "error_handled") and col(ctx, "s1", "error_handled")
    assert not detectors(run(*_failed_visit(**step))) & {"swallowed_error", "unhandled_error"}


def test_smolagents_near_miss_a_tool_failure_under_a_plain_step_is_not_handled() -> None:
    # No recovery event, no agent error on the step: nothing says the model was shown the error.
    ctx = ctx_of(*_failed_visit())
    assert not col(ctx, "t1", "error_handled")
    assert detectors(run(*_failed_visit())) & {"swallowed_error", "unhandled_error"}


def test_smolagents_near_miss_generation_error_on_the_step_does_not_carry_down() -> None:
    step = {
        "status": "error",
        "error_type": "AgentGenerationError",
        "error_message": "Error in generating model output",
    }
    ctx = ctx_of(*_failed_visit(**step))
    assert not col(ctx, "t1", "error_handled") and not col(ctx, "s1", "error_handled")


def test_smolagents_near_miss_the_recovery_event_covers_only_its_own_step() -> None:
    rows = _smol_run(
        *_smol_step(1, 1, attributes=_RECOVERY),
        *_smol_step(2, 3, tool="visit_page", tool_status="error", tool_error="Exception: 429"),
        *_smol_step(3, 5, tool="final_answer"),
    )
    assert not col(ctx_of(*rows), "t2", "error_handled")


def _max_steps_run(steps: int, max_steps: int | None, final_call: bool) -> list[dict[str, Any]]:
    """``steps`` steps; then, when ``final_call``, the model call _handle_max_steps_reached makes
    (provide_final_answer, directly under the run span)."""
    rows = [r for n in range(1, steps + 1) for r in _smol_step(n, 2 * n - 1)]
    if final_call:
        rows.append(
            span(
                "final",
                2 * steps + 1,
                2 * steps + 2,
                parent_id="run",
                kind="llm",
                model="gpt-4o",
                output="Paris",
            )
        )
    return _smol_run(*rows, max_steps=max_steps)


@pytest.mark.parametrize("max_steps", [3, None])
def test_smolagents_max_steps_is_a_model_call_after_the_last_step(max_steps: int | None) -> None:
    ctx = ctx_of(*_max_steps_run(3, max_steps, final_call=True))
    assert ctx.runs.get_column("step_limit_hit").to_list() == [True]
    assert ctx.runs.get_column("step_limit_span_id").to_list() == ["final"]


def test_smolagents_max_steps_near_miss_final_answer_step_inside_the_limit() -> None:
    rows = _smol_run(*_smol_step(1, 1), *_smol_step(2, 3, tool="final_answer"), max_steps=3)
    ctx = ctx_of(*rows)
    assert ctx.runs.get_column("step_limit_hit").to_list() == [False]


def test_smolagents_max_steps_near_miss_a_model_call_last_before_the_limit() -> None:
    # The run span ends on a model call, but only 2 of its 6 steps were used: not the limit.
    ctx = ctx_of(*_max_steps_run(2, 6, final_call=True))
    assert ctx.runs.get_column("step_limit_hit").to_list() == [False]


def test_smolagents_same_error_until_the_step_limit_stays_a_failure() -> None:
    # Handled (shown to the model) each time, but never recovered: the calls stay failures and the
    # run hit its limit; only "handled vs swallowed" changes.
    same_visit = json.dumps(
        {"args": ["https://www.nobelprize.org/"], "sanitize_inputs_outputs": True, "kwargs": {}}
    )
    rows = [
        dict(r, input=same_visit) if r["kind"] == "tool" else r
        for n in range(1, 5)
        for r in _smol_step(
            n,
            2 * n - 1,
            tool="visit_page",
            tool_status="error",
            tool_error="Exception: 429",
            attributes=_RECOVERY,
        )
    ]
    rows.append(span("final", 10, 11, parent_id="run", kind="llm", model="gpt-4o", output="Paris"))
    ctx = ctx_of(*_smol_run(*rows, max_steps=4))
    failed = ctx.spans.filter(pl.col("kind") == "tool")
    assert failed.get_column("error_handled").all() and not failed.get_column("succeeded").any()
    assert ctx.runs.get_column("step_limit_hit").to_list() == [True]
    found = detectors(run(*_smol_run(*rows, max_steps=4)))
    assert "repeated_action" in found and not found & {"swallowed_error", "unhandled_error"}, found


# --- signed in, incidents, offered tools -----------------------------------------------------------


def test_authenticated_reads_an_explicit_flag_or_enduser_id() -> None:
    def auth(attributes: str | None) -> object:
        return col(ctx_of(span("root", 0, 1, kind="agent", name="a", attributes=attributes)), "root", "authenticated")

    assert auth('{"metadata": {"authenticated": true}}') is True
    assert auth('{"metadata": {"user_verified": "true"}}') is True
    assert auth('{"enduser.id": "cust_4410"}') is True
    assert auth('{"metadata": {"authenticated": "false"}}') is False
    # Near miss: a user id alone says nothing about signing in.
    assert auth('{"user": "cust_4410"}') is None


def test_incident_state_reads_pagerduty_rest_and_events_api() -> None:
    ctx = ctx_of(
        span("root", 0, 9, kind="agent", name="sre"),
        span("a", 1, parent_id="root", kind="tool", tool="create_incident", input="{}",
             output='{"incident": {"id": "PT4KHLK", "incident_number": 12, "status": "triggered"}}'),
        span("b", 2, parent_id="root", kind="tool", tool="send_event",
             input='{"event_action": "acknowledge", "dedup_key": "db-42"}', output='{"status": "success"}'),
        # Near miss: a status word with no incident or alert in sight.
        span("c", 3, parent_id="root", kind="tool", tool="get_job", input="{}", output='{"status": "triggered"}'),
    )
    assert col(ctx, "a", "incident_state") == "triggered"
    assert sorted(col(ctx, "a", "incident_key").to_list()) == ["12", "PT4KHLK"]
    assert col(ctx, "b", "incident_state") == "acknowledged"
    assert col(ctx, "b", "incident_key").to_list() == ["db-42"]
    assert col(ctx, "c", "incident_state") is None


def test_any_agent_error_calling_tool_is_handed_back_to_the_model() -> None:
    # any-agent's _wrap_no_exception returns "Error calling tool: {e}" as the tool's result and its
    # span generation marks the span ERROR for that text (span_generation/base.py).
    ctx = ctx_of(
        span("root", 0, 9, kind="agent", name="a"),
        span("t1", 1, parent_id="root", kind="tool", tool="send_email", status="error",
             output="Error calling tool: SMTPRecipientsRefused({'x@example.com': (550, b'5.1.1 unknown')})"),
        # Near miss: a tool that failed with its own error text raised, not handed back.
        span("t2", 2, parent_id="root", kind="tool", tool="read_sheet", status="error", error_type="TimeoutError",
             output="TimeoutError: read timed out"),
    )
    assert col(ctx, "t1", "error_handled") is True
    assert col(ctx, "t2", "error_handled") is False


def test_langgraph_tool_node_error_message_hands_the_tool_error_back() -> None:
    # ToolNode._handle_tool_error: the tool run records the exception; the node answers the model
    # with TOOL_CALL_ERROR_TEMPLATE and returns normally (libs/prebuilt/.../tool_node.py).
    msg = '{"messages": [{"type": "tool", "status": "error", "content": "Error: TimeoutError()\\n Please fix your mistakes."}]}'
    ctx = ctx_of(
        span("root", 0, 9, kind="chain", name="LangGraph"),
        span("n1", 1, 3, parent_id="root", kind="chain", name="tools", output=msg),
        span("t1", 1.1, parent_id="n1", kind="tool", tool="search_fares", status="error", error_type="TimeoutError"),
        # Near miss: the node failed with its tool (the exception went up the graph).
        span("n2", 4, 6, parent_id="root", kind="chain", name="tools", status="error", error_type="TimeoutError"),
        span("t2", 4.1, parent_id="n2", kind="tool", tool="search_fares", status="error", error_type="TimeoutError"),
    )
    assert col(ctx, "t1", "error_handled") is True
    assert col(ctx, "t2", "error_handled") is False


def _paged_then_polled(states: list[str], *, own: bool = True) -> list[dict[str, Any]]:
    # PagerDuty REST API v2: POST /incidents answers status "triggered"; GET /incidents/{id} keeps
    # answering "triggered" until someone acknowledges. The agent polls its own page every 5 minutes.
    rows = [
        span("root", 0, 2000, kind="agent", name="incident_responder", output="Paged platform on-call."),
        span("p", 1, parent_id="root", kind="tool", tool="pagerduty_create_incident", input='{"service": "PLAT"}',
             output='{"incident": {"id": "Q2X7KDL1", "status": "triggered"}}'),
    ]
    for i, st in enumerate(states):
        key = "Q2X7KDL1" if own else "Q9OTHER9"
        rows.append(span(f"g{i}", 300 * (i + 1), parent_id="root", kind="tool", tool="pagerduty_get_incident",
                         input=f'{{"id": "{key}"}}', output=f'{{"incident": {{"id": "{key}", "status": "{st}"}}}}'))
    return rows


def test_awaits_incident_marks_reads_of_the_runs_own_page_still_triggered() -> None:
    ctx = ctx_of(*_paged_then_polled(["triggered", "triggered", "triggered"]))
    assert col(ctx, "p", "awaits_incident") is False
    assert [col(ctx, f"g{i}", "awaits_incident") for i in range(3)] == [True, True, True]
    # Polling one's own page is waiting on it, not a loop; what came of it is the escalation's.
    c = run(*_paged_then_polled(["triggered", "triggered", "triggered"]))
    assert "repeated_action" not in detectors(c)
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "p"


def test_awaits_incident_near_miss_another_incident_or_an_acknowledged_one() -> None:
    # Reading an incident the run never opened: the same read three times with the same answer is
    # a repeat like any other.
    c = run(*_paged_then_polled(["triggered", "triggered", "triggered"], own=False))
    assert not any(col(ctx_of(*_paged_then_polled(["triggered"], own=False)), "g0", "awaits_incident") for _ in [0])
    assert "repeated_action" in detectors(c)
    # Acknowledged: no longer waiting.
    ctx = ctx_of(*_paged_then_polled(["acknowledged"]))
    assert col(ctx, "g0", "awaits_incident") is False


def test_declared_tools_from_definitions_agent_lists_and_system_prompts() -> None:
    defs = '{"tools": [{"type": "function", "function": {"name": "archive_thread", "parameters": {"required": ["id"]}}}]}'
    ctx = ctx_of(
        span("root", 0, 9, kind="agent", name="inbox", attributes=defs),
        span("s", 0.1, parent_id="root", kind="event", name="system", output="Tools: label_thread, search_threads."),
        span("g", 1, parent_id="root", kind="agent", name="helper", attributes='{"tools": ["undo_send"]}'),
        # Near miss: snake_case in a person's message is not an offered tool.
        span("u", 2, parent_id="root", kind="human", name="user", output="please run drop_table"),
    )
    (tools,) = ctx.runs.get_column("declared_tools").to_list()
    assert tools == ["archive_thread", "label_thread", "search_threads", "undo_send"]


# --- delegation: a smolagents managed agent's name, from the task its manager handed it ----------


def test_a_managed_agent_run_is_named_by_the_task_its_manager_handed_it() -> None:
    # smolagents MultiStepAgent.__call__ wraps the request in managed_agent.task (prompts/*.yaml);
    # OpenInference's _RunWrapper puts it in the run span's input, and names the span by class.
    task = json.dumps({"task": "You're a helpful agent named 'web_researcher'.\nYou have been submitted this task "
                       "by your manager.\n---\nTask:\nFind the height.\n---", "stream": False})
    c = ctx_of(
        span("m", 0, 20, kind="agent", name="CodeAgent.run", input=json.dumps({"task": "How tall?"})),
        span("s1", 1, 10, parent_id="m", kind="chain", name="Step 1"),
        span("d", 2, 9, parent_id="s1", kind="agent", name="CodeAgent.run", input=task),
        span("l", 3, parent_id="d", kind="llm", model="gpt-4o", input=task),
    )
    assert col(c, "d", "delegate_name") == "web_researcher"
    # The manager, and a model call quoting the same task, are no managed run.
    assert col(c, "m", "delegate_name") is None
    assert col(c, "l", "delegate_name") is None


def _conversation(last_status: str) -> list[dict[str, Any]]:
    # OTel GenAI spans without captured content: every turn is "chat gpt-4o" by the same agent with
    # no recorded arguments, so the same call key; the 4th turn is rejected (context too long).
    rows = [span("root", 0, 20, kind="agent", name="clause_auditor", status="error" if last_status == "error" else "ok")]
    for i in range(3):
        rows.append(span(f"m{i}", 1 + 3 * i, 3 + 3 * i, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o"))
    err = {"error_type": "openai.BadRequestError", "error_message": "Error code: 400 - context_length_exceeded"}
    rows.append(span("m3", 12, 13, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o",
                     status=last_status, **(err if last_status == "error" else {})))
    return rows


def test_a_success_closes_an_attempt_group_so_the_next_turn_is_a_new_request() -> None:
    ctx = ctx_of(*_conversation("error"))
    assert col(ctx, "m3", "attempt_count") == 1  # not the 4th attempt of the 1st turn
    assert col(ctx, "m0", "attempt_count") == 1
    c = run(*_conversation("error"))
    assert "unhandled_error" in detectors(c)  # the run died on it and nothing followed


def test_near_miss_failed_attempts_then_a_success_stay_one_recovered_group() -> None:
    err = {"status": "error", "error_type": "RateLimitError", "error_message": "429 Too Many Requests"}
    ctx = ctx_of(
        span("root", 0, 20, kind="agent", name="a"),
        span("m0", 1, 2, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o", **err),
        span("m1", 4, 5, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o", **err),
        span("m2", 9, 10, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o"),
    )
    assert [col(ctx, s, "attempt_count") for s in ("m0", "m1", "m2")] == [3, 3, 3]
    assert col(ctx, "m0", "group_recovered") and col(ctx, "m2", "is_last_attempt")


def _shell(command: str, output: str) -> Context:
    # A shell tool call recorded as failed (Claude Code is_error, or any harness that marks a
    # non-zero exit), then the model's answer.
    return ctx_of(
        span("root", 0, 10, kind="agent", name="coder", output="formatDate is no longer used."),
        span("b1", 1, 2, parent_id="root", kind="tool", tool="Bash", status="error",
             input=json.dumps({"command": command, "description": "Find usages"}), output=output),  # fmt: skip
    )


def test_a_search_or_comparison_that_exited_1_answered_it_did_not_fail() -> None:
    # BashTool commandSemantics.ts (interpretCommandResult): grep/rg 1 "No matches found", diff 1
    # "Files differ", test 1 "Condition is false": not errors.
    for command, output in (("grep -rn formatDate src/", "Exit code 1"), ("cd src && rg -n formatDate", ""),
                            ("git diff --stat | grep -c auth", "exit status 1"), ("diff a.json b.json", "Exit code 1"),
                            ("test -f dist/index.js", "Exit code 1")):  # fmt: skip
        assert col(_shell(command, output), "b1", "failed") is False, command


def test_a_search_that_exited_2_or_another_program_that_exited_1_failed() -> None:
    for command, output in (("grep -rn formatDate srcx/", "grep: srcx/: No such file or directory\nExit code 2"),
                            ("npm test", "Exit code 1"), ("grep -c x a.txt && npm run build", "Exit code 1"),
                            ("grep -rn formatDate src/", "Exit code 1\nPermission denied")):  # fmt: skip
        assert col(_shell(command, output), "b1", "failed") is True, command


def _lookup(http_status: int, tool_status: str = "ok") -> Context:
    # A tool whose HTTP client request came back 404 (OpenTelemetry: status Error on a client
    # span for any 4xx), read by the tool as "no such order", or failed with.
    return ctx_of(
        span("root", 0, 10, kind="agent", name="support", output="There is no order 4471 on file."),
        span("t1", 1, 3, parent_id="root", kind="tool", tool="get_order", input='{"id": 4471}', status=tool_status,
             output='{"found": false}' if tool_status == "ok" else None),  # fmt: skip
        span("h1", 1.1, 2, parent_id="t1", kind="unknown", name="GET", status="error", error_type=str(http_status),
             attributes=json.dumps({"http.request.method": "GET", "url.full": "https://orders.example/v1/orders/4471",
                                    "http.response.status_code": http_status})),  # fmt: skip
    )


def test_a_not_found_its_tool_read_as_an_answer_is_no_failure() -> None:
    for status in (404, 410):
        assert col(_lookup(status), "h1", "failed") is False, status


def test_a_not_found_its_tool_failed_with_or_a_server_error_is_a_failure() -> None:
    assert col(_lookup(404, tool_status="error"), "h1", "failed") is True
    assert col(_lookup(503), "h1", "failed") is True
    assert col(_lookup(401), "h1", "failed") is True


def test_incident_prefilter_reads_attributes_ascii_case_insensitively_as_the_regex_did() -> None:
    """pauses._prefilter finds the incident needles in the attributes by lower-casing first and
    reading the kept texts with the ASCII case-insensitive regex: the same spans as that regex over
    every text. A Kelvin sign lower-cases to "k" (kept by the scan, dropped by the regex); a dotted
    capital I is no "i"; a needle split by a space is none."""
    from forensics.conventions.pauses import _prefilter

    attributes = [
        '{"event": "INCIDENT.triggered"}', '{"x": "InCiDeNt"}', '{"ref": "tic\u212aet-9"}', None, "nothing",
        "\u0130NCIDENT", "Request Will Be Processed", "ale rt", '{"Dedup_Key": "k1"}', "opsGENIE",
    ]  # fmt: skip
    none = pl.Series([None] * len(attributes), dtype=pl.String)
    df = pl.DataFrame({"attributes": attributes, "output": none, "input": none, "name": none})
    got = df.select(_prefilter()[0]).to_series().to_list()
    assert got == [True, True, False, False, False, False, True, False, True, True]
