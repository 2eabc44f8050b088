"""The OpenAI Agents SDK's sentence for a tool that raised, read in a chat transcript.

A function tool that raises is answered for by its ``failure_error_function``, by default
``default_tool_error_function`` (openai-agents-python src/agents/tool.py; openai-agents-js
agents-core tool.ts, whose ``mcpToFunctionTool`` hands an MCP client's error back the same way):
"An error occurred while running the tool. Please try again. Error: {error}" becomes the call's
output. The SDK's trace marks the function span failed beside it; the run's items saved as chat
messages (``result.to_input_list()``: a ``tool`` message, ``function_call_output``) keep only the
sentence, and the chat format has no error flag (loaders/chat_messages.py: a tool result's status
stays ok; an error-shaped text is error_as_data's to read). The MCP server's own text, FastMCP's
"Error executing tool {name}: ...", was error-shaped already; the SDK's wrapper around an MCP client
error ("... Error: Error invoking MCP tool ...", src/agents/mcp/util.py invoke_mcp_tool) was not: read
as a success, the call made again after it looked like the same write done twice (duplicate_side_effect).
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics
from forensics.classify import classify

_SDK_ERROR = ("An error occurred while running the tool. Please try again. Error: Error invoking MCP tool "
              "update_address on server 'orders': McpError: upstream payments API returned 503")


def _transcript(tmp_path: Path, *after: dict[str, object]) -> forensics.LoadResult:
    messages = [
        {"role": "system", "content": "You are the orders assistant."},
        {"role": "user", "content": "Please change the delivery ZIP of order A-1182 to 10115."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "update_address", "arguments": json.dumps({"order_id": "A-1182", "zip": "10115"})}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": _SDK_ERROR},
        *after,
    ]
    path = tmp_path / "transcript.json"
    path.write_text(json.dumps(messages))
    return forensics.load(path)


def _detectors(result: forensics.LoadResult) -> list[str]:
    return classify(result.spans).findings.column("detector").to_pylist()


def test_the_sdk_sentence_answered_as_a_success_is_error_as_data(tmp_path: Path) -> None:
    result = _transcript(tmp_path, {"role": "assistant", "content": "The delivery address of order A-1182 now has ZIP 10115."})
    assert "error_as_data" in _detectors(result)


def test_near_miss_the_call_made_again_that_succeeded(tmp_path: Path) -> None:
    retry = [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_2", "type": "function",
             "function": {"name": "update_address", "arguments": json.dumps({"order_id": "A-1182", "zip": "10115"})}}]},
        {"role": "tool", "tool_call_id": "call_2", "content": json.dumps({"order_id": "A-1182", "zip": "10115", "updated": True})},
        {"role": "assistant", "content": "The delivery address of order A-1182 now has ZIP 10115."},
    ]
    assert _detectors(_transcript(tmp_path, *retry)) == []


def test_near_miss_the_sentence_quoted_inside_a_result_is_data(tmp_path: Path) -> None:
    # Only the SDK's own result starts with it: a log search that finds the sentence in old records is data.
    messages = [
        {"role": "user", "content": "Did last night's address sync log any tool errors?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "search_logs", "arguments": "{\"q\": \"address\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1",
         "content": json.dumps({"hits": [{"ts": "02:10", "line": _SDK_ERROR}]})},
        {"role": "assistant", "content": "One record: a 503 from the payments API at 02:10."},
    ]
    path = tmp_path / "logs.json"
    path.write_text(json.dumps(messages))
    assert _detectors(forensics.load(path)) == []
