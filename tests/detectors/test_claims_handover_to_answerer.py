"""A handoff to the agent that answers does not back its claim of passing the case on.

OpenAI Agents SDK (src/agents/_run_impl.py execute_handoffs): a model response asking for two
handoffs gets only the first; the others are answered "Multiple handoffs detected, ignoring this
one." and the handoff span, to_agent the first, carries SpanError "Multiple handoffs requested". The
Billing Agent handed to then says "I've also passed your request to cancel the line ... to our
cancellations team": the only handoff brought the case to Billing, none went on from it. Near miss:
Billing itself handed the case to the Cancellation Agent.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

ANSWER = ("I've credited the duplicate June charge of $64.99 (credit CR-30981). I've also passed your request to cancel "
          "the line ending 2231 to our cancellations team - you'll get a confirmation email once it's processed.")  # fmt: skip
DATA = '{"@error_data": {"requested_agents": ["Billing Agent", "Cancellation Agent"]}}'


def _run(*extra: dict[str, object]):
    return run(
        span("triage", 0, 3, kind="agent", name="Triage Agent", agent="Triage Agent"),
        span("l0", 0.5, 1, parent_id="triage", kind="llm", agent="Triage Agent", model="gpt-4.1-mini"),
        span("h1", 1.5, 1.6, parent_id="triage", kind="handoff", agent="Triage Agent", handoff_to="Billing Agent",
             status="error", error_message="Multiple handoffs requested", attributes=DATA),  # fmt: skip
        span("billing", 4, 20, kind="agent", name="Billing Agent", agent="Billing Agent"),
        span("t1", 5, 6, parent_id="billing", kind="tool", agent="Billing Agent", tool="credit_account",
             input=json.dumps({"charge_id": "CHG-77121", "amount": 64.99}), output="{'credit_id': 'CR-30981', 'status': 'posted'}"),  # fmt: skip
        *extra,
        span("l2", 15, 16, parent_id="billing", kind="llm", agent="Billing Agent", model="gpt-4.1-mini", output=ANSWER),
    )


def test_the_handoff_that_brought_the_case_does_not_back_passing_it_on() -> None:
    f = one(_run(), "claimed_but_not_done")
    assert "handing the case over" in f["explanation"]


def test_near_miss_a_handoff_from_the_answering_agent_backs_it() -> None:
    on = span("h2", 10, 10.1, parent_id="billing", kind="handoff", agent="Billing Agent", handoff_to="Cancellation Agent")
    assert "claimed_but_not_done" not in detectors(_run(on))
