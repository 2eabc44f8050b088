"""A LangGraph handoff to the parent graph is raised, and traced as an error: it is no failure.

langgraph-swarm / langgraph-supervisor handoff tools return ``Command(goto=<agent>,
graph=Command.PARENT)`` (langgraph-supervisor handoff.py); the subgraph raises ``ParentCommand``
(a GraphBubbleUp, langgraph/errors.py) for the parent's Pregel loop to route, and LangChain
callbacks report it through on_chain_error, so the ToolNode's span reads failed (langfuse#5035).
A swarm where the math expert, handed the question, answers it: the run of the LangGraph
supervisor quickstart, without the return to the supervisor.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

CMD = ("Command(graph='__parent__', update={'messages': [ToolMessage(content='Successfully transferred to "
       "math_expert', name='transfer_to_math_expert', tool_call_id='call_1')], 'active_agent': 'math_expert'}, "
       "goto='math_expert')")
TRACEBACK = ('Traceback (most recent call last):\n  File "langgraph/pregel/_runner.py", line 162, in tick\n'
             "    run_with_retry(t, retry_policy)\nlanggraph.errors.ParentCommand: " + CMD + "\n")


def _swarm(tools_node: dict[str, Any], root: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [
        span("g", 0, 20, kind="chain", name="LangGraph", input="what's (3 + 5) x 12?",
             **(root or {"output": "The result is 96."})),
        span("a", 1, 4, parent_id="g", kind="agent", name="assistant", agent="assistant"),
        span("al", 1.1, 2.5, parent_id="a", kind="llm", model="gpt-4o", agent="assistant",
             output='[{"name": "transfer_to_math_expert", "args": {}}]'),
        span("at", 2.6, 3.9, parent_id="a", kind="chain", name="tools", agent="assistant", **tools_node),
        span("tt", 2.7, 2.8, parent_id="at", kind="tool", tool="transfer_to_math_expert", agent="assistant",
             input="{}", output=CMD),
        span("m", 4.1, 15, parent_id="g", kind="agent", name="math_expert", agent="math_expert",
             output="The result is 96."),
        span("ml", 4.2, 6, parent_id="m", kind="llm", model="gpt-4o", agent="math_expert",
             output='[{"name": "multiply", "args": {"a": 8, "b": 12}}]'),
        span("mm", 6.1, 6.2, parent_id="m", kind="tool", tool="multiply", agent="math_expert",
             input='{"a": 8, "b": 12}', output="96"),
        span("ml2", 6.3, 8, parent_id="m", kind="llm", model="gpt-4o", agent="math_expert", output="The result is 96."),
    ]


def _failed(rows: list[dict[str, Any]], sid: str) -> bool:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return bool(ctx.spans.filter(pl.col("span_id") == sid).get_column("failed").item())


def test_a_handoff_raised_to_the_parent_graph_is_no_failure() -> None:
    # Near-miss: the exception type (OpenInference), the Command's repr alone (Langfuse v2's
    # status message: str(ParentCommand)), a LangSmith traceback ending on it: a clean run.
    for err in ({"error_type": "ParentCommand", "error_message": CMD},
                {"error_type": "langgraph.errors.ParentCommand", "error_message": CMD},
                {"error_message": CMD}, {"error_message": TRACEBACK}):  # fmt: skip
        rows = _swarm({"status": "error", **err})
        assert _failed(rows, "at") is False, err
        assert not detectors(run(*rows)), err


def test_a_real_error_in_the_tools_node_or_a_parent_command_escaping_the_root_fails() -> None:
    # Firing: the tools node failing with an error of its own is still swallowed under a root that
    # reported success, and so is a traceback that only passed through a ParentCommand; a
    # ParentCommand on the root (no parent graph to route it) is the run's failure.
    for err in ({"error_type": "ValueError", "error_message": "boom"},
                {"error_message": "Traceback (most recent call last):\n  ...\nlanggraph.errors.ParentCommand: "
                 + CMD + "\n\nDuring handling of the above exception, another exception occurred:\n\n"
                 "Traceback (most recent call last):\n  ...\nKeyError: 'math_expert'\n"}):  # fmt: skip
        rows = _swarm({"status": "error", **err})
        assert _failed(rows, "at") is True, err
        assert "swallowed_error" in detectors(run(*rows)), err
    escaped = _swarm({"status": "error", "error_type": "ParentCommand", "error_message": CMD},
                     root={"status": "error", "error_type": "ParentCommand", "error_message": CMD})
    assert _failed(escaped, "g") is True
