"""A loop of LangChain's parse-error observations is decided at its first member.

The shape is a LangChain ``AgentExecutor`` run with ``handle_parsing_errors=True`` as its tracer
records it (langchain ``langchain/agents/agent.py``): each iteration is the agent's runnable (a
``RunnableSequence`` chain holding the model call and the ``ReActSingleInputOutputParser``); when
the parser raises ``OutputParserException`` the executor catches it (``_iter_next_step``), builds
``AgentAction("_Exception", observation, text)`` and runs ``ExceptionTool`` (name ``"_Exception"``,
``_run`` returns its input), a tool span whose input and output are the error text, so the model
sees the error. Every such call records a step that already failed (the model's output was not in
the format), so a loop of them is a repeated format error: its first member is decisive, as for
``repeated_format_error`` (docs/DETECTORS.md, "Which span is decisive"), not the first repeat a
loop of ordinary calls is decided at. Near miss: one parse error the next reply fixes is no loop.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, run_row, span

QUESTION = {"input": "How many days of unused annual leave can I carry over into 2027?"}
THOUGHT = "Thought: I should check the leave policy."
FEEDBACK = "Invalid Format: Missing 'Action:' after 'Thought:'"
PARSE_ERROR = f"OutputParserException: Could not parse LLM output: `{THOUGHT}`"


def _iteration(i: int, t: float, reply: str, parsed: bool) -> list[dict]:
    """One AgentExecutor iteration: the agent runnable (model call, output parser), then, when the
    parser failed, the executor's ``_Exception`` observation (a child of the executor's run)."""
    status = "ok" if parsed else "error"
    err = None if parsed else PARSE_ERROR
    rows = [
        span(f"seq{i}", t, t + 1.5, parent_id="root", kind="chain", name="RunnableSequence",
             input=json.dumps({**QUESTION, "intermediate_steps": i - 1}), status=status, error_message=err),
        span(f"m{i}", t + 0.01, t + 1.3, parent_id=f"seq{i}", kind="llm", name="ChatOpenAI", output=reply),
        span(f"p{i}", t + 1.31, t + 1.4, parent_id=f"seq{i}", kind="chain", name="ReActSingleInputOutputParser",
             input=reply, status=status, error_message=err),
    ]  # fmt: skip
    if not parsed:
        rows.append(span(f"x{i}", t + 1.5, t + 1.51, parent_id="root", kind="tool", name="_Exception",
                         tool="_Exception", input=FEEDBACK, output=FEEDBACK))  # fmt: skip
    return rows


def test_a_loop_of_parse_error_observations_is_decided_at_the_first() -> None:
    rows = [span("root", 0, 20, kind="chain", name="AgentExecutor", input=json.dumps(QUESTION),
                 output=json.dumps({"output": "Agent stopped due to iteration limit or time limit."}))]  # fmt: skip
    for i in range(1, 7):
        rows += _iteration(i, 2.0 * i, THOUGHT, parsed=False)
    c = run(*rows)
    f = one(c, "repeated_action")
    assert f["evidence_span_ids"][:2] == ["x1", "x2"]
    assert f["decisive_span_id"] == "x1"


def test_near_miss_one_parse_error_the_next_reply_fixes_is_no_loop() -> None:
    action = f"{THOUGHT}\nAction: policy_search\nAction Input: annual leave carry-over Germany"
    rows = [span("root", 0, 20, kind="chain", name="AgentExecutor", input=json.dumps(QUESTION),
                 output=json.dumps({"output": "You can carry over up to 5 days into 2027 (policy HR-12, section 4)."}))]  # fmt: skip
    rows += _iteration(1, 2.0, THOUGHT, parsed=False)
    rows += _iteration(2, 4.0, action, parsed=True)
    rows.append(span("t2", 5.6, 6.0, parent_id="root", kind="tool", name="policy_search", tool="policy_search",
                     input="annual leave carry-over Germany",
                     output="HR-12 s.4: up to 5 days of unused annual leave carry over into the next year."))  # fmt: skip
    rows += _iteration(3, 7.0, "Final Answer: You can carry over up to 5 days into 2027 (policy HR-12, section 4).", parsed=True)
    c = run(*rows)
    assert "repeated_action" not in detectors(c)
    assert run_row(c)["primary_class"] != "context_collapse"
