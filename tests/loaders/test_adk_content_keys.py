"""Google ADK's own content keys: tool arguments and results, model requests and responses.

ADK's telemetry (src/google/adk/telemetry.py) writes a tool call's arguments and result as
gcp.vertex.agent.tool_call_args / tool_response on its execute_tool span, a model call's request and
response as gcp.vertex.agent.llm_request / llm_response on its call_llm span (no
gen_ai.operation.name there: gen_ai.system "gcp.vertex.agent" and the invocation id), and '{}' in
those keys when content capture is off. ADK function tools report failure in the result
({"status": "error", "error_message": ...}, adk-docs tools/function-tools) on an OK span.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, run, span

from forensics.semconv import map_attributes

ERR = json.dumps({"status": "error", "error_message": "Warehouse API quota exceeded (429 Too Many Requests)."})


def _mapped(attrs: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": "unknown"}
    map_attributes(attrs, row)
    return row


def test_adk_tool_and_model_content_is_read() -> None:
    # Firing: the tool's result and arguments, the model's response, and call_llm is a model call.
    tool = _mapped({"gen_ai.system": "gcp.vertex.agent", "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "get_stock", "gcp.vertex.agent.tool_call_args": '{"sku": "A-1"}',
                    "gcp.vertex.agent.tool_response": ERR, "gcp.vertex.agent.llm_request": "{}",
                    "gcp.vertex.agent.llm_response": "{}"})
    assert (tool["kind"], tool["input"], tool["output"]) == ("tool", '{"sku": "A-1"}', ERR)
    answer = '{"content": {"role": "model", "parts": [{"text": "Stock is 0, PO raised."}]}}'
    llm = _mapped({"gen_ai.system": "gcp.vertex.agent", "gen_ai.request.model": "gemini-2.0-flash",
                   "gcp.vertex.agent.invocation_id": "e-1", "gcp.vertex.agent.llm_request": '{"contents": []}',
                   "gcp.vertex.agent.llm_response": answer})
    assert (llm["kind"], llm["output"]) == ("llm", answer)
    # The error dict on an OK tool span, the run carrying on: error_as_data.
    rows = [
        span("root", 0, 6, kind="agent", agent="restock", name="invoke_agent restock", output="PO-1 raised for A-1."),
        span("t1", 1, 2, parent_id="root", kind="tool", tool="get_stock", agent="restock", input='{"sku": "A-1"}',
             output=tool["output"]),
        span("l1", 2.1, 3, parent_id="root", kind="llm", model="gemini-2.0-flash", agent="restock",
             output="PO-1 raised for A-1."),
    ]
    assert "error_as_data" in detectors(run(*rows))


def test_the_placeholder_of_uncaptured_content_is_no_content() -> None:
    # Near-miss: '{}' everywhere (capture off) is no empty result; a span of another system with an
    # invocation id is not taken for ADK's call_llm.
    tool = _mapped({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_stock",
                    "gcp.vertex.agent.tool_call_args": "{}", "gcp.vertex.agent.tool_response": "{}"})
    assert tool.get("input") is None and tool.get("output") is None
    other = _mapped({"gen_ai.system": "openai", "gcp.vertex.agent.invocation_id": "e-1"})
    assert other["kind"] == "unknown"
