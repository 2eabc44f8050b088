"""budget_exceeded (a turn limit that stopped the run): decisive where the limit was raised, however
deep, not on the app's spans that carried the exception up.

OpenAI Agents SDK: when a run passes ``max_turns`` the Runner records ``SpanError("Max turns
exceeded", {"max_turns": n})`` on the agent's span and raises ``MaxTurnsExceeded`` ("Max turns (n)
exceeded") (openai-agents ``src/agents/run.py``; ``src/agents/exceptions.py``). An app that wraps
``Runner.run`` in spans of its own (a ``custom_span`` per workflow stage, ``src/agents/tracing``)
sees the exception pass through them: the outer span records it, the stage between them may say
nothing. The agent's span is where the limit stopped the run. Near miss: the same nesting with the
agent finishing inside its turns stays clean.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, run_row, span

INVOICES = [f"INV-884{i:02d}" for i in range(10, 17)]


def _run(limit: bool) -> list[dict]:
    rows = [
        span("app", 0, 40, kind="chain", name="reconcile_vendor_statement",
             status="error" if limit else "ok", error_type="MaxTurnsExceeded" if limit else None,
             error_message="Max turns (10) exceeded" if limit else None,
             output=None if limit else "Matched 7 of 7 invoices on statement VS-0418."),
        span("stage", 0.01, 39, parent_id="app", kind="chain", name="ap-reconciliation"),
        span("agent", 0.02, 38, parent_id="stage", kind="agent", name="Reconciler", agent="Reconciler",
             status="error" if limit else "ok", error_message="Max turns exceeded: {'max_turns': 10}" if limit else None),
    ]  # fmt: skip
    t = 1.0
    for i, inv in enumerate(INVOICES):
        rows.append(span(f"m{i}", t, t + 1, parent_id="agent", kind="llm", name="response", agent="Reconciler", model="gpt-4.1",
                         output=json.dumps({"output": [{"type": "function_call", "name": "match_payment"}]})))
        rows.append(span(f"t{i}", t + 1.2, t + 2, parent_id="agent", kind="tool", name="match_payment", tool="match_payment",
                         agent="Reconciler", input=json.dumps({"invoice_id": inv}),
                         output=json.dumps({"invoice_id": inv, "matched": True})))  # fmt: skip
        t += 3
    if not limit:
        rows.append(span("fin", t, t + 1, parent_id="agent", kind="llm", name="response", agent="Reconciler", model="gpt-4.1",
                         output="Matched 7 of 7 invoices on statement VS-0418."))  # fmt: skip
    return rows


def test_the_limit_is_decided_on_the_agent_that_hit_it_not_the_app_span_above() -> None:
    c = run(*_run(limit=True))
    f = one(c, "budget_exceeded")
    assert f["decisive_span_id"] == "agent"
    assert run_row(c)["decisive_span_id"] == "agent"


def test_near_miss_the_same_nesting_finishing_within_its_turns_is_clean() -> None:
    c = run(*_run(limit=False))
    assert "budget_exceeded" not in detectors(c)
