"""A handoff whose result names the agent now answering was taken when that agent works.

The OpenAI Agents SDK's handoff tool answers ``{'assistant': '<agent.name>'}``
(Handoff.get_transfer_message, src/agents/handoffs.py); ``handoff(agent, tool_name_override=...)``
lets the tool be called anything, so ``transfer_to_billing`` can hand to "Billing Agent". Near
misses: the named agent never works; the result names nobody (the name alone is then the target).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _session(result: str, receiver: str | None = "Billing Agent"):
    after = [
        span("a2", 4, 9, kind="agent", agent=receiver, name=receiver),
        span("l2", 5, 6, parent_id="a2", kind="llm", model="gpt-4o", output="The duplicate charge is refunded."),
    ] if receiver else []  # fmt: skip
    return run(
        span("a1", 0, 3, kind="agent", agent="Triage Agent", name="Triage Agent"),
        span("u", 0.1, 0.1, parent_id="a1", kind="human", output="I was charged twice."),
        span("l1", 1, 1.5, parent_id="a1", kind="llm", model="gpt-4o", output=""),
        span("h", 2, 2.2, parent_id="a1", kind="tool", tool="transfer_to_billing", input="{}", output=result),
        *after,
    )


def test_the_agent_the_result_names_took_it() -> None:
    assert "dangling_handoff" not in detectors(_session("{'assistant': 'Billing Agent'}"))


def test_near_miss_named_agent_never_works_or_no_name() -> None:
    assert one(_session("{'assistant': 'Billing Agent'}", receiver=None), "dangling_handoff")["decisive_span_id"] == "h"
    assert one(_session("ok"), "dangling_handoff")["decisive_span_id"] == "h"
