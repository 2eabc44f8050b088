"""A smolagents run span's class name alone is no fleet of comparable runs.

openinference-instrumentation-smolagents names the run span after the agent's class
(``_wrappers.py`` ``_RunWrapper``: ``f"{instance.__class__.__name__}.run"``) and records the
agent's configuration beside it (``_smolagent_run_attributes``: ``smolagents.tools_names``,
``smolagents.managed_agents.<i>.name``). Where the configuration is recorded, runs of one class
with the same tools are runs of one agent (runaway_cost._agent_identity); where it is not, a
banking assistant and a ticket summariser are both ``ToolCallingAgent.run``, and a run that pulled
three long threads into its prompt is no runaway against nine short chats of other agents.
"""

from __future__ import annotations

import json

from span_builder import concat, detectors, findings, span, spans

from forensics.classify import classify

_TOOLS = json.dumps({"smolagents.tools_names": ["get_ticket", "final_answer"]})


def _smol_run(run_id: str, tokens: list[int], task: str, configured: bool):
    return spans(
        span("root", 0, 60, kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent.run",
             input=json.dumps({"task": task}), output="Done.", attributes=_TOOLS if configured else None),
        *[span(f"l{i}", i + 1, i + 1.5, parent_id="root", kind="llm", model="gpt-4o", input_tokens=t,
               output_tokens=500, output="step") for i, t in enumerate(tokens)],
        # A failed step: no run that "made progress at every step" (run_progress) is spared.
        span("bad", 40, 41, parent_id="root", kind="tool", tool="get_ticket", status="error",
             error_message="TimeoutError", input='{"id": "1"}') if run_id == "big" else
        span("ok", 40, 41, parent_id="root", kind="tool", tool="get_ticket", input='{"id": "1"}', output='{"id": "1"}'),
        run_id=run_id,
    )  # fmt: skip


def _fleet(configured: bool):
    small = [_smol_run(f"s{i}", [3_000, 4_000], f"chat about card {i}", configured) for i in range(9)]
    return classify(concat(*small, _smol_run("big", [40_000, 45_000, 44_000], "summarise ZD-1, ZD-2, ZD-3", configured)))


def test_near_miss_class_name_alone_is_no_fleet() -> None:
    assert "budget_exceeded" not in detectors(_fleet(configured=False))


def test_the_same_class_with_the_same_tools_is_a_fleet() -> None:
    (f,) = findings(_fleet(configured=True), "budget_exceeded")
    assert f["run_id"] == "big"
    assert "comparable run(s) of agent ToolCallingAgent.run (tools" in f["explanation"]
