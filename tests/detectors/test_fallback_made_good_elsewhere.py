"""A failed write made good another way: the file stored elsewhere, the created object found there.

Stored elsewhere: a Spring AI ``@Tool`` method that throws (``java.io.IOException: No space left on
device``) is handed back to the model as the tool's result by ``DefaultToolExecutionExceptionProcessor``
(spring-projects/spring-ai ``spring-ai-model/src/main/java/org/springframework/ai/tool/execution/
DefaultToolExecutionExceptionProcessor.java``: ``alwaysThrow`` false by default, the exception's
message returned to the model), and the instrumentation records the tool call in error. The model
then wrote the same file through its second write tool (a bucket) and told the user where it is:
a fallback that worked. A smolagents ToolCallingAgent does the same after an ``OSError`` raised out
of its tool (the step's error observation: huggingface/smolagents ``src/smolagents/agents.py``
``ToolCallingAgent.execute_tool_call`` raises ``AgentToolExecutionError``, which the loop records).

Found existing: Okta's create-user API answers a login that is taken with HTTP 400, errorCode
E0000001, "An object with this field already exists in the current organization" (Okta Users API,
``POST /api/v1/users``); an ADK agent whose tool returned that body as a dict, then read the user by
the same login and found it, has the user the create was for.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, run, span

_FAILED_WRITE = {"path": "/mnt/reports/2026-11/FR01_close.xlsx"}


def _report(fallback_args: dict[str, Any], answer: str, fallback_tool: str = "write_report_to_bucket") -> list[dict[str, Any]]:
    return [
        span("root", 0, 20, kind="chain", name="spring_ai chat_client"),
        span("m1", 0.1, 2, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o"),
        span("q", 2.1, 3, parent_id="root", kind="tool", tool="query_ledger", name="tool_call query_ledger",
             input='{"period": "2026-11", "entity": "FR01"}', output='{"rows": 48211}'),
        span("m2", 3.1, 5, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o"),
        span("w", 5.1, 5.4, parent_id="root", kind="tool", tool="write_report", name="tool_call write_report",
             input=json.dumps(_FAILED_WRITE), status="error", error_type="java.io.IOException",
             error_message="No space left on device"),
        span("m3", 5.5, 7, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o"),
        span("b", 7.1, 8, parent_id="root", kind="tool", tool=fallback_tool, name=f"tool_call {fallback_tool}",
             input=json.dumps(fallback_args), output='{"uri": "gs://fin-reports-prod/2026-11/FR01_close.xlsx"}'),
        span("m4", 8.1, 10, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o", output=answer),
    ]


_TO_BUCKET = {"bucket": "gs://fin-reports-prod", "object": "2026-11/FR01_close.xlsx"}
_TOLD = ("The November close report is at gs://fin-reports-prod/2026-11/FR01_close.xlsx; the share "
         "/mnt/reports is full, so I wrote it to the reports bucket instead.")


def test_file_written_to_another_place_and_the_answer_says_where_is_a_fallback() -> None:
    found = detectors(run(*_report(_TO_BUCKET, _TOLD)))
    assert not found & {"unhandled_error", "swallowed_error"}, found


def test_answer_that_does_not_say_where_or_another_file_is_no_fallback() -> None:
    # Near-misses: the answer names only the old place (the reader looks on the share and finds
    # nothing); the bucket call wrote another file; a read of the file is no write of it.
    for args, answer, tool in (
        (_TO_BUCKET, "The November close report is ready at /mnt/reports/2026-11/FR01_close.xlsx.", "write_report_to_bucket"),
        ({"bucket": "gs://fin-reports-prod", "object": "2026-11/FR01_summary.pdf"}, _TOLD, "write_report_to_bucket"),
        (_TO_BUCKET, _TOLD, "read_report_from_bucket"),
    ):
        found = detectors(run(*_report(args, answer, tool)))
        assert found & {"unhandled_error", "swallowed_error"}, (args, answer, tool, found)


_CREATE = {"login": "jonas.feldmann@alderbank.de", "firstName": "Jonas", "lastName": "Feldmann"}
_TAKEN = json.dumps({
    "ok": False, "http_status": 400, "errorCode": "E0000001", "errorSummary": "Api validation failed: login",
    "errorCauses": [{"errorSummary": "login: An object with this field already exists in the current organization"}],
})
_WEAK = json.dumps({
    "ok": False, "http_status": 400, "errorCode": "E0000001", "errorSummary": "Api validation failed: password",
    "errorCauses": [{"errorSummary": "password: Password requirements were not met"}],
})


def _onboarding(create_output: str, read_login: str) -> list[dict[str, Any]]:
    return [
        span("inv", 0, 20, kind="agent", agent="it_onboarding", name="invoke_agent it_onboarding"),
        span("m1", 0.1, 1, parent_id="inv", kind="llm", name="call_llm", model="gemini-2.5-flash"),
        span("c", 1.1, 1.5, parent_id="inv", kind="tool", tool="create_okta_user", name="execute_tool create_okta_user",
             input=json.dumps(_CREATE), output=create_output),
        span("m2", 1.6, 2.5, parent_id="inv", kind="llm", name="call_llm", model="gemini-2.5-flash"),
        span("g", 2.6, 3, parent_id="inv", kind="tool", tool="get_okta_user", name="execute_tool get_okta_user",
             input=json.dumps({"login": read_login}),
             output='{"id": "00u9x7k2QfLw8Ab1x697", "status": "PROVISIONED"}'),
        span("m3", 3.1, 4, parent_id="inv", kind="llm", name="call_llm", model="gemini-2.5-flash",
             output="All set for Jonas Feldmann: Okta account active, laptop ordered."),
    ]


def test_create_answered_already_exists_then_found_by_the_same_login_is_handled() -> None:
    found = detectors(run(*_onboarding(_TAKEN, "jonas.feldmann@alderbank.de")))
    assert not found & {"error_as_data", "swallowed_error", "unhandled_error"}, found


def test_create_refused_for_another_reason_or_another_user_found_is_not() -> None:
    # Near-misses: the create failed on its password (the user was never made, whoever a read
    # finds); the read found another login.
    for output, login in ((_WEAK, "jonas.feldmann@alderbank.de"), (_TAKEN, "j.feldmann@alderbank.de")):
        found = detectors(run(*_onboarding(output, login)))
        assert "error_as_data" in found, (output, login, found)
