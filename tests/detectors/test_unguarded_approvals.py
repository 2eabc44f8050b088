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
