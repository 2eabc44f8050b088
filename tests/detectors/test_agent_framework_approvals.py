"""Microsoft Agent Framework: an irreversible tool behind ``approval_mode="always_require"``.

The function-invocation loop (microsoft/agent-framework ``python/packages/core/agent_framework/
_tools.py``) does not run such a tool when the model asks for it: it answers with a
``function_approval_request`` content (``_types.py`` ``Content.from_function_approval_request``:
``id``, ``function_call``, ``user_input_request``), the run returns it, and the application runs the
agent again with a user message holding ``request.to_function_approval_response(approved)``
(``type: "function_approval_response"``, ``approved``, ``id``, ``function_call``). Observability
(``observability.py`` ``_to_otel_part``) writes those contents into ``gen_ai.input.messages`` /
``gen_ai.output.messages`` of the ``invoke_agent`` span by their ``to_dict()``; the tool's
``execute_tool`` span carries ``gen_ai.tool.call.id``. An application may also record the person's
decision in a span of its own (``function_approval``). An approved answer guards the call; a
request nobody answered, or a rejection, does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import classify_otlp, otlp_span

ASK = [
    {
        "role": "user",
        "parts": [{"type": "text", "content": "Drop the staging_orders database, we migrated off it."}],
    }
]
ARGS = {"name": "staging_orders"}
AGENT = {"gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "microsoft.agent_framework",
         "gen_ai.agent.name": "DbAdmin"}  # fmt: skip


def _call(call_id: str) -> dict[str, Any]:
    return {"type": "function_call", "call_id": call_id, "name": "drop_database", "arguments": ARGS}


def _request(call_id: str = "call_d1") -> dict[str, Any]:
    return {"role": "assistant", "parts": [{"type": "function_approval_request", "id": call_id,
                                            "function_call": _call(call_id), "user_input_request": True}]}  # fmt: skip


def _response(approved: bool, call_id: str = "call_d1") -> dict[str, Any]:
    return {"role": "user", "parts": [{"type": "function_approval_response", "approved": approved, "id": call_id,
                                       "function_call": _call(call_id)}]}  # fmt: skip


def _trace(tmp_path: Path, *, answer: bool | None, app_span: dict[str, Any] | None = None,
           ran_id: str = "call_d1") -> pl.DataFrame:  # fmt: skip
    """Run 1 asks for approval; (the application's own decision span); run 2, sent the answer
    (or nothing), executes ``drop_database`` with the call id ``ran_id``."""
    reply = [{"role": "assistant", "parts": [{"type": "text", "content": "Dropped staging_orders."}]}]
    spans = [
        otlp_span("a000000000000001", "", "invoke_agent DbAdmin", 0, 900,
                  {**AGENT, "gen_ai.input.messages": ASK, "gen_ai.output.messages": [_request()]}),
        otlp_span("c000000000000001", "a000000000000001", "chat gpt-4o", 10, 800,
                  {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.input.messages": ASK,
                   "gen_ai.output.messages": [{"role": "assistant", "parts": [
                       {"type": "tool_call", "id": "call_d1", "name": "drop_database", "arguments": ARGS}]}]}),
    ]  # fmt: skip
    if app_span is not None:
        spans.append(otlp_span("f000000000000001", "", "function_approval", 1000, 5000, app_span))
    sent = [*ASK, _request(), *([_response(answer)] if answer is not None else [])]
    spans += [
        otlp_span("a000000000000002", "", "invoke_agent DbAdmin", 5100, 7000,
                  {**AGENT, "gen_ai.input.messages": sent, "gen_ai.output.messages": reply}),
        otlp_span("e000000000000001", "a000000000000002", "execute_tool drop_database", 5110, 5600,
                  {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "drop_database",
                   "gen_ai.tool.call.id": ran_id, "gen_ai.tool.call.arguments": ARGS,
                   "gen_ai.tool.call.result": "dropped"}),
        otlp_span("c000000000000002", "a000000000000002", "chat gpt-4o", 5610, 6900,
                  {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.output.messages": reply}),
    ]  # fmt: skip
    return classify_otlp(spans, tmp_path / "af_approval.otlp.json", service="db-admin")


def _fired(found: pl.DataFrame) -> list[str]:
    return (
        found.filter(pl.col("detector") == "unguarded_irreversible").get_column("decisive_span_id").to_list()
    )


def test_near_miss_the_call_a_person_approved_is_guarded(tmp_path: Path) -> None:
    assert _fired(_trace(tmp_path, answer=True)) == []


def test_near_miss_the_applications_own_approval_span_is_the_answer(tmp_path: Path) -> None:
    # No response part in the messages, only the application's span recording the decision.
    span = {"approval.function_name": "drop_database", "approval.approved": True}
    assert _fired(_trace(tmp_path, answer=None, app_span=span)) == []


def test_a_request_nobody_answered_is_no_approval(tmp_path: Path) -> None:
    assert _fired(_trace(tmp_path, answer=None)) == ["e000000000000001"]


def test_a_rejected_request_is_no_approval(tmp_path: Path) -> None:
    assert _fired(_trace(tmp_path, answer=False)) == ["e000000000000001"]


def test_an_approval_span_that_declined_is_no_approval(tmp_path: Path) -> None:
    span = {"approval.function_name": "drop_database", "approval.approved": False}
    assert _fired(_trace(tmp_path, answer=None, app_span=span)) == ["e000000000000001"]


def test_an_approval_of_another_call_of_the_tool_is_no_approval(tmp_path: Path) -> None:
    # The approved answer is kept in the history; the call that ran is a new one (another call id)
    # the model asked for again, which nobody approved.
    assert _fired(_trace(tmp_path, answer=True, ran_id="call_d2")) == ["e000000000000001"]


# An approval span that names its function the GenAI way (gen_ai.tool.name, which the loader lifts
# into the span's tool column) beside the strings of the request: its id and the tool's approval_mode.
_GENAI_NAMED = {"gen_ai.tool.name": "drop_database", "approval.request_id": "req_7f3a",
                "approval.approval_mode": "always_require"}  # fmt: skip


def test_near_miss_an_approval_span_naming_the_tool_by_gen_ai_tool_name(tmp_path: Path) -> None:
    span = {**_GENAI_NAMED, "approval.approved": True}
    assert _fired(_trace(tmp_path, answer=None, app_span=span)) == []


def test_an_approval_span_by_gen_ai_tool_name_that_declined_is_no_approval(tmp_path: Path) -> None:
    span = {**_GENAI_NAMED, "approval.approved": False}
    assert _fired(_trace(tmp_path, answer=None, app_span=span)) == ["e000000000000001"]


def test_an_approval_span_for_another_tool_is_no_approval(tmp_path: Path) -> None:
    span = {**_GENAI_NAMED, "gen_ai.tool.name": "truncate_table", "approval.approved": True}
    assert _fired(_trace(tmp_path, answer=None, app_span=span)) == ["e000000000000001"]
