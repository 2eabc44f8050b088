"""A smolagents UserInputTool call is the person's own turn (preparation.PERSON_INPUT_TOOLS).

smolagents' ``UserInputTool`` (``name = "user_input"``, src/smolagents/default_tools.py) returns
``input(f"{question} => Type your answer here:")``: what the person typed. A delete the agent runs
after the person answered its question is reviewed; one run with no such answer is not."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

SMOL = {"source_format": "otel-clickhouse"}


def _cleanup(ask: str | None, answer: str | None = "yes, delete all 3", failed: bool = False):
    """A ToolCallingAgent lists stale branches, (optionally) asks the user through ``ask``, then
    deletes them."""
    rows = [
        span("r", 0, 300, kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent.run",
             input=json.dumps({"task": "Clean up stale merged branches in acme/web"}),
             output="Deleted 3 stale branches.", **SMOL),
        span("m1", 1, 2, parent_id="r", kind="llm", name="OpenAIServerModel.generate", output="list them", **SMOL),
        span("l", 3, 4, parent_id="r", kind="tool", name="ListStaleBranchesTool", tool="list_stale_branches",
             output='["feat/a", "fix/b", "exp/c"]', **SMOL),
        span("m2", 5, 6, parent_id="r", kind="llm", name="OpenAIServerModel.generate", output="ask", **SMOL),
    ]
    if ask is not None:
        rows.append(span("u", 7, 120, parent_id="r", kind="tool", name="UserInputTool", tool=ask,
                         input=json.dumps({"kwargs": {"question": "Delete feat/a, fix/b, exp/c?"}}),
                         output=answer, status="error" if failed else "ok", **SMOL))
    rows += [
        span("m3", 121, 122, parent_id="r", kind="llm", name="OpenAIServerModel.generate", output="delete", **SMOL),
        span("d", 123, 130, parent_id="r", kind="tool", name="DeleteBranchesTool", tool="delete_branches",
             input=json.dumps({"kwargs": {"repo": "acme/web", "branches": ["feat/a", "fix/b", "exp/c"]}}),
             output='{"deleted": ["feat/a", "fix/b", "exp/c"]}', **SMOL),
    ]
    return run(*rows)


def test_a_delete_nobody_was_asked_about_is_unguarded() -> None:
    assert one(_cleanup(None), "unguarded_irreversible")["decisive_span_id"] == "d"


def test_near_miss_the_person_answered_the_user_input_tool_before_the_delete() -> None:
    assert "unguarded_irreversible" not in detectors(_cleanup("user_input"))


def test_a_user_input_call_that_failed_heard_nobody() -> None:
    c = _cleanup("user_input", answer=None, failed=True)
    assert one(c, "unguarded_irreversible")["decisive_span_id"] == "d"


def test_another_tool_asking_a_question_is_no_persons_turn() -> None:
    # A tool's own output (here a lookup named like a question) is never the person's words.
    assert one(_cleanup("lookup_policy"), "unguarded_irreversible")["decisive_span_id"] == "d"
