"""A CrewAI tool that raised: ToolUsage hands the agent its own sentence as the call's result.

crewAIInc/crewAI src/crewai/translations/en.json "tool_usage_exception": "I encountered an error while
trying to use the tool. This was the error: {error}.\\n Tool {tool} accepts these inputs:
{tool_inputs}" (src/crewai/tools/tool_usage.py returns it; the OpenInference tool span ends OK). A
write sent to a read-only PostgreSQL replica raises "cannot execute UPDATE in a read-only
transaction" (postgres src/backend/tcop/utility.c PreventCommandIfReadOnly). The call failed and the
model was shown the error (forensics/conventions/smol_steps.py ``_CREWAI_TOOL_SAID_FAILED``).

Firing: the model answers the work done over it. Near miss: the model reads it and redoes the
write on the primary, which succeeds.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

REFUSED = (
    "I encountered an error while trying to use the tool. This was the error: cannot execute UPDATE in a read-only "
    "transaction.\n Tool orders db (replica) accepts these inputs: Tool Name: orders db (replica)\nTool Arguments: "
    "{'sql': {'description': 'SQL statement to run', 'type': 'str'}}"
)
UPDATE = "UPDATE stock SET on_hand = on_hand + 3 WHERE sku = 'MUG-12' RETURNING on_hand"


def _crew(*after: dict[str, object], answer: str):
    return run(
        span("kick", 0, 20, kind="chain", name="Stock Crew.kickoff", output=answer),
        span("ag", 1, 19, parent_id="kick", kind="agent", name="Stock Clerk", agent="Stock Clerk"),
        span("l1", 2, 3, parent_id="ag", kind="llm", model="gpt-4o-mini",
             output=f"Action: orders db (replica)\nAction Input: {{\"sql\": \"{UPDATE}\"}}"),  # fmt: skip
        span("t1", 4, 5, parent_id="ag", kind="tool", tool="orders db (replica)", input='{"tool_string": ""}', output=REFUSED),
        *after,
        span("l9", 12, 13, parent_id="ag", kind="llm", model="gpt-4o-mini", output=f"Final Answer: {answer}"),
    )


def test_refused_write_reported_done() -> None:
    # The failed write, never redone, under an answer that says it was done: swallowed, decisive the call.
    c = _crew(answer="Restocked 3 units of MUG-12. The inventory is updated.")
    assert detectors(c) == {"swallowed_error"}
    assert one(c, "swallowed_error")["decisive_span_id"] == "t1"


def test_near_miss_redone_on_the_primary() -> None:
    assert detectors(_crew(
        span("l2", 6, 7, parent_id="ag", kind="llm", model="gpt-4o-mini",
             output=f"Thought: the replica is read-only.\nAction: orders db (primary)\nAction Input: {{\"sql\": \"{UPDATE}\"}}"),
        span("t2", 8, 9, parent_id="ag", kind="tool", tool="orders db (primary)", input='{"tool_string": ""}',
             output="UPDATE 1\n on_hand\n---------\n       17\n(1 row)"),
        answer="Restocked 3 units of MUG-12 on the primary (the replica is read-only). On-hand is now 17.",
    )) == set()  # fmt: skip
