"""A Strands Swarm node hands off through one tool, ``handoff_to_agent``, whose ``agent_name`` argument
names the next node (strands-agents/sdk-python src/strands/multiagent/swarm.py ``_create_handoff_tool``:
``handoff_to_agent(agent_name, message, context)`` makes ``swarm_ref.nodes[agent_name]`` the current
node, answers "Handed off to {agent_name}: {message}", and the swarm then runs that node as an
``invoke_agent <node>`` span). Its suffix, "agent", names nobody: read as ``handoff_to_<alias>`` every
handoff of a healthy swarm went to an agent named "agent" that never ran."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans


def _swarm(target: str | None, *after: dict[str, Any]) -> list[dict[str, Any]]:
    args = None if target is None else json.dumps({"agent_name": target, "message": "Patch applied; please review."})
    return [
        span("root", 0, 60, kind="agent", name="invoke_swarm", input="Address the review comments on PR #88.",
             output="Review approved."),
        span("a1", 1, 20, parent_id="root", kind="agent", agent="implementer", name="invoke_agent implementer",
             output="Patch applied and handed to review."),
        span("l1", 2, 4, parent_id="a1", kind="llm", model="claude-sonnet-4", agent="implementer"),
        span("t1", 5, 5.2, parent_id="a1", kind="tool", name="execute_tool handoff_to_agent", tool="handoff_to_agent",
             agent="implementer", input=args, output='{"status": "success"}'),
        *after,
    ]  # fmt: skip


def _handoff(rows: list[dict[str, Any]]) -> dict[str, Any]:
    table = pl.DataFrame(pl.from_arrow(spans(*rows)))
    return table.filter(pl.col("span_id") == "t1").select("kind", "handoff_to").to_dicts()[0]


def test_the_target_is_the_agent_name_argument_and_a_node_that_never_runs_dangles() -> None:
    rows = _swarm("reviewer")
    assert _handoff(rows) == {"kind": "handoff", "handoff_to": "reviewer"}
    assert "dangling_handoff" in detectors(run(*rows))


def test_near_miss_the_named_node_runs_next() -> None:
    taken = span("a2", 21, 50, parent_id="root", kind="agent", agent="reviewer", name="invoke_agent reviewer",
                 output="Review approved.")  # fmt: skip
    rows = _swarm("reviewer", taken)
    assert _handoff(rows)["handoff_to"] == "reviewer"
    assert "dangling_handoff" not in detectors(run(*rows))


def test_without_the_argument_the_suffix_is_read_as_before() -> None:
    assert _handoff(_swarm(None)) == {"kind": "handoff", "handoff_to": "agent"}
