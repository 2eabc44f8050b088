"""A call its user chose to end, and the run records as the user's, is no swallowed or unhandled error.

* asyncio cancels a streaming model call with CancelledError; the OpenTelemetry Python SDK records it
  like any exception leaving the span (Span.__exit__: status ERROR "CancelledError: ", an exception
  event with exception.escaped "True"). The error does not say who cancelled; a run whose answer
  says the user cancelled it does. Near misses: the same cancellation with no word of the user
  ("Generation cancelled."), and one in a run where a timeout fired (asyncio.wait_for cancels the
  call it waits on the same way): both stay failures.
* Claude Code answers a tool call its user interrupted with the tool result "[Request interrupted
  by user for tool use]" (src/utils/messages.ts INTERRUPT_MESSAGE_FOR_TOOL_USE). Near miss: the same
  call failing on its own ("File does not exist.") and left there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from span_builder import detectors, one, run, span, spans

import forensics
from forensics.detectors.base import prepare
from forensics.detectors.handling import failure_handling
from forensics.policy import resolve_policy

CANCELLED = {"status": "error", "error_type": "asyncio.exceptions.CancelledError", "error_message": "CancelledError: "}
A = {"agent": "assistant", "parent_id": "root"}


def _stream(answer: str, *more: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        span("root", 0, 5, kind="agent", agent="assistant", name="invoke_agent assistant", input="Write a poem about rain.",
             output=answer),
        span("l1", 0.1, 4, kind="llm", model="gpt-4o", name="chat gpt-4o", **A, **CANCELLED),
        *more,
    ]  # fmt: skip


def test_a_stream_the_user_cancelled_is_no_swallowed_error() -> None:
    rows = _stream("Generation cancelled by user.")
    assert "swallowed_error" not in detectors(run(*rows))
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    assert {d["span_id"]: d["handled_by"] for d in failure_handling(ctx).to_dicts()} == {"l1": "framework"}


def test_near_miss_a_cancellation_nobody_is_named_for_stays_swallowed() -> None:
    assert one(run(*_stream("Generation cancelled.")), "swallowed_error")["decisive_span_id"] == "l1"


def test_near_miss_a_cancellation_beside_a_timeout_stays_a_failure() -> None:
    waited = span("w1", 0.05, 4.1, kind="chain", name="wait_for", **A, status="error", error_type="TimeoutError",
                  error_message="TimeoutError: ")  # fmt: skip
    assert "swallowed_error" in detectors(run(*_stream("Generation cancelled by user.", waited)))


def _session(result: str) -> list[dict[str, Any]]:
    c = {"agent": "claude", "parent_id": "root"}
    return [
        span("root", 0, 9, kind="agent", agent="claude", input="Fix the failing test.", output="OK, I'll leave the file as it is."),
        span("l1", 0.1, 1, kind="llm", model="claude-sonnet-4", **c, output='{"tool_use": "Edit"}'),
        span("t1", 1, 3, kind="tool", tool="Edit", **c, input='{"file_path": "app.py"}', status="error",
             error_message=result, output=result),
        span("l2", 5, 6, kind="llm", model="claude-sonnet-4", **c, output="OK, I'll leave the file as it is."),
    ]  # fmt: skip


def test_a_tool_call_the_user_interrupted_is_no_swallowed_error() -> None:
    assert "swallowed_error" not in detectors(run(*_session("[Request interrupted by user for tool use]")))


def test_near_miss_a_tool_call_that_failed_on_its_own_is_swallowed() -> None:
    assert one(run(*_session("File does not exist.")), "swallowed_error")["decisive_span_id"] == "t1"


# An AutoGen run its user stopped: CancellationToken.cancel() cancels the futures linked to it
# (autogen-core src/autogen_core/_cancellation_token.py link_future), so CancelledError leaves the
# tool and agent spans and the HTTP GET the tool was waiting on, each recorded failed by the
# OpenTelemetry SDK (Span.__exit__). Only the root's own attributes say it was the user.
def _autogen(root: dict[str, Any], get: dict[str, Any] = CANCELLED, *more: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        span("root", 0, 6, kind="agent", agent="team", name="autogen run", input="Summarise the page.", **root),
        span("a1", 0.1, 5, kind="agent", agent="assistant", name="assistant", parent_id="root", **CANCELLED),
        span("l1", 0.2, 1, kind="llm", model="gpt-4o", parent_id="a1", output='{"tool_calls": [{"name": "fetch_page"}]}'),
        span("t1", 1.1, 5, kind="tool", tool="fetch_page", parent_id="a1", input='{"url": "https://x.org"}', **CANCELLED),
        span("h1", 1.2, 5, kind="unknown", name="GET", parent_id="t1", **get),
        *more,
    ]  # fmt: skip


def _cancelled_ids(rows: list[dict[str, Any]]) -> set[str]:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return set(ctx.spans.filter(pl.col("user_cancelled")).get_column("span_id"))


@pytest.mark.parametrize("said", ["cancelled_by_user", "canceled_by_user", "user-cancelled", "run_cancelled_by_user"])
def test_a_run_its_root_attributes_say_the_user_cancelled_is_clean(said: str) -> None:
    rows = _autogen({"attributes": json.dumps({"app.stop_reason": said})})
    assert _cancelled_ids(rows) == {"a1", "t1", "h1"}
    assert detectors(run(*rows)) == set()


def test_a_run_its_final_answer_says_the_user_stopped_is_clean() -> None:
    answer = span("l2", 5.1, 5.5, kind="llm", model="gpt-4o", parent_id="root", output="Stopped: the user cancelled the run.")
    assert detectors(run(*_autogen({}, CANCELLED, answer))) == set()


def test_near_miss_an_attribute_key_or_a_bare_cancel_says_nothing_of_the_user() -> None:
    for root in ({"attributes": json.dumps({"user_cancelled": False})}, {"attributes": json.dumps({"app.stop_reason": "cancelled"})}):
        assert _cancelled_ids(_autogen(root)) == set()
        assert one(run(*_autogen(root)), "swallowed_error")["decisive_span_id"] == "h1"


def test_near_miss_a_timeout_cancel_in_a_run_the_root_says_the_user_cancelled_stays_a_failure() -> None:
    waited = span("w1", 1.15, 5, kind="chain", name="wait_for", parent_id="t1", status="error", error_type="TimeoutError",
                  error_message="TimeoutError: ")  # fmt: skip
    rows = _autogen({"attributes": json.dumps({"app.stop_reason": "cancelled_by_user"})}, CANCELLED, waited)
    assert _cancelled_ids(rows) == set()
    assert "swallowed_error" in detectors(run(*rows))


def test_near_miss_a_child_that_failed_on_its_own_before_the_cancel_stays_a_failure() -> None:
    http500 = {"status": "error", "error_type": "500", "error_message": "500 Internal Server Error"}
    rows = _autogen({"attributes": json.dumps({"app.stop_reason": "cancelled_by_user"})}, http500)
    assert _cancelled_ids(rows) == {"a1", "t1"}
    assert one(run(*rows), "swallowed_error")["decisive_span_id"] == "h1"


def test_a_cancel_below_a_tool_call_the_user_interrupted_is_the_users() -> None:
    # Claude Code's "[Request interrupted by user for tool use]" on the call; the request it was
    # awaiting ends in CancelledError with no word of the user of its own.
    rows = _session("[Request interrupted by user for tool use]")
    rows.insert(3, span("h1", 1.5, 3, kind="unknown", name="GET", parent_id="t1", **CANCELLED))
    assert _cancelled_ids(rows) == {"t1", "h1"}
    assert "swallowed_error" not in detectors(run(*rows))


def test_near_miss_a_cancel_below_a_tool_call_that_failed_on_its_own_stays_a_failure() -> None:
    rows = _session("File does not exist.")
    rows.insert(3, span("h1", 1.5, 3, kind="unknown", name="GET", parent_id="t1", **CANCELLED))
    assert _cancelled_ids(rows) == set()


def _sdk_span(name: str, sid: int, parent: int | None, attrs: dict[str, str], cancelled: bool) -> dict[str, Any]:
    """A span as the OpenTelemetry Python SDK's ConsoleSpanExporter writes it (ReadableSpan.to_json).
    A CancelledError is a BaseException: AutoGen's trace_tool_span/trace_invoke_agent_span catch
    Exception only (autogen-core src/autogen_core/_telemetry/_genai.py), so the SDK's
    start_as_current_span records it on the way out (status ERROR "CancelledError: ", an exception
    event with exception.escaped "True")."""
    end = "2025-03-02T10:00:04.000000Z"
    error = {
        "status": {"status_code": "ERROR", "description": "CancelledError: "},
        "events": [{"name": "exception", "timestamp": end, "attributes": {
            "exception.type": "asyncio.exceptions.CancelledError", "exception.message": "",
            "exception.stacktrace": "Traceback (most recent call last):\nasyncio.exceptions.CancelledError\n",
            "exception.escaped": "True"}}],
    }  # fmt: skip
    return {
        "name": name, "context": {"trace_id": "0x5b8aa5a2d2c872e8321cf37308d69df2", "span_id": f"0x{sid:016x}",
                                  "trace_state": "[]"},
        "kind": "SpanKind.CLIENT" if name == "GET" else "SpanKind.INTERNAL",
        "parent_id": None if parent is None else f"0x{parent:016x}",
        "start_time": f"2025-03-02T10:00:0{sid % 10}.000000Z", "end_time": end,
        "status": {"status_code": "UNSET"}, "attributes": attrs, "events": [], "links": [],
        "resource": {"attributes": {"service.name": "support-chat"}, "schema_url": ""},
        **(error if cancelled else {}),
    }  # fmt: skip


@pytest.mark.parametrize(("stop_reason", "flagged"), [("cancelled_by_user", False), ("cancelled", True)])
def test_an_autogen_run_stopped_by_its_user_loaded_from_sdk_json(tmp_path: Path, stop_reason: str, flagged: bool) -> None:
    """The whole path from a file: the app's root records app.stop_reason; AutoGen's invoke_agent and
    execute_tool spans and the httpx GET under the tool were cancelled. Near miss: a bare
    "cancelled" names nobody, and the call the GET failed with stays a swallowed error."""
    autogen = {"gen_ai.system": "autogen"}
    rows = [
        _sdk_span("support_chat.turn", 10, None, {"app.stop_reason": stop_reason}, cancelled=False),
        _sdk_span("invoke_agent assistant", 11, 10,
                  {**autogen, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "assistant"}, cancelled=True),
        _sdk_span("execute_tool fetch_page", 12, 11,
                  {**autogen, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "fetch_page"}, cancelled=True),
        _sdk_span("GET", 13, 12, {"http.method": "GET", "http.url": "https://docs.example.org/pricing"}, cancelled=True),
    ]  # fmt: skip
    path = tmp_path / "turn.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    found = forensics.classify(forensics.load(path).spans).findings.to_pylist()
    expected = [("swallowed_error", f"{12:016x}")] if flagged else []
    assert [(f["detector"], f["decisive_span_id"]) for f in found] == expected


# LangGraph Platform's worker awaits each run under asyncio.wait_for(consume(stream, run_id), timeout)
# (langgraph-api worker.py), so a run its user cancelled leaves a CancelledError whose traceback quotes
# that line: the word "timeout" there is the parameter's name in quoted code, not a timeout that fired.
# The traceback's exception line says which it was.
def _platform_error(last_line: str) -> dict[str, Any]:
    text = ("CancelledError()Traceback (most recent call last):\n"
            '  File "/api/langgraph_api/worker.py", line 142, in worker\n'
            "    await asyncio.wait_for(consume(stream, run_id), timeout)\n" + last_line)
    return {"status": "error", "error_type": "CancelledError", "error_message": text}


def _platform(cancelled_by: str, last_line: str = "asyncio.exceptions.CancelledError") -> list[dict[str, Any]]:
    err = _platform_error(last_line)
    meta = json.dumps({"metadata": {"thread_id": "thr_1", "cancelled_by": cancelled_by}})
    return [
        span("root", 0, 6, kind="chain", name="LangGraph", input="Draft the price-change email.", attributes=meta, **err),
        span("n1", 0.1, 1, kind="chain", name="agent", parent_id="root", output="segment?"),
        span("t1", 1, 2, kind="tool", tool="get_segment", parent_id="root", input='{"segment": "eu"}', output="4212 customers"),
        span("n2", 2, 6, kind="chain", name="agent", parent_id="root", **err),
        span("l2", 2.1, 6, kind="llm", model="gpt-4o", parent_id="n2", **err),
    ]  # fmt: skip


def test_a_platform_run_its_user_cancelled_is_clean_though_its_traceback_quotes_a_timeout() -> None:
    rows = _platform("user:mkaplan (UI stop button)")
    assert _cancelled_ids(rows) >= {"n2", "l2"}
    assert detectors(run(*rows)) == set()


def test_near_miss_the_same_traceback_ending_in_a_timeout_stays_a_failure() -> None:
    rows = _platform("user:mkaplan (UI stop button)", "asyncio.exceptions.TimeoutError")
    assert _cancelled_ids(rows) == set()
    assert detectors(run(*rows)) != set()


def test_near_miss_a_service_named_user_something_is_no_person() -> None:
    assert _cancelled_ids(_platform("user-service")) == set()
