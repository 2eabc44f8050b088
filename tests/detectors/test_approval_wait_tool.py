"""An approval step that waits for a person's decision, a tool of the agent's own, its decision in
the tool's result.

An OpenInference TOOL span (openinference-semantic-conventions ``SpanAttributes``:
``openinference.span.kind`` TOOL, ``tool.name``, ``input.value``, ``output.value``; Mastra's
tool_call spans exported through OpenInference, ``mastra.span.type`` tool_call, carry the tool's
return value in ``output.value``). An agent posts an approval request, then calls a tool that blocks
until the person decides (``wait_for_approval``) and returns that decision. An approved result
reviews the irreversible call after it (preparation: a tool named for asking, or waiting for, a
person's approval whose own result is the decision); a request that was only posted (``{"ok":
true}``), a rejection, or a wait that timed out reviews nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import classify_otlp, otlp_span

AGENT = {"openinference.span.kind": "AGENT", "input.value": "Pay invoice 5531 once finance approves it."}


def _tool(sid: str, name: str, start: int, end: int, args: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    return otlp_span(sid, "a000000000000001", f"tool: '{name}'", start, end,
                     {"openinference.span.kind": "TOOL", "tool.name": name, "input.value": json.dumps(args),
                      "output.value": json.dumps(result), "output.mime_type": "application/json",
                      "mastra.span.type": "tool_call"})  # fmt: skip


def _run(tmp_path: Path, decision: dict[str, Any] | None) -> pl.DataFrame:
    """Post an approval request; (wait for the decision); pay the invoice."""
    spans = [
        otlp_span("a000000000000001", "", "agent run: 'ap-agent'", 0, 9000, {**AGENT, "output.value": "Paid."}),
        _tool("b000000000000001", "post_approval_request", 10, 200, {"channel": "#finance"}, {"ok": True, "ts": "17.1"}),
    ]
    if decision is not None:
        spans.append(_tool("b000000000000002", "wait_for_approval", 300, 6000, {"ts": "17.1"}, decision))
    spans.append(_tool("b000000000000003", "pay_invoice", 6100, 6500, {"invoice": "5531"},
                       {"payment_id": "p_88", "status": "scheduled"}))  # fmt: skip
    return classify_otlp(spans, tmp_path / "approval_wait.otlp.json", scope="openinference.instrumentation.mastra")


def _fired(found: pl.DataFrame) -> list[str]:
    return found.filter(pl.col("detector") == "unguarded_irreversible").get_column("decisive_span_id").to_list()


def test_near_miss_the_wait_tools_approved_result_guards_the_payment(tmp_path: Path) -> None:
    found = _run(tmp_path, {"decision": "approved", "approver": "U02", "approverName": "Ana Ruiz"})
    assert _fired(found) == []


def test_a_request_only_posted_is_no_approval(tmp_path: Path) -> None:
    assert _fired(_run(tmp_path, None)) == ["b000000000000003"]


def test_a_wait_that_returned_a_rejection_is_no_approval(tmp_path: Path) -> None:
    assert _fired(_run(tmp_path, {"decision": "rejected", "approver": "U02"})) == ["b000000000000003"]


def test_a_wait_that_timed_out_is_no_approval(tmp_path: Path) -> None:
    assert _fired(_run(tmp_path, {"decision": None, "status": "timeout"})) == ["b000000000000003"]
