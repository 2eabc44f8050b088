"""An MCP tool's failure read as data: ``CallToolResult.isError`` true under an OK tool span.

The MCP specification has a server report a tool's own failure inside the result, ``isError: true``
beside the error text, not as a protocol error (so the model can see it and correct itself;
modelcontextprotocol python-sdk ``src/mcp/types.py`` CallToolResult). FastMCP words it
``f"Error executing tool {name}: {e}"`` (``mcp/server/fastmcp/tools/base.py`` Tool.run; the low-level
server's ``_make_error_result`` sends it with ``isError=True``). The OpenAI Agents SDK hands the
result's content to the model and records it on the function span, whose status stays OK and which
keeps no flag: ``invoke_mcp_tool`` makes one text item ``ToolOutputTextDict(type="text", text=...)``,
``FunctionSpanData.export`` writes ``str(output)`` and ``mcp_data={"server": ...}``
(openai/openai-agents-python ``src/agents/mcp/util.py``, ``src/agents/tracing/span_data.py``). A tracer
that serialises the whole result (a Langfuse ``@observe`` around ``ClientSession.call_tool``) writes
the flag itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from agents_sdk_trace import sdk_generation, sdk_span

import forensics

TRACE = "trace_5e1f0a2b3c4d5e6f708192a3b4c5d6e7"
ASK = "What is the balance on invoice INV-88?"
MCP_ERROR = "Error executing tool get_invoice: invoice INV-88 not found in ledger 2026"


def _span(sid: str, parent: str | None, start: float, end: float, data: dict[str, Any]) -> dict[str, Any]:
    return sdk_span(TRACE, sid, parent, start, end, data)


def _generation(sid: str, start: float, end: float, output: list[dict[str, Any]]) -> dict[str, Any]:
    return sdk_generation(TRACE, sid, start, end, ASK, output, tokens=24)


def _call(cid: str, invoice: str) -> list[dict[str, Any]]:
    return [{"type": "function_call", "call_id": cid, "name": "get_invoice", "arguments": json.dumps({"id": invoice})}]


def _mcp_function(sid: str, start: float, end: float, invoice: str, text: str) -> dict[str, Any]:
    # str() of the SDK's ToolOutputTextDict: a Python repr, as FunctionSpanData.export writes it.
    output = str({"type": "text", "text": text})
    data = {"type": "function", "name": "get_invoice", "input": json.dumps({"id": invoice}), "output": output,
            "mcp_data": {"server": "billing"}}  # fmt: skip
    return _span(sid, "a1", start, end, data)


def _agents_trace(answer: str, tmp_path: Path, *, retried: bool = False, text: str = MCP_ERROR) -> pl.DataFrame:
    spans = [
        _span("a1", None, 0, 9, {"type": "agent", "name": "Billing", "handoffs": [], "tools": ["get_invoice"],
                                 "output_type": "str"}),  # fmt: skip
        _span("m1", "a1", 0.05, 0.08, {"type": "mcp_tools", "server": "billing", "result": ["get_invoice"]}),
        _generation("g1", 0.1, 1, _call("c1", "INV-88")),
        _mcp_function("f1", 1.1, 1.5, "INV-88", text),
    ]
    if retried:
        spans += [_generation("g2", 2, 3, _call("c2", "INV-0088")),
                  _mcp_function("f2", 3.1, 3.5, "INV-0088", '{"id": "INV-0088", "balance_usd": 412.5}')]  # fmt: skip
    spans.append(_generation("g3", 4, 5, [{"type": "message", "role": "assistant",
                                           "content": [{"type": "output_text", "text": answer}]}]))  # fmt: skip
    path = tmp_path / "agents_trace.json"
    path.write_text(json.dumps({"traces": [{"object": "trace", "id": TRACE, "workflow_name": "Billing",
                                            "group_id": None, "metadata": None}], "spans": spans}))  # fmt: skip
    return pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))


def test_an_mcp_error_result_the_agent_answered_over_is_error_as_data(tmp_path: Path) -> None:
    found = _agents_trace("Invoice INV-88 has a balance of $0.00, nothing is due.", tmp_path)
    row = found.filter(pl.col("detector") == "error_as_data")
    assert row.height == 1
    assert row.get_column("decisive_span_id").item().endswith("f1")
    assert "Error executing tool get_invoice" in row.get_column("explanation").item()


def test_a_servers_own_failure_sentence_the_agent_answered_over_is_error_as_data(tmp_path: Path) -> None:
    # A handler returning its failure as text ("Failed to <act>: <reason>"), the isError flag dropped
    # by the SDK as above.
    text = "Failed to load invoice: upstream ledger returned 423 Locked (record held by month-end close)."
    found = _agents_trace("Invoice INV-88 has a balance of $0.00, nothing is due.", tmp_path, text=text)
    row = found.filter(pl.col("detector") == "error_as_data")
    assert row.height == 1 and row.get_column("decisive_span_id").item().endswith("f1")


def test_near_miss_a_result_saying_what_it_failed_to_find_is_data(tmp_path: Path) -> None:
    # No reason after a colon: the tool's answer (nothing matched), which the agent passed on.
    text = "Failed to find any open invoice numbered INV-88 in the 2026 ledger"
    found = _agents_trace("There is no open invoice INV-88 in the 2026 ledger.", tmp_path, text=text)
    assert found.height == 0 or "error_as_data" not in found.get_column("detector").to_list()


def test_near_miss_an_mcp_error_the_agent_told_the_user_is_clean(tmp_path: Path) -> None:
    answer = "I couldn't retrieve invoice INV-88: the billing system says it was not found in the 2026 ledger."
    found = _agents_trace(answer, tmp_path)
    assert found.height == 0 or "error_as_data" not in found.get_column("detector").to_list()


def test_near_miss_an_mcp_error_the_agent_retried_is_clean(tmp_path: Path) -> None:
    found = _agents_trace("Invoice INV-0088 has a balance of $412.50.", tmp_path, retried=True)
    assert found.height == 0 or "error_as_data" not in found.get_column("detector").to_list()


def _otlp_trace(result: dict[str, Any] | str, tmp_path: Path) -> pl.DataFrame:
    """A GenAI-convention OTLP trace whose tool span records the whole CallToolResult as its result."""

    def attr(key: str, value: str) -> dict[str, Any]:
        return {"key": key, "value": {"stringValue": value}}

    def span(sid: str, parent: str, name: str, start: int, end: int, attrs: list[dict[str, Any]]) -> dict[str, Any]:
        return {"traceId": "7" * 32, "spanId": sid, "parentSpanId": parent, "name": name, "kind": 1,
                "startTimeUnixNano": str(1_764_000_000_000_000_000 + start * 1_000_000),
                "endTimeUnixNano": str(1_764_000_000_000_000_000 + end * 1_000_000), "attributes": attrs,
                "status": {}}  # fmt: skip

    out = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "INV-88 is paid in full."}]}])
    spans = [
        span("a000000000000001", "", "invoke_agent billing", 0, 900,
             [attr("gen_ai.operation.name", "invoke_agent"), attr("gen_ai.agent.name", "billing"),
              attr("gen_ai.output.messages", out)]),  # fmt: skip
        span("c000000000000001", "a000000000000001", "chat gpt-4o", 10, 200,
             [attr("gen_ai.operation.name", "chat"), attr("gen_ai.request.model", "gpt-4o")]),  # fmt: skip
        span("b000000000000001", "a000000000000001", "execute_tool get_invoice", 210, 400,
             [attr("gen_ai.operation.name", "execute_tool"), attr("gen_ai.tool.name", "get_invoice"),
              attr("gen_ai.tool.call.arguments", '{"id": "INV-88"}'),
              attr("gen_ai.tool.call.result", result if isinstance(result, str) else json.dumps(result))]),  # fmt: skip
        span("c000000000000002", "a000000000000001", "chat gpt-4o", 410, 880,
             [attr("gen_ai.operation.name", "chat"), attr("gen_ai.request.model", "gpt-4o"),
              attr("gen_ai.output.messages", out)]),  # fmt: skip
    ]
    doc = {"resourceSpans": [{"resource": {"attributes": [attr("service.name", "billing-agent")]},
                              "scopeSpans": [{"scope": {"name": "billing"}, "spans": spans}]}]}  # fmt: skip
    path = tmp_path / "mcp.otlp.json"
    path.write_text(json.dumps(doc))
    return pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))


def _call_tool_result(text: str, *, is_error: bool) -> dict[str, Any]:
    # CallToolResult.model_dump(mode="json") of modelcontextprotocol python-sdk src/mcp/types.py.
    return {"meta": None, "content": [{"type": "text", "text": text, "annotations": None, "meta": None}],
            "structuredContent": None, "isError": is_error}  # fmt: skip


def test_a_whole_call_tool_result_flagged_is_error_is_error_as_data(tmp_path: Path) -> None:
    found = _otlp_trace(_call_tool_result("ledger unavailable", is_error=True), tmp_path)
    row = found.filter(pl.col("detector") == "error_as_data")
    assert row.get_column("decisive_span_id").to_list() == ["b000000000000001"]


def test_near_miss_a_call_tool_result_not_flagged_is_clean(tmp_path: Path) -> None:
    found = _otlp_trace(_call_tool_result('{"id": "INV-88", "balance_usd": 0}', is_error=False), tmp_path)
    assert found.height == 0


def _printed_call_tool_result(text: str, *, is_error: bool) -> str:
    # str() of the pydantic model CallToolResult (modelcontextprotocol python-sdk src/mcp/types.py),
    # as LangChain writes a tool's non-JSON return value into its ToolMessage
    # (langchain-ai/langchain libs/core/langchain_core/tools/base.py _stringify: json.dumps, which a
    # model fails, then str(content)).
    return (f"meta=None content=[TextContent(type='text', text={text!r}, annotations=None, meta=None)] "
            f"structuredContent=None isError={is_error}")  # fmt: skip


def test_a_printed_call_tool_result_flagged_is_error_is_error_as_data(tmp_path: Path) -> None:
    found = _otlp_trace(_printed_call_tool_result("ledger unavailable", is_error=True), tmp_path)
    row = found.filter(pl.col("detector") == "error_as_data")
    assert row.get_column("decisive_span_id").to_list() == ["b000000000000001"]


def test_near_miss_a_printed_call_tool_result_not_flagged_is_clean(tmp_path: Path) -> None:
    found = _otlp_trace(_printed_call_tool_result('{"id": "INV-88", "balance_usd": 0}', is_error=False), tmp_path)
    assert found.height == 0
