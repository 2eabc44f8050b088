"""A tool that caught its HTTP request's failure and returned an empty list: unhandled and swallowed.

pydantic-ai traces each tool call as an ``execute_tool {name}`` span whose ``tool_response`` is the
function's return value (pydantic_ai/_tool_manager.py ``_call_tool_traced``: ``gen_ai.tool.name``,
``tool_arguments``, ``tool_response``, logfire message "running tool: {name}"), under "running N
tool(s)" and the agent's ``invoke_agent`` span; the HTTP client the tool calls is traced below it by
opentelemetry-instrumentation-httpx (a client span named for the method, ``http.request.method``,
``url.full``, ``http.response.status_code``, ``error.type``, status ERROR on a 4xx/5xx). A tool
written ``except UnexpectedResponse: return []`` leaves its span OK with ``[]`` over the failed
request: the search never ran, nothing retried it or fell back, and the model was told "nothing
found" (unhandled_error), and the run reported success over it (swallowed_error).

Near misses: the tool resent the request after the 429's Retry-After and got its results; the
service answered 404 (an answer: nothing there) and the tool returned ``[]``; the tool returned a
placeholder text in the failure's place (swallowed_error's alone, as before).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

TRACE = "5b0e2d6f8a1c4e7b9d3f0a2c4e6b8d01"
URL = "https://vec-7f3c.eu-west-1.aws.cloud.qdrant.io:6333/collections/handbook/points/query"


def _attrs(d: dict[str, Any]) -> list[dict[str, Any]]:
    def value(v: Any) -> dict[str, Any]:
        if isinstance(v, list):
            return {"arrayValue": {"values": [{"stringValue": x} for x in v]}}
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}
    return [{"key": k, "value": value(v)} for k, v in d.items()]


def _span(sid: str, parent: str | None, name: str, start: float, end: float, attrs: dict[str, Any],
          error: bool = False) -> dict[str, Any]:
    base = 1_767_000_000_000_000_000
    out: dict[str, Any] = {"traceId": TRACE, "spanId": sid, "name": name, "kind": 1,
                           "startTimeUnixNano": str(base + int(start * 1e9)), "endTimeUnixNano": str(base + int(end * 1e9)),
                           "attributes": _attrs(attrs), "status": {"code": 2} if error else {}}  # fmt: skip
    if parent:
        out["parentSpanId"] = parent
    return out


def _request(sid: str, start: float, status: int) -> dict[str, Any]:
    attrs: dict[str, Any] = {"http.request.method": "POST", "url.full": URL, "server.address": URL.split("/")[2].split(":")[0],
                             "http.response.status_code": status}  # fmt: skip
    if status >= 400:
        attrs["error.type"] = str(status)
    if status == 429:
        attrs["http.response.header.retry-after"] = ["2"]
    return _span(sid, "c000000000000004", "POST", start, start + 0.2, attrs, error=status >= 400)


def _chat(sid: str, start: float, parts: list[dict[str, Any]], finish: str) -> dict[str, Any]:
    return _span(sid, "c000000000000001", "chat gpt-4o", start, start + 1, {
        "gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.agent.name": "handbook_assistant", "gen_ai.usage.input_tokens": 640, "gen_ai.usage.output_tokens": 40,
        "gen_ai.response.finish_reasons": [finish],
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": parts}]),
    })  # fmt: skip


def _run(tmp_path: Path, statuses: list[int], tool_response: str) -> set[str]:
    answer = "Parental leave is 16 weeks at full pay for both parents."
    spans = [
        _span("c000000000000001", None, "invoke_agent handbook_assistant", 0, 10, {
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "handbook_assistant",
            "agent_name": "handbook_assistant", "final_result": answer}),
        _chat("c000000000000002", 0.1, [{"type": "tool_call", "id": "call_01", "name": "search_handbook",
                                         "arguments": {"query": "parental leave weeks"}}], "tool_call"),
        _span("c000000000000003", "c000000000000001", "running 1 tool", 1.2, 4.5, {"tools": ["search_handbook"]}),
        _span("c000000000000004", "c000000000000003", "execute_tool search_handbook", 1.3, 4.4, {
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search_handbook",
            "gen_ai.tool.call.id": "call_01", "tool_arguments": '{"query": "parental leave weeks"}',
            "tool_response": tool_response, "logfire.msg": "running tool: search_handbook"}),
        *[_request(f"d00000000000000{k}", 1.4 + 2.2 * k, status) for k, status in enumerate(statuses)],
        _chat("c000000000000005", 5, [{"type": "text", "content": answer}], "stop"),
    ]  # fmt: skip
    path = tmp_path / "trace.otlp.json"
    path.write_text(json.dumps({"resourceSpans": [{"resource": {"attributes": _attrs({"service.name": "handbook-bot"})},
                                                   "scopeSpans": [{"scope": {"name": "pydantic-ai"}, "spans": spans}]}]}))  # fmt: skip
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return set(findings["detector"].to_list())


def test_a_429_the_tool_turned_into_an_empty_list_is_unhandled_and_swallowed(tmp_path: Path) -> None:
    found = _run(tmp_path, [429], "[]")
    assert {"unhandled_error", "swallowed_error"} <= found, found
    assert "unhandled_error" in _run(tmp_path, [503], '""')


def test_near_miss_the_request_resent_after_retry_after_got_its_results(tmp_path: Path) -> None:
    found = _run(tmp_path, [429, 200], '[{"id": "hb-4.2", "text": "Parental leave: 16 weeks at full pay."}]')
    assert not found & {"unhandled_error", "swallowed_error"}, found


def test_near_miss_a_404_read_as_nothing_there_or_a_placeholder_in_its_place(tmp_path: Path) -> None:
    assert "unhandled_error" not in _run(tmp_path, [404], "[]")
    assert "unhandled_error" not in _run(tmp_path, [429], '"The search is unavailable right now."')
