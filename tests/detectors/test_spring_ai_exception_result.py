"""A tool's exception handed back to the model as the call's result: Spring AI, and ``str(e)`` tools.

spring-projects/spring-ai ``spring-ai-model/src/main/java/org/springframework/ai/model/tool/
DefaultToolCallingManager.java`` (``executeToolCall``): the tool runs inside the ``tool_call``
observation; a ``ToolExecutionException`` is caught there and ``DefaultToolExecutionExceptionProcessor.process``
(``.../ai/tool/execution/``, ``alwaysThrow`` false by default) returns the exception's text, which
becomes the result (``spring.ai.tool.call.result``), so the observation ends normally. The HTTP client
observation under it (Micrometer's ``http.client.requests`` for RestClient, span ``http post`` with the
low-cardinality keys ``method``, ``status``, ``outcome``, ``exception``) ends in error with the
``HttpClientErrorException`` RestClient's ``StatusHandler`` raised for a 4xx. The result starts with
the exception's class name and a colon (Java's ``Throwable.toString()``; Python's
``traceback.format_exception_only`` writes ``KeyError: 'sku'`` the same way):
``forensics/detectors/returned_errors.py`` ``EXCEPTION_TEXT``, an error-shaped result.

Firing: the model claiming the upload over that result is a silent failure, decided at the call.
Near misses: the model uploading the summary instead (the same tool, another mode) and saying why is a
clean run, the request's failure recovered with its call; a read whose result is a log that starts
with an exception line is data.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, findings, run, run_row, span

_EXC = "org.springframework.web.client.HttpClientErrorException$PayloadTooLarge"
_MSG = '413 Payload Too Large: "[{"message":"Maximum size exceeded (limit 25 MB via REST)","errorCode":"FILE_TOO_LARGE"}]"'
_URL = "https://acme.my.salesforce.com/services/data/v62.0/sobjects/ContentVersion"


def _request(status: str, outcome: str, exception: str) -> str:
    """Micrometer's http.client.requests key values (RestClient's DefaultClientRequestObservationConvention)."""
    return json.dumps({"method": "POST", "uri": "/services/data/v62.0/sobjects/ContentVersion", "http.url": _URL,
            "client.name": "acme.my.salesforce.com", "status": status, "outcome": outcome, "exception": exception})


def _run(result: str, *, summary: bool, answer: str) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, 30, kind="chain", name="spring_ai chat_client"),
        span("m1", 0.1, 2, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o"),
        span("t1", 2.1, 9, parent_id="root", kind="tool", tool="attachBundleToCase", name="tool_call attachBundleToCase",
             input='{"caseNumber": "00912", "bundleId": "b-77"}', output=result),
        span("h1", 2.2, 8.9, parent_id="t1", kind="unknown", name="http post", status="error", error_type=_EXC,
             error_message=_MSG, attributes=_request("413", "CLIENT_ERROR", "HttpClientErrorException$PayloadTooLarge")),
        span("m2", 9.1, 11, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o"),
    ]
    if summary:
        rows += [
            span("t2", 11.1, 13, parent_id="root", kind="tool", tool="attachBundleToCase", name="tool_call attachBundleToCase",
                 input='{"caseNumber": "00912", "bundleId": "b-77", "mode": "summary"}',
                 output='{"contentVersionId": "068Hs0000", "sizeMb": 3.2, "mode": "summary"}'),
            span("h2", 11.2, 12.9, parent_id="t2", kind="unknown", name="http post",
                 attributes=_request("201", "SUCCESS", "none")),
            span("m3", 13.1, 15, parent_id="root", kind="llm", name="chat gpt-4o", model="gpt-4o"),
        ]
    rows[-1]["output"] = answer
    return rows


_TOLD = "The full bundle is over Salesforce's 25 MB upload limit, so I attached the 3.2 MB summary to case 00912."
_CLAIM = "I've attached the bundle b-77 to case 00912 for the network team."


def test_the_model_claiming_the_failed_upload_is_a_silent_failure_at_the_call() -> None:
    for result in (f"{_EXC}: {_MSG}", _MSG):  # the bare message: an older processor's getMessage()
        c = run(*_run(result, summary=False, answer=_CLAIM))
        row = run_row(c)
        assert row["primary_class"] == "silent_failure" and row["decisive_span_id"] == "t1", (result, detectors(c))


def test_near_miss_the_summary_uploaded_instead_and_told() -> None:
    for result in (f"{_EXC}: {_MSG}", _MSG):
        found = detectors(run(*_run(result, summary=True, answer=_TOLD)))
        assert not found, (result, found)


def test_an_exception_text_returned_by_a_python_tool_is_error_as_data() -> None:
    rows = [
        span("root", 0, 10, kind="agent", name="stock_agent", agent="stock_agent", input="Restock SKU-4 to 40.",
             output="SKU-4 is restocked to 40 units."),
        span("t1", 2, 3, parent_id="root", kind="tool", tool="set_stock_level", agent="stock_agent",
             input='{"sku": "SKU-4", "level": 40}', output="KeyError: 'SKU-4'"),
        span("l2", 3, 5, parent_id="root", kind="llm", model="gpt-4o", agent="stock_agent",
             output="SKU-4 is restocked to 40 units."),
    ]
    assert [f["decisive_span_id"] for f in findings(run(*rows), "error_as_data")] == ["t1"]


def test_near_miss_a_log_read_that_starts_with_an_exception_line() -> None:
    log = "java.lang.OutOfMemoryError: Java heap space\n\tat com.acme.Indexer.run(Indexer.java:88)"
    rows = [
        span("root", 0, 10, kind="agent", name="ops_agent", agent="ops_agent", input="Why did the indexer stop?",
             output="The indexer ran out of heap (OutOfMemoryError in Indexer.run)."),
        span("t1", 2, 3, parent_id="root", kind="tool", tool="get_service_logs", agent="ops_agent",
             input='{"service": "indexer"}', output=log),
        span("l2", 3, 5, parent_id="root", kind="llm", model="gpt-4o", agent="ops_agent",
             output="The indexer ran out of heap (OutOfMemoryError in Indexer.run)."),
    ]
    assert not findings(run(*rows), "error_as_data")
