"""A tool call whose error result is the last thing its run holds: the call failed, nothing followed.

An MCP server reports a tool's failure inside the result (``CallToolResult.isError`` beside the
text; FastMCP words it ``f"Error executing tool {name}: {e}"``: modelcontextprotocol python-sdk
``src/mcp/server/fastmcp/tools/base.py`` Tool.run), and the client hands the text to the model as
the call's output; an OpenAI-style chat transcript writes it as the ``role: "tool"`` message
answering the ``tool_call_id`` (forensics/loaders/chat_messages.py: one tool span, status ok,
output the content). Where the transcript ends on that message, no model turn, retry or reply after
it, the run stopped on the failure: no fallback followed and it did not go on as if the call had
succeeded (TAXONOMY unhandled_error "the run just carries on, or ends"; error_as_data needs the run
to go on; unhandled_facts.ended_on_error_result). Near misses: the assistant answering over the
error (error_as_data), the call made again into a success, a transcript ending on an ok result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

ARGS = json.dumps({"order": "SO-55120", "date": "2026-03-04"})
MCP_ERROR = "Error executing tool reschedule_delivery: carrier API timed out after 30s"


def _call(cid: str, name: str, args: str, text: str | None = None) -> dict[str, Any]:
    return {"role": "assistant", "content": text,
            "tool_calls": [{"id": cid, "type": "function", "function": {"name": name, "arguments": args}}]}  # fmt: skip


def _result(cid: str, content: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": cid, "content": content}


HEAD: list[dict[str, Any]] = [
    {"role": "system", "content": "You are the delivery desk assistant. Tools come from the logistics MCP server."},
    {"role": "user", "content": "Move the delivery of order SO-55120 to March 4."},
    _call("call_a1", "get_order", json.dumps({"order": "SO-55120"})),
    _result("call_a1", json.dumps({"order": "SO-55120", "delivery": "2026-03-02", "carrier": "DHL"})),
    _call("call_a2", "reschedule_delivery", ARGS, "Rescheduling to March 4."),
]


def _classify(tmp_path: Path, messages: list[dict[str, Any]]) -> pl.DataFrame:
    path = tmp_path / "delivery_desk.json"
    path.write_text(json.dumps(messages))
    return pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))


def _by(found: pl.DataFrame, detector: str) -> list[str]:
    return found.filter(pl.col("detector") == detector).get_column("decisive_span_id").to_list()


def test_a_transcript_ending_on_an_mcp_error_result_is_unhandled(tmp_path: Path) -> None:
    found = _classify(tmp_path, [*HEAD, _result("call_a2", MCP_ERROR)])
    assert _by(found, "unhandled_error") == ["call_a2"]
    assert _by(found, "error_as_data") == []


def test_near_miss_the_assistant_answered_over_the_error_is_error_as_data(tmp_path: Path) -> None:
    messages = [*HEAD, _result("call_a2", MCP_ERROR),
                {"role": "assistant", "content": "Done: SO-55120 will now be delivered on March 4."}]  # fmt: skip
    found = _classify(tmp_path, messages)
    assert _by(found, "error_as_data") == ["call_a2"]
    assert _by(found, "unhandled_error") == []


def test_near_miss_the_call_made_again_into_a_success(tmp_path: Path) -> None:
    messages = [*HEAD, _result("call_a2", MCP_ERROR), _call("call_a3", "reschedule_delivery", ARGS, "Trying again."),
                _result("call_a3", json.dumps({"order": "SO-55120", "delivery": "2026-03-04"})),
                {"role": "assistant", "content": "The first attempt timed out; on the retry SO-55120 moved to March 4."}]  # fmt: skip
    found = _classify(tmp_path, messages)
    assert _by(found, "unhandled_error") == []
    assert _by(found, "error_as_data") == []


def test_near_miss_a_transcript_ending_on_an_ok_result(tmp_path: Path) -> None:
    found = _classify(tmp_path, [*HEAD, _result("call_a2", json.dumps({"order": "SO-55120", "delivery": "2026-03-04"}))])
    assert _by(found, "unhandled_error") == []
