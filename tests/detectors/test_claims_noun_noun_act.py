"""The act a noun-noun tool name ends with, said done in the perfect passive, after the tool failed.

``compliance_review`` has no verb read verb-first ("compliance"); its act is a review. An OpenAI
Agents SDK sub-agent exposed with Agent.as_tool whose input guardrail tripped came back to the
orchestrator as the tool's failure text (as_tool's failure_error_function, src/agents/agent.py;
"An error occurred while running the tool. Please try again. Error: ...", src/agents/tool.py); the
orchestrator filed the contract and said it "has been reviewed".
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

_TRIPPED = "An error occurred while running the tool. Please try again. Error: Guardrail InputGuardrail triggered tripwire"


def _intake(review_ok: bool, answer: str) -> list[dict[str, object]]:
    review = {"output": '{"approved": true, "notes": "liability capped"}'} if review_ok else {
        "status": "error", "error_message": "Error running tool (non-fatal)", "output": _TRIPPED}
    return [
        span("root", 0, 30, kind="agent", name="Intake Orchestrator", agent="Intake Orchestrator"),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4.1", agent="Intake Orchestrator"),
        span("t1", 2, 6, parent_id="root", kind="tool", tool="compliance_review", agent="Intake Orchestrator",
             input='{"input": "Review the Northwind MSA"}', **review),
        span("l2", 7, parent_id="root", kind="llm", model="gpt-4.1", agent="Intake Orchestrator"),
        span("t2", 8, parent_id="root", kind="tool", tool="file_contract", agent="Intake Orchestrator",
             input='{"matter": 4471, "status": "approved"}', output='{"filed": true, "record": "CLM-88213"}'),
        span("l3", 12, parent_id="root", kind="llm", model="gpt-4.1", agent="Intake Orchestrator", output=answer),
    ]


_SAID = "The Northwind Logistics MSA has been reviewed and filed as approved under matter 4471 (record CLM-88213)."


def test_a_failed_review_said_done_is_claimed_but_not_done() -> None:
    assert one(run(*_intake(review_ok=False, answer=_SAID)), "claimed_but_not_done")["decisive_span_id"] == "t1"


def test_near_miss_the_review_succeeded() -> None:
    assert "claimed_but_not_done" not in detectors(run(*_intake(review_ok=True, answer=_SAID)))


def test_near_miss_the_answer_says_it_has_not_been_reviewed() -> None:
    said = "The MSA has not been reviewed yet; I filed it as pending under matter 4471."
    assert "claimed_but_not_done" not in detectors(run(*_intake(review_ok=False, answer=said)))
