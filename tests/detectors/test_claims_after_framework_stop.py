"""claimed_but_not_done: a framework's stop that the application answered by reporting the work done.

The OpenAI Agents SDK ends a run past ``max_turns`` by raising ``MaxTurnsExceeded`` after attaching
``SpanError(message="Max turns exceeded", data={"max_turns": n})`` to the agent span, and a tripped
input guardrail by raising ``InputGuardrailTripwireTriggered`` after attaching
``SpanError("Guardrail tripwire triggered", data={"guardrail": name, "type": "input_guardrail"})``
(openai/openai-agents-python ``src/agents/run.py``, ``src/agents/exceptions.py``); the guardrail's own
span is ``GuardrailSpanData`` with ``triggered`` (``src/agents/tracing/span_data.py``). The run has no
final output: what the user is told comes from the application's ``except`` branch, recorded here as
a ``custom_span`` (``CustomSpanData``: ``{"type": "custom", "name", "data"}``). The traces are the SDK's
native export (tests/agents_sdk_trace.py). forensics/detectors/stopped_claims.py.

Near misses: the same stops answered honestly (the work stopped, nothing done yet); a limit stop
after which a model call wrote the answer itself (smolagents' final answer from memory after max
steps), left to the other claim readings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents_sdk_trace import sdk_generation, sdk_span

import forensics

TRACE = "trace_7a0c4e2b9d1f43a8b6c5e0d2f1a3b4c5"
ASK = "Please move my Thursday 14:00 dentist appointment to next week, any afternoon."
AGENT = {"type": "agent", "name": "Scheduling Agent", "handoffs": [], "tools": ["find_slots", "move_appointment"],
         "output_type": "str"}  # fmt: skip
MAX_TURNS = {"message": "Max turns exceeded", "data": {"max_turns": 4}}
TRIPWIRE = {"message": "Guardrail tripwire triggered", "data": {"guardrail": "no_medical_details", "type": "input_guardrail"}}
CLAIMED = "All set! Your appointment has been moved to next week; a confirmation text is on its way."
HONEST = ("Sorry, I couldn't finish moving your appointment and nothing has been changed yet. "
          "Free slots next week: Tue 15:30 or Wed 16:00; reply with one and we'll book it.")  # fmt: skip


def _lookup(sid: str, start: float) -> dict[str, Any]:
    data = {"type": "function", "name": "find_slots", "input": json.dumps({"week": "next", "part": "afternoon"}),
            "output": "{'slots': ['Tue 15:30', 'Wed 16:00']}", "mcp_data": None}  # fmt: skip
    return sdk_span(TRACE, sid, "a1", start, start + 0.5, data)


def _reply(start: float, text: str) -> dict[str, Any]:
    data = {"type": "custom", "name": "send_patient_reply", "data": {"channel": "sms", "text": text}}
    return sdk_span(TRACE, "r1", None, start, start + 0.3, data)


def _found(tmp_path: Path, records: list[dict[str, Any]]) -> dict[str, str]:
    path = tmp_path / "scheduling.jsonl"
    head = {"object": "trace", "id": TRACE, "workflow_name": "Appointments", "group_id": None, "metadata": {}}
    path.write_text("\n".join(json.dumps(r) for r in [head, *records]) + "\n")
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    f = findings.filter(findings["detector"] == "claimed_but_not_done")
    return dict(zip(f["detector"].to_list(), f["decisive_span_id"].to_list(), strict=True))


def _turn_limit(answer: str) -> list[dict[str, Any]]:
    """Four turns of lookups, no move, the turn limit on the agent span, then the app's reply."""
    calls = []
    for i in range(4):
        calls.append(sdk_generation(TRACE, f"g{i}", 1 + 2 * i, 1.5 + 2 * i, ASK, [{"role": "assistant", "content": None}]))
        calls.append(_lookup(f"f{i}", 1.6 + 2 * i))
    return [*calls, sdk_span(TRACE, "a1", None, 0, 9, AGENT, MAX_TURNS), _reply(9.5, answer)]


def _tripped(answer: str) -> list[dict[str, Any]]:
    """The input guardrail tripped before the agent's first model call; then the app's reply."""
    guard = {"type": "guardrail", "name": "no_medical_details", "triggered": True}
    return [sdk_span(TRACE, "gr", "a1", 0.1, 0.8, guard), sdk_span(TRACE, "a1", None, 0, 1, AGENT, TRIPWIRE),
            _reply(1.5, answer)]  # fmt: skip


def test_a_turn_limit_answered_with_the_work_done_is_claimed_but_not_done(tmp_path: Path) -> None:
    # Decisive: the agent span the SDK stopped, where the work was lost.
    assert _found(tmp_path, _turn_limit(CLAIMED)) == {"claimed_but_not_done": "span_0000000000000000000000a1"}


def test_a_tripwire_answered_with_the_request_submitted_is_claimed_but_not_done(tmp_path: Path) -> None:
    said = "Done! Your reschedule request has been submitted (RS-2231). You'll get a text when it is confirmed."
    assert _found(tmp_path, _tripped(said)) == {"claimed_but_not_done": "span_0000000000000000000000a1"}


def test_near_miss_the_stops_answered_honestly(tmp_path: Path) -> None:
    assert _found(tmp_path, _turn_limit(HONEST)) == {}
    told = "I can't take medical details in this chat, so no request was made. Please call the front desk."
    assert _found(tmp_path, _tripped(told)) == {}
    # Work left and the limit told, though part was done: an honest partial report.
    partial = "Stopped at the turn limit: 2 of 3 reminders have been sent; the third is still pending."
    assert _found(tmp_path, _turn_limit(partial)) == {}


def test_near_miss_a_model_answered_after_the_stop(tmp_path: Path) -> None:
    # A model call after the stop wrote the answer: the model's own words, for the other readings
    # (here the offered move_appointment never called: its claim reading may fire, not this one).
    after = sdk_generation(TRACE, "g9", 10, 11, ASK, [{"role": "assistant", "content": CLAIMED}])
    records = [*_turn_limit(CLAIMED)[:-1], after]
    path = tmp_path / "after.jsonl"
    head = {"object": "trace", "id": TRACE, "workflow_name": "Appointments", "group_id": None, "metadata": {}}
    path.write_text("\n".join(json.dumps(r) for r in [head, *records]) + "\n")
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    assert not [e for e in findings["explanation"].to_list() if "was stopped by" in e and "reports the work done" in e]
