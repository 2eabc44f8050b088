"""A loop's decisive span is its first repeat: the call that ignored the first result.

The shape is a smolagents ToolCallingAgent as the OpenInference instrumentation records it: one
``<Agent>.run`` agent span, one ``Step N`` chain span per step, and in each step the model call
that chose the action and the tool call it made (huggingface/smolagents
``src/smolagents/agents.py``: ``ToolCallingAgent._step_stream`` asks the model, then
``execute_tool_call``; openinference-instrumentation-smolagents ``_wrappers.py``: ``_StepWrapper``
opens ``Step N``, ``_ModelWrapper`` the ``<Model>.generate`` span, ``_ToolCallWrapper`` the tool's
span). The first call of a loop was the agent's own legitimate step: nothing had told it anything
yet. The second identical call is where the run went wrong (docs/DETECTORS.md, "Which span is
decisive"). Near misses: the same call whose answer changed each time (polling that got news);
for a retry storm the first failed attempt stays decisive (its convention is its own).
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, run_row, span

ORDER = {"order_id": "SO-88412"}
SHIPPED = json.dumps({"order_id": "SO-88412", "status": "awaiting carrier pickup"})


def _agent_run(calls: list[tuple[str, str]], tool: str = "get_order_status") -> list[dict]:
    """A ToolCallingAgent run: one step per call, each step's model call choosing it, then the
    tool's span; ``calls`` are (status, output) per step; a failed call's error is its output."""
    rows = [
        span("run", 0, 200, kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent.run"),
    ]
    t = 1.0
    for i, (status, out) in enumerate(calls, start=1):
        rows.append(span(f"s{i}", t, t + 4, parent_id="run", kind="chain", name=f"Step {i}"))
        rows.append(span(f"m{i}", t + 0.1, t + 2, parent_id=f"s{i}", kind="llm", name="InferenceClientModel.generate", output=""))
        rows.append(
            span(f"t{i}", t + 2.5, t + 3, parent_id=f"s{i}", kind="tool", name=tool, tool=tool,
                 input=json.dumps({"args": [], "sanitize_inputs_outputs": True, "kwargs": ORDER}),
                 status=status, output=None if status == "error" else out,
                 error_message=out if status == "error" else None)
        )  # fmt: skip
        t += 5
    rows.append(span(f"s{len(calls) + 1}", t, t + 3, parent_id="run", kind="chain", name=f"Step {len(calls) + 1}"))
    rows.append(span("fin", t + 0.1, t + 2, parent_id=f"s{len(calls) + 1}", kind="tool", name="final_answer",
                     tool="final_answer", output="I could not get a pickup time for SO-88412."))  # fmt: skip
    return rows


def test_the_same_answer_four_times_is_decided_at_the_second_call() -> None:
    c = run(*_agent_run([("ok", SHIPPED)] * 4))
    f = one(c, "repeated_action")
    assert f["evidence_span_ids"] == ["t1", "t2", "t3", "t4"]
    assert f["decisive_span_id"] == "t2"
    assert run_row(c)["decisive_span_id"] == "t2"


def test_a_loop_after_a_failed_first_call_starts_after_the_first_result() -> None:
    # The first call failed (a timeout), the second brought the status: that answer is the first
    # result the later calls ignored, so the third call is the first repeat.
    calls = [("error", "ReadTimeout: order service did not answer in 10 s")] + [("ok", SHIPPED)] * 3
    assert one(run(*_agent_run(calls)), "repeated_action")["decisive_span_id"] == "t3"


def test_the_same_error_decided_again_each_time_is_decided_at_the_second_call() -> None:
    err = "Error executing tool 'get_order_status': 404 order SO-88412 not found"
    f = one(run(*_agent_run([("error", err)] * 3)), "repeated_action")
    assert f["decisive_span_id"] == "t2"


def test_near_miss_a_status_that_moved_each_time_is_no_loop() -> None:
    states = ["awaiting carrier pickup", "picked up", "in transit"]
    calls = [("ok", json.dumps({"order_id": "SO-88412", "status": s})) for s in states]
    c = run(*_agent_run(calls))
    assert "repeated_action" not in detectors(c)
    assert run_row(c)["decisive_span_id"] is None
