"""A tool call the Vercel AI SDK ran on a person's ``tool-approval-response`` was approved.

A tool with ``needsApproval`` is not executed when the model asks for it: the step ends with a
``tool-approval-request`` part; the application sends the conversation back with a ``tool`` message
holding ``tool-approval-response`` (``approved: true``), and the next generateText executes the
approved call before its first model step (vercel/ai packages/ai/src/generate-text/
collect-tool-approvals.ts, generate-text.ts). Spans below in ReadableSpan.to_json() shape with the
SDK's telemetry attributes (``ai.prompt`` on the ``ai.generateText`` span). Near misses: the person
denied it; the approval is not in the prompt's last message; the model asked for the tool again
in a later step (a new call no one approved).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

TRACE = "0x9a1c0e2b4d6f8a0c1e3a5c7e9b1d3f50"
ROOT = "2e0668c8e6b907f5"
ARGS = {"path": "/srv/tmp/old-export.csv"}


def _span(sid: str, parent: str | None, name: str, start: int, attrs: dict[str, object]) -> dict[str, object]:
    return {
        "name": name,
        "context": {"trace_id": TRACE, "span_id": f"0x{sid}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL",
        "parent_id": f"0x{parent}" if parent else None,
        "start_time": f"2026-11-10T08:45:{start:02d}.000000Z", "end_time": f"2026-11-10T08:45:{start + 3:02d}.000000Z",
        "status": {"status_code": "UNSET"},
        "attributes": attrs, "events": [], "links": [],
        "resource": {"attributes": {"service.name": "files-bot"}, "schema_url": ""},
    }  # fmt: skip


def _tool(sid: str, start: int, call_id: str) -> dict[str, object]:
    return _span(sid, ROOT, "ai.toolCall", start, {
        "ai.operationId": "ai.toolCall", "ai.toolCall.name": "deleteFile", "ai.toolCall.id": call_id,
        "ai.toolCall.args": json.dumps(ARGS), "ai.toolCall.result": json.dumps({"deleted": ARGS["path"]}),
    })  # fmt: skip


def _step(sid: str, start: int, finish: str) -> dict[str, object]:
    return _span(sid, ROOT, "ai.generateText.doGenerate", start, {
        "ai.operationId": "ai.generateText.doGenerate", "ai.model.id": "gpt-4o-mini",
        "ai.response.finishReason": finish, "ai.usage.promptTokens": 310, "ai.usage.completionTokens": 14,
    })  # fmt: skip


def _unguarded(tmp_path: Path, answer: list[dict[str, Any]], spans: list[dict[str, object]]) -> list[str]:
    messages = [
        {"role": "user", "content": "Remove the stale export in /srv/tmp."},
        {"role": "assistant", "content": [
            {"type": "tool-call", "toolCallId": "call_7", "toolName": "deleteFile", "input": ARGS},
            {"type": "tool-approval-request", "approvalId": "appr_1", "toolCallId": "call_7"},
        ]},
        *answer,
    ]  # fmt: skip
    root = _span(ROOT, None, "ai.generateText", 0, {
        "ai.operationId": "ai.generateText", "ai.model.id": "gpt-4o-mini",
        "ai.prompt": json.dumps({"system": "You manage the server's files.", "messages": messages}),
        "ai.response.finishReason": "stop", "ai.response.text": "Done.",
    })  # fmt: skip
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in [*spans, root]))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings.filter(findings["detector"] == "unguarded_irreversible")["decisive_span_id"].to_list()


def _response(approved: bool) -> dict[str, Any]:
    return {
        "role": "tool",
        "content": [{"type": "tool-approval-response", "approvalId": "appr_1", "approved": approved}],
    }


def test_the_call_the_last_message_approved_ran_first_and_is_guarded(tmp_path: Path) -> None:
    spans = [_tool("b000000000000001", 1, "call_7"), _step("a000000000000001", 5, "stop")]
    assert _unguarded(tmp_path, [_response(True)], spans) == []


def test_near_miss_denied_not_last_or_asked_again_later(tmp_path: Path) -> None:
    first = _tool("b000000000000001", 1, "call_7")
    spans = [first, _step("a000000000000001", 5, "stop")]
    assert _unguarded(tmp_path, [_response(False)], spans) == ["b000000000000001"]
    # The approval is not the prompt's last message (the person wrote again after it).
    later = [_response(True), {"role": "user", "content": "Actually, wait."}]
    assert _unguarded(tmp_path, later, spans) == ["b000000000000001"]
    # The model asked for the tool again in a step of its own: that call was never approved.
    again = [
        _step("a000000000000001", 1, "tool-calls"),
        _tool("b000000000000002", 5, "call_9"),
        _step("a000000000000002", 9, "stop"),
    ]
    assert _unguarded(tmp_path, [_response(True)], again) == ["b000000000000002"]
