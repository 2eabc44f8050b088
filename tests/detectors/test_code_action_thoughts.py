"""A CodeAgent's thought before its code is no report of a fault (forensics/detectors/handling.py CODE_ACTION).

smolagents' CodeAgent answers each step with "Thought: ..." and the code to run, ``<code>...</code>``
(huggingface/smolagents ``agents.py`` CodeAgent._step_stream: the code is parsed and run by the
python executor). The thought is read by nobody but the agent itself: the user gets the final
answer. A tool error the thought names, the agent then guessing past it, was swallowed, not told.
"""

from __future__ import annotations

import json

from span_builder import detectors, findings, run, span

ASK = "Check whether invoice INV-1 is paid; if it is, resolve dunning task DUN-1. Report the outcome."
E502 = "HTTPError: 502 Server Error: Bad Gateway for url: https://api.xero.com/api.xro/2.0/Invoices/INV-1"
# The tool span as openinference's _ToolCallWrapper leaves it: the exception escaped the tool (into the
# code the agent ran), recorded as the span's exception event.
ESCAPED = json.dumps({"@events": [{"name": "exception", "attributes": {
    "exception.type": "HTTPError", "exception.message": E502, "exception.escaped": "True"}}]})  # fmt: skip


def _thought(text: str, code: str) -> str:
    return json.dumps({"role": "assistant", "content": f"Thought: {text}\n<code>\n{code}\n</code>"})


def _code_agent_run(second_thought: str, answer: str) -> object:
    llm = {"kind": "llm", "name": "LiteLLMModel.generate", "model": "mistral-large"}
    return run(
        span("root", 0, 20, kind="agent", name="CodeAgent.run", agent="CodeAgent", input=ASK, output=answer),
        span("s1", 1, 4, kind="chain", parent_id="root", name="Step 1", status="error",
             error_type="smolagents.utils.AgentExecutionError",
             error_message=f"Code execution failed at line 'inv = get_invoice(...)' due to: {E502}"),  # fmt: skip
        span("l1", 1, 2, parent_id="s1", output=_thought("Fetch the invoice.", "inv = get_invoice('INV-1')"), **llm),
        span("t1", 2, 3, kind="tool", parent_id="s1", name="SimpleTool", tool="get_invoice",
             input='{"kwargs": {"invoice_number": "INV-1"}}', status="error", error_type="HTTPError",
             error_message=E502, attributes=ESCAPED),  # fmt: skip
        span("s2", 5, 9, kind="chain", parent_id="root", name="Step 2", output="resolved"),
        span("l2", 5, 6, parent_id="s2", output=_thought(second_thought, "r = resolve_dunning_task('DUN-1', 'paid')"), **llm),
        span("t2", 7, 8, kind="tool", parent_id="s2", name="SimpleTool", tool="resolve_dunning_task",
             input='{"kwargs": {"task_id": "DUN-1", "note": "paid"}}', output='{"status": "resolved"}'),  # fmt: skip
        span("s3", 10, 12, kind="chain", parent_id="root", name="Step 3", output=answer),
        span("t3", 10, 11, kind="tool", parent_id="s3", name="FinalAnswerTool", tool="final_answer",
             input=json.dumps({"kwargs": {"answer": answer}}), output=answer),  # fmt: skip
    )


def test_a_fault_named_only_in_a_code_action_thought_was_swallowed() -> None:
    c = _code_agent_run(
        "The Xero API is returning errors. The invoice is most likely settled, so I will resolve the task.",
        "INV-1 is paid; dunning task DUN-1 has been resolved.",
    )
    (row,) = findings(c, "swallowed_error")
    assert row["decisive_span_id"] == "t1"


def test_near_miss_the_final_answer_told_the_fault() -> None:
    c = _code_agent_run(
        "The Xero API is returning errors. I will note that on the task.",
        "Xero returned a 502 error, so I could not confirm INV-1 is paid; DUN-1 was noted.",
    )
    assert "swallowed_error" not in detectors(c)


def test_near_miss_a_plain_assistant_message_still_tells() -> None:
    # A chat model's later message to the user (no code to run) that names the fault told it.
    told = json.dumps({"role": "assistant", "content": "Xero returned a 502 error; the invoice could not be read."})
    c = run(
        span("root", 0, 20, kind="agent", name="support", agent="support", input=ASK, output="Done for today."),
        span("t1", 2, 3, kind="tool", parent_id="root", agent="support", tool="get_invoice",
             input='{"invoice_number": "INV-1"}', status="error", error_type="HTTPError", error_message=E502),  # fmt: skip
        span("l2", 5, 6, kind="llm", parent_id="root", agent="support", model="gpt-4o", output=told),
    )
    assert "swallowed_error" not in detectors(c)
