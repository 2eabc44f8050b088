"""A failure under a parent the export never held is not an orphan: its owner is that parent.

smolagents re-raises a model call's failure out of the agent run (``AgentGenerationError``,
huggingface/smolagents ``src/smolagents/agents.py``) and the OpenInference run wrapper leaves the
agent's span unended, so it is never exported (openinference-instrumentation-smolagents
``_wrappers.py`` ``_RunWrapper``). In a managed agent the manager's step receives the exception as
its call's error. What is left in the export is the managed agent's failed ``Step 1`` under a
parent id no span has: nothing there says nobody owned it. Near miss: the same failure under an
exported span with no agent up its ancestry is an orphan as before.
"""

from __future__ import annotations

from span_builder import detectors, run, span

MGR = {"agent": "manager"}


def _run(step_parent: str) -> list[dict[str, object]]:
    return [
        span("root", 0, 10, kind="chain", name="POST /support", output="I've refunded the duplicate charge."),
        span("mgr", 0.5, 9.5, parent_id="root", kind="agent", name="ToolCallingAgent.run", **MGR),
        span("s2", 1, 5, parent_id="mgr", kind="chain", name="Step 2", **MGR),
        span("sub1", 2, 3, parent_id=step_parent, kind="chain", name="Step 1", status="error",
             error_type="smolagents.utils.AgentGenerationError", error_message="Error in generating model output"),
        span("gen", 2.1, 2.9, parent_id="sub1", kind="llm", name="LiteLLMModel.generate", model="claude-3-5-haiku",
             status="error", error_type="litellm.InternalServerError", error_message="Overloaded"),
        span("s3", 6, 9, parent_id="mgr", kind="chain", name="Step 3", output="I've refunded the duplicate charge.",
             **MGR),
    ]  # fmt: skip


def test_a_failure_under_a_managed_agent_span_never_exported_is_no_orphan() -> None:
    assert "orphan_failure" not in detectors(run(*_run("billing_agent_run")))


def test_near_miss_the_same_failure_under_an_exported_span_outside_every_agent() -> None:
    assert "orphan_failure" in detectors(run(*_run("root")))
