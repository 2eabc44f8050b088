"""A page sent from a smolagents step: the tool call is the escalation, not the step around it.

openinference-instrumentation-smolagents (src/openinference/instrumentation/smolagents/_wrappers.py,
``_StepWrapper``) opens a ``Step N`` span around each step and writes the step's observations as its
output; a ToolCallingAgent's observation is the tool's result (huggingface/smolagents
src/smolagents/agents.py, ``ToolCallingAgent._step_stream``: ``observation = str(tool_call_result)``).
So the step names the PagerDuty incident ("status": "triggered", REST API ``POST /incidents`` answers
``{"incident": {...}}``) as its own output and starts before the call that opened it. The page
nobody acknowledged is the ``page_oncall`` call: the decisive span a reviewer should read; the
step is only its wrapper, and the call is no read of an incident the step opened.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

INCIDENT = {"id": "Q3K8ZP1XY2LMNO", "incident_number": 30417, "status": "triggered", "urgency": "high"}
PAGED = json.dumps({"incident": INCIDENT})


def _step(n: int, start: float, tool: str, args: dict[str, object], result: str) -> list[dict[str, object]]:
    sid = f"s{n}"
    return [
        span(sid, start, start + 3, parent_id="root", kind="chain", name=f"Step {n}", agent="ToolCallingAgent.run",
             input=json.dumps({"memory_step": f"ActionStep(step_number={n})"}), output=result),
        span(f"m{n}", start, start + 1, parent_id=sid, kind="llm", model="gpt-4.1", agent="ToolCallingAgent.run",
             output=json.dumps({"role": "assistant", "tool_calls": [{"function": {"name": tool}}]})),
        span(f"t{n}", start + 1, start + 2, parent_id=sid, kind="tool", tool=tool, name="SimpleTool",
             agent="ToolCallingAgent.run", input=json.dumps({"args": [], "kwargs": args}), output=result),
    ]  # fmt: skip


def _triage(poll: dict[str, object]):
    return run(
        span("root", 0, 1210, kind="agent", agent="ToolCallingAgent.run", name="ToolCallingAgent.run",
             input='{"task": "Disk on orders-db at 94%: triage and page on-call."}',
             output="Paged the orders-db on-call (incident 30417); they own it from here."),
        *_step(1, 1, "page_oncall", {"service": "orders-db", "severity": "critical"}, PAGED),
        *_step(2, 300, "get_incident", {"incident": "Q3K8ZP1XY2LMNO"}, json.dumps({"incident": poll})),
    )  # fmt: skip


def test_the_page_under_a_step_is_the_unacknowledged_escalation() -> None:
    c = _triage({**INCIDENT, "acknowledged_by": None})
    f = one(c, "unacknowledged_escalation")
    assert f["decisive_span_id"] == "t1"
    # The step that passed the page's answer up is no escalation of its own, nor is the poll.
    assert f["evidence_span_ids"] == ["t1"]


def test_near_miss_the_page_under_a_step_was_acknowledged() -> None:
    c = _triage({**INCIDENT, "status": "acknowledged", "acknowledged_by": "kim"})
    assert "unacknowledged_escalation" not in detectors(c)
