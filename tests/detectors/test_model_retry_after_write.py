"""A tool that raised ModelRetry after its own write got through, then was called again: done twice.

pydantic-ai runs each tool call under an ``execute_tool <name>`` span (``gen_ai.tool.name``,
``tool_arguments``, ``tool_response``: pydantic/pydantic-ai pydantic_ai_slim/pydantic_ai/
_tool_manager.py, _instrumentation.py); a tool that raises ``ModelRetry`` ends that span with the
exception recorded and the model gets a retry prompt, so it may call the tool again with the same
arguments. The HTTP request the tool made is a client span right under it (opentelemetry-
instrumentation-httpx: ``http.request.method``, ``url.full``, ``http.response.status_code``; status
Error for a 4xx / 5xx answer). When that write was accepted (Twilio answers a sent message 201
Created), the effect happened before the tool raised on the response's shape, and the call made
again repeats it (duplicate_side_effect). A tool that raised before its write got through (the
service refused it, 400) did nothing, and the call made again is the only effect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import classify_otlp, otlp_span

ARGS = {"to": "+15550100", "body": "Reminder: your appointment is on Tuesday at 10:00."}
URL = "https://api.twilio.com/2010-04-01/Accounts/AC00/Messages.json"


def _send(sid: str, parent: str, start: int, response: str, *, raised: bool) -> dict[str, Any]:
    span = otlp_span(sid, parent, "execute_tool send_sms", start, start + 900,
                     {"gen_ai.tool.name": "send_sms", "gen_ai.tool.call.id": f"call_{sid[-3:]}",
                      "tool_arguments": json.dumps(ARGS), "tool_response": response,
                      "logfire.msg": "running tool: send_sms"})  # fmt: skip
    if raised:
        message = "could not read the delivery status, please try again"
        span["status"] = {"code": 2, "message": f"pydantic_ai.exceptions.ModelRetry: {message}"}
        span["events"] = [{"timeUnixNano": span["endTimeUnixNano"], "name": "exception", "attributes": [
            {"key": "exception.type", "value": {"stringValue": "pydantic_ai.exceptions.ModelRetry"}},
            {"key": "exception.message", "value": {"stringValue": message}}]}]  # fmt: skip
    return span


def _post(sid: str, parent: str, start: int, code: int) -> dict[str, Any]:
    span = otlp_span(sid, parent, "POST", start + 10, start + 800,
                     {"http.request.method": "POST", "url.full": URL, "server.address": "api.twilio.com",
                      "http.response.status_code": code}, kind=3)  # fmt: skip
    if code >= 400:
        span["status"] = {"code": 2}
    return span


def _run(tmp_path: Path, first_code: int) -> list[str]:
    """send_sms raises ModelRetry after its POST answered ``first_code``; the model calls it again."""
    spans = [
        otlp_span("a000000000000001", "", "agent run", 0, 9000,
                  {"gen_ai.agent.name": "agent", "logfire.msg": "agent run"}),  # fmt: skip
        _send("b000000000000001", "a000000000000001", 100, '"could not read the delivery status"', raised=True),
        _post("c000000000000001", "b000000000000001", 100, first_code),
        _send("b000000000000002", "a000000000000001", 2000, json.dumps({"sid": "SM01", "status": "queued"}), raised=False),
        _post("c000000000000002", "b000000000000002", 2000, 201),
    ]
    found = classify_otlp(spans, tmp_path / "sms.otlp.json", scope="pydantic-ai")
    return found.filter(pl.col("detector") == "duplicate_side_effect").get_column("decisive_span_id").to_list()


def test_a_write_accepted_before_model_retry_then_sent_again_is_a_duplicate(tmp_path: Path) -> None:
    assert _run(tmp_path, 201) == ["b000000000000002"]


def test_near_miss_a_write_the_service_refused_did_nothing(tmp_path: Path) -> None:
    assert _run(tmp_path, 400) == []
