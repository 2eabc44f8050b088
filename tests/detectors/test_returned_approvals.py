"""An approval a person gave, returned to the run before the irreversible call: the call was guarded.

AutoGen-core's tool span records no result (autogen_core/_telemetry/_genai.py ``trace_tool_span``:
``gen_ai.operation.name`` execute_tool, ``gen_ai.tool.name``, ``gen_ai.tool.description``,
``gen_ai.tool.call.id``); the tool's answer reaches the model in the next chat span's prompt, as
the OpenAI instrumentation of the older GenAI conventions writes it (opentelemetry-instrumentation-
openai ``_set_prompts``: ``gen_ai.prompt.{i}.role`` ``tool``, ``gen_ai.prompt.{i}.content``). A
blocking ``wait_for_approval`` tool answers with the request's record once decided (an approval
service's ``pending -> approved | rejected | expired``: adk-docs "Long Running Function Tool"): an
approval naming its decider guards the refund after it; an expired request, or one the acting agent
decided itself, does not. An application's JSON-lines log writes the same answer as an event of its
own (``approval.granted`` with ``approved_by``; the JSON-lines loader: ``event`` -> the span's name).
An agent's own call granting a change request (``approve_change_request``) is no person's review.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import classify_otlp, otlp_span

import forensics

ROOT = "a000000000000001"


def _chat(sid: str, start: int, prompt: dict[str, Any], call: str, args: dict[str, Any]) -> dict[str, Any]:
    return otlp_span(sid, ROOT, "chat gpt-4o", start, start + 400, {
        "gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.prompt.0.role": prompt["role"], "gen_ai.prompt.0.content": prompt["content"],
        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.tool_calls.0.id": f"call_{sid}",
        "gen_ai.completion.0.tool_calls.0.name": call, "gen_ai.completion.0.tool_calls.0.arguments": json.dumps(args),
    })  # fmt: skip


def _tool(sid: str, name: str, start: int, end: int) -> dict[str, Any]:
    return otlp_span(sid, ROOT, f"execute_tool {name}", start, end, {
        "gen_ai.operation.name": "execute_tool", "gen_ai.system": "autogen", "gen_ai.tool.name": name,
        "gen_ai.tool.call.id": f"call_{sid}", "gen_ai.tool.description": f"{name} tool",
    })  # fmt: skip


def _autogen(tmp_path: Path, answer: dict[str, Any]) -> list[str]:
    """Ask for approval, wait for it (the answer only in the next prompt), refund."""
    spans = [
        otlp_span(ROOT, "", "invoke_agent billing_agent", 0, 90000,
                  {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "billing_agent"}),
        _chat("c000000000000001", 10, {"role": "user", "content": "Refund charge ch_77 ($900); over $500 needs approval."},
              "request_refund_approval", {"charge": "ch_77"}),
        _tool("b000000000000001", "request_refund_approval", 500, 700),
        _chat("c000000000000002", 800, {"role": "tool", "content": json.dumps({"request_id": "apr_41", "status": "pending"})},
              "wait_for_approval", {"request_id": "apr_41"}),
        _tool("b000000000000002", "wait_for_approval", 1300, 60000),
        _chat("c000000000000003", 60100, {"role": "tool", "content": json.dumps(answer)}, "create_refund", {"charge": "ch_77"}),
        _tool("b000000000000003", "create_refund", 60600, 61000),
        otlp_span("c000000000000004", ROOT, "chat gpt-4o", 61100, 61500, {
            "gen_ai.operation.name": "chat", "gen_ai.prompt.0.role": "tool",
            "gen_ai.prompt.0.content": json.dumps({"id": "re_9", "status": "succeeded"}),
            "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Refund issued."}),
    ]  # fmt: skip
    found = classify_otlp(spans, tmp_path / "autogen_approval.otlp.json", scope="autogen-core")
    return found.filter(pl.col("detector") == "unguarded_irreversible").get_column("decisive_span_id").to_list()


def test_near_miss_an_approval_returned_only_in_the_next_prompt_guards_the_refund(tmp_path: Path) -> None:
    answer = {"request_id": "apr_41", "status": "approved", "decided_by": "r.ito@finance.example", "decided_at": "2025-01-02T10:00:00Z"}
    assert _autogen(tmp_path, answer) == []


def test_an_expired_request_returned_in_the_next_prompt_guards_nothing(tmp_path: Path) -> None:
    answer = {"request_id": "apr_41", "status": "expired", "decided_by": None}
    assert _autogen(tmp_path, answer) == ["b000000000000003"]


def test_an_approval_the_acting_agent_decided_itself_guards_nothing(tmp_path: Path) -> None:
    answer = {"request_id": "apr_41", "status": "approved", "decided_by": "billing_agent"}
    assert _autogen(tmp_path, answer) == ["b000000000000003"]


def test_an_approved_state_naming_no_decider_is_not_read_from_the_prompt(tmp_path: Path) -> None:
    assert _autogen(tmp_path, {"request_id": "apr_41", "status": "approved"}) == ["b000000000000003"]


def _app_log(tmp_path: Path, event: dict[str, Any]) -> list[str]:
    """An application's JSON-lines log: the approval's event, then the transfer."""
    base = {"level": "info", "run_id": "pay-1", "trace_id": "t1", "parent_span_id": "root", "agent": "payables"}
    lines = [
        {**base, "ts": "2025-03-01T10:00:01Z", "span_id": "s1", "event": "tool.result", "tool": "erp.get_invoice",
         "args": {"invoice_id": "INV-1"}, "status": "ok", "result": {"due": "2025-03-05"}},
        {**base, "ts": "2025-03-01T10:12:00Z", "start_ts": "2025-03-01T10:00:02Z", "span_id": "s2",
         "tool": "approvals.create_request", "approval_id": "apr_7", **event},
        {**base, "ts": "2025-03-01T10:12:03Z", "span_id": "s3", "event": "tool.result", "tool": "payments.create_transfer",
         "args": {"invoice": "INV-1", "amount": 30000, "approval_id": "apr_7"}, "status": "ok",
         "result": {"transfer_id": "trf_1", "state": "executed"}},
        {**base, "ts": "2025-03-01T10:12:04Z", "span_id": "root", "parent_span_id": None, "event": "run.finished",
         "status": "success", "summary": "Paid INV-1."},
    ]  # fmt: skip
    path = tmp_path / "payables.log.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    found = pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))
    return found.filter(pl.col("detector") == "unguarded_irreversible").get_column("decisive_span_id").to_list()


def test_near_miss_an_application_event_granting_the_approval_guards_the_transfer(tmp_path: Path) -> None:
    assert _app_log(tmp_path, {"event": "approval.granted", "status": "approved", "approved_by": "m.lee"}) == []


def test_an_application_event_saying_the_approval_expired_guards_nothing(tmp_path: Path) -> None:
    assert _app_log(tmp_path, {"event": "approval.expired", "status": "expired", "waited_s": 3600}) == ["s3"]


def _change(tmp_path: Path, gate: str, result: dict[str, Any]) -> list[str]:
    """A change request, its approval (a person's through a wait, or the agent's own call), a delete."""
    def tool(sid: str, name: str, start: int, args: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        return otlp_span(sid, ROOT, f"execute_tool {name}", start, start + 300, {
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name,
            "gcp.vertex.agent.tool_call_args": json.dumps(args), "gcp.vertex.agent.tool_response": json.dumps(out)})  # fmt: skip

    spans = [
        otlp_span(ROOT, "", "invoke_agent infra_agent", 0, 9000,
                  {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "infra_agent"}),
        tool("b000000000000001", "create_change_request", 100, {"title": "Delete bucket old-logs"},
             {"id": "CHG1", "state": "pending_approval"}),
        tool("b000000000000002", gate, 1000, {"id": "CHG1"}, result),
        tool("b000000000000003", "delete_bucket", 5000, {"bucket": "old-logs", "force": True}, {"deleted": True}),
    ]  # fmt: skip
    found = classify_otlp(spans, tmp_path / "adk_change.otlp.json", scope="gcp.vertex.agent")
    return found.filter(pl.col("detector") == "unguarded_irreversible").get_column("decisive_span_id").to_list()


def test_near_miss_a_person_approving_the_change_request_guards_the_delete(tmp_path: Path) -> None:
    result = {"id": "CHG1", "state": "approved", "approved_by": "dana@example.com"}
    assert _change(tmp_path, "wait_for_change_approval", result) == []


def test_the_agent_approving_its_own_change_request_guards_nothing(tmp_path: Path) -> None:
    result = {"id": "CHG1", "state": "approved", "approved_by": "svc-infra@example.iam.gserviceaccount.com"}
    assert _change(tmp_path, "approve_change_request", result) == ["b000000000000003"]
