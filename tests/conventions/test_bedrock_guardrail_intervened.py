"""A Bedrock guardrail that intervened is the deployment's guardrail doing its job, not a failure.

Strands' ``BedrockModel`` sends the app's ``guardrailConfig`` (``guardrail_id``, ``guardrail_version``)
with every Converse request (strands-agents/sdk-python ``src/strands/models/bedrock.py``
``format_request``). When the guardrail blocks, Bedrock answers with ``stopReason``
``guardrail_intervened`` and the guardrail's configured message in place of the output; Strands
redacts the turn in its history (``_generate_redaction_events``) and ``end_model_invoke_span``
(``src/strands/telemetry/tracer.py``) writes the stop reason as the ``gen_ai.choice`` event's
``finish_reason``, on a span that ends OK. The agent answered with what the guardrail allowed:
a designed stop. Firing twin: the same trace stopped by the provider's own filter
(``stopReason`` ``content_filtered``: the output withheld) under an answer that says nothing of it is
a swallowed failure (conventions ``content_filter``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

TRACE = "6b1e0c4f2a9d47e38c5b0a1d2e3f4a5b"
BLOCKED = "Sorry, I can't share that."


def _span(sid: str, parent: str | None, name: str, start: float, end: float, attrs: dict[str, Any],
          events: tuple[tuple[str, dict[str, str]], ...] = ()) -> dict[str, Any]:  # fmt: skip
    ns = 1_700_000_000_000_000_000

    def value(v: Any) -> dict[str, Any]:
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}

    out: dict[str, Any] = {
        "traceId": TRACE, "spanId": sid, "name": name, "kind": 1,
        "startTimeUnixNano": str(ns + int(start * 1e9)), "endTimeUnixNano": str(ns + int(end * 1e9)),
        "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()],
        "events": [{"name": n, "timeUnixNano": str(ns + int(end * 1e9)),
                    "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in a.items()]} for n, a in events],
        "status": {"code": 1},
    }  # fmt: skip
    if parent:
        out["parentSpanId"] = parent
    return out


def _trace(tmp_path: Path, stop_reason: str) -> Path:
    sa = {"gen_ai.system": "strands-agents"}
    chat = {**sa, "gen_ai.operation.name": "chat", "gen_ai.request.model": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "gen_ai.usage.input_tokens": 2050, "gen_ai.usage.output_tokens": 118}  # fmt: skip
    tool = {**sa, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_patient_appointments",
            "gen_ai.tool.call.id": "tooluse_1", "gen_ai.tool.status": "success"}  # fmt: skip
    use = '[{"toolUse": {"toolUseId": "tooluse_1", "name": "get_patient_appointments", "input": {"patient_id": "P-1"}}}]'
    found = '[{"text": "{\\"appointments\\": [{\\"start\\": \\"2026-11-27T14:00\\", \\"roster\\": [\\"P-1\\", \\"P-2\\"]}]}"}]'
    final = "Your physiotherapy session is on Thursday at 14:00 at the Riverside clinic."
    spans = [
        _span("2000000000000001", None, "invoke_agent scheduling_assistant", 0, 10,
              {**sa, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "scheduling_assistant"},
              (("gen_ai.user.message", {"content": '[{"text": "When is my appointment, and who else is in the group?"}]'}),
               ("gen_ai.choice", {"message": final, "finish_reason": "end_turn"}))),
        _span("2000000000000002", "2000000000000001", "execute_event_loop_cycle", 0.1, 3.0, {"event_loop.cycle_id": "c1"}),
        _span("2000000000000003", "2000000000000002", "chat", 0.2, 1.0, chat,
              (("gen_ai.choice", {"finish_reason": "tool_use", "message": use}),)),
        _span("2000000000000004", "2000000000000002", "execute_tool get_patient_appointments", 1.1, 2.0, tool,
              (("gen_ai.choice", {"message": found}),)),
        _span("2000000000000005", "2000000000000001", "execute_event_loop_cycle", 3.1, 6.0, {"event_loop.cycle_id": "c2"}),
        _span("2000000000000006", "2000000000000005", "chat", 3.2, 5.9, chat,
              (("gen_ai.choice", {"finish_reason": stop_reason, "message": json.dumps([{"text": BLOCKED}])}),)),
        _span("2000000000000007", "2000000000000001", "execute_event_loop_cycle", 6.1, 9.9, {"event_loop.cycle_id": "c3"}),
        _span("2000000000000008", "2000000000000007", "chat", 6.2, 9.8, chat,
              (("gen_ai.choice", {"finish_reason": "end_turn", "message": json.dumps([{"text": final}])}),)),
    ]  # fmt: skip
    path = tmp_path / "strands.otlp.json"
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "clinic"}}]}
    path.write_text(json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [
        {"scope": {"name": "strands.telemetry.tracer"}, "spans": spans}]}]}))  # fmt: skip
    return path


def _classified(path: Path) -> tuple[set[str], dict[str, Any]]:
    c = forensics.classify(forensics.load(path).spans)
    (run,) = c.runs.to_pylist()
    return {f["detector"] for f in c.findings.to_pylist()}, run


def test_a_bedrock_guardrail_that_intervened_is_a_designed_stop(tmp_path: Path) -> None:
    found, run = _classified(_trace(tmp_path, "guardrail_intervened"))
    assert found == set()
    assert run["ok"] is True


def test_firing_twin_the_providers_content_filter_under_a_success_is_swallowed(tmp_path: Path) -> None:
    found, _ = _classified(_trace(tmp_path, "content_filtered"))
    assert "swallowed_error" in found
