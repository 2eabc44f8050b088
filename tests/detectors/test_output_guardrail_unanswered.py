"""unhandled_error on an output guardrail that withheld the answer with nothing after it.

The OpenAI Agents SDK runs output guardrails on the agent's final output after its last model
response (src/agents/run.py _run_output_guardrails); a tripwire marks the agent span "Guardrail
tripwire triggered" and raises OutputGuardrailTripwireTriggered. Uncaught, the run ends with no
answer. An input guardrail (started with the agent, beside its first model call) that blocks the
request is the guardrail doing its job; an application that catches the trip and answers (a Guard
agent refusing, a canned reply) gave the request a defined path.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

OA = {"source_format": "openai-agents"}
TRIP = {"status": "error", "error_message": "Guardrail tripwire triggered"}


def _pharmacy(*after: dict[str, object], guard_start: float = 5.0) -> list[dict[str, object]]:
    return [
        span("a1", 0, 7, kind="agent", name="Pharmacy Concierge", **TRIP, **OA),
        span("m1", 0.1, 1.5, parent_id="a1", kind="llm", name="response", **OA),
        span("t1", 1.6, 2.0, parent_id="a1", kind="tool", name="lookup_prescription", input='{"rx": "RX-88"}',
             output='{"dob": "1961-03-02"}', **OA),
        span("m2", 2.1, 4.5, parent_id="a1", kind="llm", name="response", **OA),
        span("g1", guard_start, 6.8, parent_id="a1", kind="guardrail", name="phi_leak_check",
             attributes='{"triggered": true}', **OA),
        *after,
    ]


def test_an_output_guardrail_trip_with_nothing_after_is_unhandled() -> None:
    f = one(run(*_pharmacy()), "unhandled_error")
    assert f["decisive_span_id"] == "g1"
    assert "output guardrail phi_leak_check tripped" in f["explanation"]


def test_near_misses_a_refusal_after_the_trip_or_an_input_guardrail() -> None:
    refusal = span("a2", 7.1, 8.5, kind="agent", name="Guard", output="I can't share another person's details.", **OA)
    assert "unhandled_error" not in detectors(run(*_pharmacy(refusal)))
    # Started with the agent, beside its first model call: an input guardrail blocking the request.
    assert "unhandled_error" not in detectors(run(*_pharmacy(guard_start=0.05)))
