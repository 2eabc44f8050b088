"""A call cancelled because its agent stopped at a guardrail's tripwire did not fail on its own.

The OpenAI Agents SDK runs input guardrails alongside the agent; when one trips, the runner cancels
the work still in flight and raises InputGuardrailTripwireTriggered (src/agents/run.py
_run_input_guardrails; docs "Guardrails": the guardrail "can immediately raise an error, which stops
the expensive model from running"). The model call cut off that way ends with a cancellation under
the agent span that records the tripwire: part of the designed stop, not an unhandled failure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forensics.classify import classify
from forensics.load import load

TRACE = "5d0c" * 8


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def _span(sid: str, parent: str | None, name: str, t0: float, t1: float, attrs: dict[str, Any],
          error: str | None = None, events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {
        "traceId": TRACE, "spanId": sid, "name": name, "kind": 1,
        "startTimeUnixNano": str(int((1_760_000_000 + t0) * 1e9)),
        "endTimeUnixNano": str(int((1_760_000_000 + t1) * 1e9)),
        "attributes": [_attr(k, v) for k, v in attrs.items()],
        "status": {"code": 2, "message": error} if error else {},
    }
    if parent:
        s["parentSpanId"] = parent
    if events:
        s["events"] = events
    return s


def _export(agent_error: tuple[str, str], chat_error: tuple[str, str]) -> str:
    """A chat app's POST handler: the agent span (its guardrail and its model call) and the reply."""
    etype, emsg = agent_error
    ctype, cmsg = chat_error
    spans = [
        _span("a000000000000001", None, "POST /ask", 0, 3, {"http.request.method": "POST", "http.response.status_code": 200}),
        _span("a000000000000002", "a000000000000001", "invoke_agent Tutor", 0.1, 2.0,
              {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Tutor", "error.type": etype}, emsg,
              [{"timeUnixNano": str(int((1_760_000_000 + 2.0) * 1e9)), "name": "exception",
                "attributes": [_attr("exception.type", etype), _attr("exception.message", emsg)]}]),
        _span("a000000000000003", "a000000000000002", "chat gpt-4o-mini", 0.2, 1.5,
              {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.agent.name": "Check"}),
        _span("a000000000000004", "a000000000000002", "chat gpt-4o", 0.2, 1.6,
              {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "error.type": ctype}, cmsg),
        _span("a000000000000005", "a000000000000001", "send_reply", 2.1, 2.5, {"reply": "I can't help with that one."}),
    ]
    req = {"resourceSpans": [{"resource": {"attributes": [_attr("service.name", "tutor")]},
                              "scopeSpans": [{"scope": {"name": "app"}, "spans": spans}]}]}
    return json.dumps(req) + "\n"


def _detectors(tmp_path: Path, agent_error: tuple[str, str], chat_error: tuple[str, str]) -> set[str]:
    f = tmp_path / "trace.jsonl"
    f.write_text(_export(agent_error, chat_error))
    findings, _ = classify(load([f]).spans).to_polars()
    return set(findings.get_column("detector").to_list())


TRIPWIRE = ("InputGuardrailTripwireTriggered", "Guardrail InputGuardrail triggered tripwire")


def test_a_model_call_cancelled_by_a_tripwire_is_no_failure(tmp_path: Path) -> None:
    # Firing (of the convention): the cancellation as asyncio writes it, or as a status saying so.
    for chat in (("asyncio.exceptions.CancelledError", ""), ("cancelled", "task cancelled")):
        found = _detectors(tmp_path, TRIPWIRE, chat)
        assert not found & {"unhandled_error", "swallowed_error"}, (chat, found)


def test_a_cancelled_call_under_an_agent_that_failed_otherwise_still_failed(tmp_path: Path) -> None:
    # Near-misses: the agent stopped on a timeout, not a tripwire; or under the tripwire the model
    # call failed with its own error (a 500), not a cancellation.
    timeout = ("APITimeoutError", "Request timed out.")
    failures = {"unhandled_error", "swallowed_error"}
    assert failures & _detectors(tmp_path, timeout, ("asyncio.exceptions.CancelledError", ""))
    assert failures & _detectors(tmp_path, TRIPWIRE, ("InternalServerError", "Error code: 500"))
