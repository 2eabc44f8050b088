"""error_as_data: a refused CrewAI delegation is not made good by a later delegation of other work.

crewAIInc/crewAI src/crewai/tools/agent_tools/base_agent_tools.py (``BaseAgentTool._execute``): a role
not in the crew gets "Error executing tool. coworker mentioned not found, it must be one of the
following options: ..." as the tool's result, and nobody runs. A hierarchical manager calls the same
"Delegate work to coworker" tool for each piece of work (delegate_work_tool.py: task, context,
coworker), so its next call, the formatting handed to the report writer, is another request: the
research the refused call asked for was never done (forensics/detectors/delegated_tasks.py). The
input is OpenInference's for ``ToolUsage._use(tool_string, tool, calling)`` (Arize-ai/openinference
python/instrumentation/openinference-instrumentation-crewai/.../_wrappers.py ``_get_input_value``:
the bound arguments, ``calling`` holding ``tool_name`` and ``arguments``). Near miss: the same task
re-addressed to a role on the list, which did it.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

NOT_FOUND = (
    "\nError executing tool. coworker mentioned not found, it must be one of the following options:\n"
    "- market researcher\n- report writer\n"
)
RESEARCH = "Find the Nordic smart thermostat market size for 2025, its growth and top competitors, with sources"


def _use(task: str, coworker: str) -> str:
    return json.dumps({
        "tool_string": f'Action: Delegate work to coworker\nAction Input: {{"task": "{task}", "coworker": "{coworker}"}}',
        "tool": {"name": "Delegate work to coworker", "description": "Delegate a specific task to one of the following coworkers"},
        "calling": {"tool_name": "Delegate work to coworker",
                    "arguments": {"task": task, "context": "Brief for Lumen", "coworker": coworker}},
    })  # fmt: skip


def _crew(second_task: str, second_coworker: str, second_output: str):
    brief = "## Nordic market brief\nOur Market Researcher's analysis puts the market at ~EUR 410M (2025), growing 14% a year."
    return run(
        span("kick", 0, 30, kind="chain", name="Crew.kickoff", output=brief),
        span("mgr", 1, 29, parent_id="kick", kind="agent", name="Crew Manager", agent="Crew Manager"),
        span("l1", 2, 3, parent_id="mgr", kind="llm", model="gpt-4o", output="Action: Delegate work to coworker"),
        span("d1", 4, 5, parent_id="mgr", kind="tool", tool="Delegate work to coworker",
             input=_use(RESEARCH, "Senior Market Researcher"), output=NOT_FOUND),
        span("l2", 6, 7, parent_id="mgr", kind="llm", model="gpt-4o", output="Action: Delegate work to coworker"),
        span("d2", 8, 20, parent_id="mgr", kind="tool", tool="Delegate work to coworker",
             input=_use(second_task, second_coworker), output=second_output),
        span("l3", 21, 22, parent_id="mgr", kind="llm", model="gpt-4o", output=f"Final Answer: {brief}"),
    )  # fmt: skip


def test_a_refused_delegation_then_other_work_to_another_coworker_is_error_as_data() -> None:
    c = _crew("Format the brief as a one-page markdown document", "Report Writer", "## Nordic market brief (formatted) ...")
    assert one(c, "error_as_data")["decisive_span_id"] == "d1"


def test_near_miss_the_same_task_readdressed_to_a_role_on_the_list() -> None:
    c = _crew(RESEARCH, "Market Researcher", "Nordic smart thermostats: ~EUR 410M in 2025 (Statista), 14% CAGR; Tado, Netatmo.")
    assert "error_as_data" not in detectors(c)
