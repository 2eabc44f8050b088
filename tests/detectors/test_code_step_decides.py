"""A series one smolagents code action made is decided by its step, not by its first member.

smolagents (huggingface/smolagents src/smolagents/agents.py, ``CodeAgent._step_stream``): the model
writes a code action and the same step runs it, ``self.python_executor(code_action)``; every tool or
managed agent the code calls is called from there. The OpenInference instrumentation
(Arize-ai/openinference python/instrumentation/openinference-instrumentation-smolagents/src/
openinference/instrumentation/smolagents/_wrappers.py: ``_StepWrapper`` starts ``Step N`` as the
current span around the step; ``_ModelWrapper`` names the model call ``<Model>.generate``,
``_RunWrapper`` the run ``<Agent>.run``) makes the model call and every call of the code children of
that step. A loop written in the code (twelve requests with no sleep; a managed agent called for
every row of an export) was inevitable once the step ran it. A ToolCallingAgent makes one call per
step, each decided by that step's model call: its series keeps the first member (DETECTORS.md).
"""

from __future__ import annotations

from span_builder import one, run, run_row, span

_429 = "HTTPError: 429 Client Error: Too Many Requests for url: https://api.carrier.example/v2/shipments"


def _code_agent_retry_loop() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("run", 0, 30, kind="agent", name="CodeAgent.run", agent="CodeAgent.run",
             input='{"task": "Pull the shipments of account DE-4471 since Monday."}',
             output="The carrier API kept answering 429; I could not pull the shipments.",
             attributes='{"openinference.span.kind": "AGENT", "smolagents.max_steps": "6"}'),
        span("step1", 1, 10, parent_id="run", kind="chain", name="Step 1", agent="CodeAgent.run"),
        span("gen1", 1, 2, parent_id="step1", kind="llm", name="LiteLLMModel.generate", model="gpt-4o",
             agent="CodeAgent.run",
             output="<code>\nfor i in range(12):\n    r = get_carrier_shipments(account='DE-4471')\n</code>"),
    ]  # fmt: skip
    for n in range(12):
        t = 2.6 + 0.095 * n
        rows.append(span(f"call{n}", t, t + 0.05, parent_id="step1", kind="tool", name="SimpleTool",
                         tool="get_carrier_shipments", agent="CodeAgent.run", status="error",
                         error_type="HTTPError", error_message=_429,
                         input='{"kwargs": {"account": "DE-4471", "since": "2026-11-30"}}'))  # fmt: skip
    rows += [
        span("step2", 11, 14, parent_id="run", kind="chain", name="Step 2", agent="CodeAgent.run"),
        span("gen2", 11, 12, parent_id="step2", kind="llm", name="LiteLLMModel.generate", model="gpt-4o",
             agent="CodeAgent.run", output="<code>\nfinal_answer('The carrier API kept answering 429.')\n</code>"),
        span("final", 12.5, 12.6, parent_id="step2", kind="tool", name="FinalAnswerTool", tool="final_answer",
             agent="CodeAgent.run", output="The carrier API kept answering 429; I could not pull the shipments."),
    ]  # fmt: skip
    return rows


def _tool_calling_agent_retries() -> list[dict[str, object]]:
    """The same requests, one per step: each a decision of that step's model call."""
    rows: list[dict[str, object]] = [
        span("run", 0, 60, kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent.run",
             input='{"task": "Pull the shipments of account DE-4471 since Monday."}',
             output="The carrier API kept answering 429; I could not pull the shipments.",
             attributes='{"openinference.span.kind": "AGENT", "smolagents.max_steps": "8"}'),
    ]  # fmt: skip
    for n in range(6):
        t = 1 + n * 1.1
        rows += [
            span(f"step{n}", t, t + 1, parent_id="run", kind="chain", name=f"Step {n + 1}", agent="ToolCallingAgent.run"),
            span(f"gen{n}", t, t + 0.5, parent_id=f"step{n}", kind="llm", name="LiteLLMModel.generate", model="gpt-4o",
                 agent="ToolCallingAgent.run",
                 output='{"tool_calls": [{"function": {"name": "get_carrier_shipments"}}]}'),
            span(f"call{n}", t + 0.6, t + 0.65, parent_id=f"step{n}", kind="tool", name="SimpleTool",
                 tool="get_carrier_shipments", agent="ToolCallingAgent.run", status="error",
                 error_type="HTTPError", error_message=_429,
                 input='{"kwargs": {"account": "DE-4471", "since": "2026-11-30"}}'),
        ]  # fmt: skip
    return rows


def test_a_retry_loop_in_one_code_action_is_decided_by_its_step() -> None:
    c = run(*_code_agent_retry_loop())
    f = one(c, "retry_storm")
    assert f["decisive_span_id"] == "step1"
    assert f["evidence_span_ids"][:2] == ["step1", "call0"]
    assert "one code action" in f["explanation"]
    assert run_row(c)["decisive_span_id"] == "step1"


def test_near_miss_retries_one_per_step_keep_their_first_attempt() -> None:
    # Each attempt is a decision of its own step's model call: the agent's loop (repeated_action's),
    # decided by its first repeat, no step.
    c = run(*_tool_calling_agent_retries())
    f = one(c, "repeated_action")
    assert f["decisive_span_id"] == "call1"
    assert not any(s.startswith("step") for s in f["evidence_span_ids"])
    assert run_row(c)["decisive_span_id"] == "call1"


def _manager_fan_out(per_step: bool) -> list[dict[str, object]]:
    """A manager CodeAgent calling its managed company_researcher for ten companies: in one code
    action (a loop over the CRM export), or with each call in a step of its own."""
    rows: list[dict[str, object]] = [
        span("run", 0, 400, kind="agent", name="CodeAgent.run", agent="CodeAgent.run",
             input='{"task": "Give me our top 3 competitors."}', output="Top 3: Kestrel, Orbis, Lumen.",
             attributes='{"openinference.span.kind": "AGENT", "smolagents.max_steps": "20"}'),
    ]  # fmt: skip
    if not per_step:
        rows += [
            span("step1", 1, 300, parent_id="run", kind="chain", name="Step 1", agent="CodeAgent.run"),
            span("gen1", 1, 3, parent_id="step1", kind="llm", name="OpenAIServerModel.generate", model="gpt-4.1",
                 agent="CodeAgent.run",
                 output="<code>\nfor row in rows:\n    notes[row] = company_researcher(task=row)\n</code>"),
        ]  # fmt: skip
    for n in range(10):
        t = 4 + n * 25
        parent = "step1"
        if per_step:
            parent = f"step{n}"
            rows += [
                span(parent, t - 2, t + 24, parent_id="run", kind="chain", name=f"Step {n + 1}", agent="CodeAgent.run"),
                span(f"gen{n}", t - 2, t - 1, parent_id=parent, kind="llm", name="OpenAIServerModel.generate",
                     model="gpt-4.1", agent="CodeAgent.run",
                     output=f"<code>\nnotes = company_researcher(task='company {n}')\n</code>"),
            ]  # fmt: skip
        rows += [
            span(f"sub{n}", t, t + 20, parent_id=parent, kind="agent", name="ToolCallingAgent.run",
                 agent="company_researcher", input=f'{{"task": "Research company {n}"}}', output=f"company {n}: notes"),
            span(f"sub{n}g", t + 1, t + 10, parent_id=f"sub{n}", kind="llm", name="OpenAIServerModel.generate",
                 model="gpt-4.1", agent="company_researcher", output=f"company {n}: notes"),
        ]  # fmt: skip
    return rows


def test_a_fan_out_written_as_one_code_action_is_decided_by_its_step() -> None:
    c = run(*_manager_fan_out(per_step=False))
    f = one(c, "fan_out")
    assert f["decisive_span_id"] == "step1"
    assert f["evidence_span_ids"][:3] == ["step1", "gen1", "sub0"]


def test_near_miss_sub_agents_one_per_step_are_no_fan_out() -> None:
    c = run(*_manager_fan_out(per_step=True))
    assert "fan_out" not in {r["detector"] for r in c.findings.to_pylist()}
