"""unguarded_irreversible and the approvals it reads from inside a call or a paused run: one that
fires, near misses for each."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _gated_delete(gate_output: str | None):
    """A LangGraph tool node's delete_branch wrapped in a blocking approval decorator (HumanLayer
    require_approval): the gate's span sits inside the tool's span and returns the decision."""
    rows = [
        span("g", 0, 300, kind="chain", name="LangGraph.workflow",
             input=json.dumps({"messages": [["user", "remove the stale release branch"]]})),
        span("m1", 1, 2, parent_id="g", kind="llm", name="gpt-4.1", output="Deleting it."),
        span("d", 3, 200, parent_id="g", kind="tool", name="delete_branch", tool="delete_branch",
             input=json.dumps({"repo": "acme/web", "branch": "release/2025.09"}),
             output='{"output": "deleted release/2025.09"}'),
        span("m2", 201, 202, parent_id="g", kind="llm", name="gpt-4.1", output="Deleted the branch."),
    ]
    if gate_output is not None:
        rows.append(span("a", 3.1, 190, parent_id="d", kind="chain", name="require_approval.task",
                         input=json.dumps({"fn": "delete_branch"}), output=gate_output))
    return run(*rows)


def test_unguarded_irreversible_fires_on_a_delete_with_no_gate_inside_it() -> None:
    assert one(_gated_delete(None), "unguarded_irreversible")["decisive_span_id"] == "d"


def test_near_miss_a_gate_inside_the_call_returned_the_persons_approval() -> None:
    assert "unguarded_irreversible" not in detectors(
        _gated_delete('{"approved": true, "approver": "mhernandez", "comment": "ok"}')
    )


def test_a_gate_inside_the_call_that_declined_approved_nothing() -> None:
    c = _gated_delete('{"approved": false, "approver": "mhernandez", "comment": "keep it"}')
    assert one(c, "unguarded_irreversible")["decisive_span_id"] == "d"


OA = {"source_format": "openai-agents"}
WIPE = json.dumps({"customer_ref": "cus_8812", "systems": ["crm", "billing"]})


def _approval_flow(resumed: bool, resumed_args: str = WIPE):
    """OpenAI Agents SDK needs_approval: the first function span records the arguments and no
    output (the ToolApprovalItem returned uninvoked, the turn ends in an interruption); the run
    resumed from its RunState (same trace) executes the approved call before any model call."""
    rows = [
        span("a1", 0, 6, kind="agent", name="Data Steward", **OA),
        span("m1", 1, 2, parent_id="a1", kind="llm", name="response", **OA),
        span("t1", 3, 3.01, parent_id="a1", kind="tool", name="delete_customer_records", input=WIPE, output=None, **OA),
    ]
    if resumed:
        rows += [
            span("a2", 360, 366, kind="agent", name="Data Steward", **OA),
            span("t2", 360.1, 362, parent_id="a2", kind="tool", name="delete_customer_records", input=resumed_args,
                 output="{'deleted': {'crm': 1, 'billing': 1}}", **OA),
            span("m2", 362.1, 365, parent_id="a2", kind="llm", name="response", **OA),
        ]
    return run(*rows)


def test_near_miss_a_call_resumed_after_its_approval_is_guarded_and_ran_once() -> None:
    found = detectors(_approval_flow(resumed=True))
    assert "unguarded_irreversible" not in found
    assert "duplicate_side_effect" not in found


def test_a_call_waiting_for_approval_nobody_answered_did_not_act_but_is_an_escalation() -> None:
    found = detectors(_approval_flow(resumed=False))
    assert "unguarded_irreversible" not in found
    assert "unacknowledged_escalation" in found


def test_a_call_whose_result_went_back_to_the_model_ran_and_is_unguarded() -> None:
    # The same function span with no output, but the agent's next model call follows it: it ran.
    c = run(
        span("a1", 0, 6, kind="agent", name="Data Steward", **OA),
        span("m1", 1, 2, parent_id="a1", kind="llm", name="response", **OA),
        span("t1", 3, 3.5, parent_id="a1", kind="tool", name="delete_customer_records", input=WIPE, output=None, **OA),
        span("m2", 4, 5, parent_id="a1", kind="llm", name="response", **OA),
    )
    assert one(c, "unguarded_irreversible")["decisive_span_id"] == "t1"


def test_another_tools_pause_does_not_guard_a_delete() -> None:
    c = run(
        span("a1", 0, 6, kind="agent", name="Treasury", **OA),
        span("m1", 1, 2, parent_id="a1", kind="llm", name="response", **OA),
        span("t1", 3, 3.01, parent_id="a1", kind="tool", name="send_wire", input='{"amount": 48250}', output=None, **OA),
        span("a2", 360, 366, kind="agent", name="Treasury", **OA),
        span("m2", 360.1, 361, parent_id="a2", kind="llm", name="response", **OA),
        span("t2", 361.1, 362, parent_id="a2", kind="tool", name="delete_customer_records", input=WIPE,
             output="{'deleted': {'crm': 1}}", **OA),
        span("m3", 362.1, 365, parent_id="a2", kind="llm", name="response", **OA),
    )
    assert one(c, "unguarded_irreversible")["decisive_span_id"] == "t2"
