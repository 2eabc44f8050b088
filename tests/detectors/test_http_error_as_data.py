"""error_as_data: a tool that got an HTTP 4xx/5xx reply and returned it as its result, the span OK.

A tool is a function; whatever it returns is its result, and the span ends OK unless it raised.
openinference-instrumentation-smolagents records a tool's return value as the TOOL span's
``output.value`` (a webhook tool written ``r = requests.post(...); return f"{r.status_code}
{r.reason}: {r.text}"`` answers ``"410 Gone: channel_is_archived"``); the OpenAI Agents SDK exports a
function tool's result as ``str(output)`` (src/agents/tracing/span_data.py FunctionSpanData), so a tool
returning the reply's fields reads ``{"delivered": false, "status_code": 410, "error": "Gone", ...}``.
A wrapper that caught the client's exception returns its text: requests' ``raise_for_status``
(src/requests/models.py: ``f"{status_code} Client Error: {reason} for url: {url}"``), httpx's
(httpx/_models.py: ``"Client error '404 Not Found' for url '...'"``). Reason phrases: RFC 9110
section 15. ``forensics/detectors/returned_errors.py`` ``HTTP_ERROR_LINE``, ``HTTP_ERROR_STATUS``.

Near misses: the answer told the user the post failed; the status code alone (a status check may
report it); a record's own code and error inside a list; a code in the middle of prose; an error key
that is empty beside a 2xx.
"""

from __future__ import annotations

import json

from span_builder import findings, run, span

POSTED = "The release notes were posted to #payments-releases."


def _run(output: str, answer: str = POSTED, tool: str = "post_release_webhook") -> list[dict[str, object]]:
    return [
        span("root", 0, 10, kind="agent", name="release_bot", agent="release_bot", input="Post the release notes.",
             output=answer),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="release_bot",
             output=json.dumps({"tool_calls": [{"name": tool}]})),
        span("t1", 2, 3, parent_id="root", kind="tool", tool=tool, agent="release_bot",
             input=json.dumps({"channel": "#payments-releases"}), output=output),
        span("l2", 3, 5, parent_id="root", kind="llm", model="gpt-4o", agent="release_bot", output=answer),
    ]


def _error_as_data(rows: list[dict[str, object]]) -> list[str]:
    return [f["decisive_span_id"] for f in findings(run(*rows), "error_as_data")]


def test_an_http_error_reply_returned_as_the_result_is_error_as_data() -> None:
    for output in (
        "410 Gone: channel_is_archived",
        "HTTP/1.1 404 Not Found",
        "413 Client Error: Payload Too Large for url: https://hooks.example.com/T01/B02",
        "Server error '503 Service Unavailable' for url 'https://hooks.example.com/T01/B02'",
        json.dumps({"delivered": False, "status_code": 410, "error": "Gone", "body": "This endpoint was retired."}),
        str({"error": "Forbidden", "status": 403}),
    ):
        assert _error_as_data(_run(output)) == ["t1"], output


def test_near_miss_the_failure_told() -> None:
    told = "I could not post the notes: the webhook answered 410 Gone (channel archived). Here they are to post by hand."
    assert _error_as_data(_run("410 Gone: channel_is_archived", answer=told)) == []


def test_near_miss_a_code_alone_in_a_list_or_in_prose() -> None:
    ok = "The endpoint check is done."
    for output in (
        json.dumps({"url": "https://hooks.example.com/v1", "status_code": 410}),
        json.dumps({"status_code": 200, "error": ""}),
        json.dumps({"deliveries": [{"status_code": 500, "error": "timeout"}], "count": 1}),
        "Endpoint summary: 3 of 40 deliveries got 404 Not Found last week.",
    ):
        assert _error_as_data(_run(output, answer=ok, tool="check_webhook_deliveries")) == [], output
