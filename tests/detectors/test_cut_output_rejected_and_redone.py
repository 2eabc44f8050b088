"""An output cut at its cap that smolagents rejected, and the agent's next step did the work whole.

smolagents' CodeAgent parses each step's model output before running it: a code action cut at
max_tokens (finish reason length) fails to parse (AgentParsingError, "Error in code parsing: ...")
or to compile in the executor, the step span fails, no tool runs, and the error goes into the next
step's prompt ("Now let's retry: take care not to repeat previous errors!": agents.py, memory.py).
When the next model call finishes whole, its step runs a tool that succeeds and the run answers,
the cut lost nothing the run needed: a hint, the run stays ok. Near misses: the cut text ran in a
tool; the next call was cut too; the next step went straight to the answer (the work never done);
the step did not fail (the cut text was taken as it stood); the run failed.
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, hints, one, run, run_row, span

MODEL = "Qwen/Qwen2.5-Coder-32B-Instruct"
LENGTH = '{"gen_ai.response.finish_reasons": ["length"]}'
PARSE = ("Error in code parsing:\nYour code snippet is invalid, because the regex pattern was not found in it.\n"
         "Make sure to provide correct code blobs.")  # fmt: skip


def _agent_run(*, redo: str = "edit_file", redo_cut: bool = False, step_failed: bool = True,
               cut_tool: bool = False, root_status: str = "ok") -> list[dict[str, Any]]:
    step2: dict[str, Any] = {"status": "error", "error_type": "smolagents.utils.AgentParsingError",
                             "error_message": PARSE} if step_failed else {}
    rows = [
        span("root", 0, 60, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", status=root_status,
             input="Add a --dry-run flag to the deploy CLI", output="Added --dry-run to deploy.py; 12 tests pass."),
        span("s1", 1, 8, parent_id="root", kind="chain", name="Step 1"),
        span("l1", 1.1, 4, parent_id="s1", kind="llm", model=MODEL, output_tokens=60,
             output="Thought: read the CLI first.\n<code>\nprint(read_file('deploy.py'))\n</code>"),
        span("t1", 4.1, 4.5, parent_id="s1", kind="tool", name="read_file", tool="read_file", output="import argparse ..."),
        span("s2", 9, 30, parent_id="root", kind="chain", name="Step 2", **step2),
        span("l2", 9.1, 29, parent_id="s2", kind="llm", model=MODEL, output_tokens=4096, attributes=LENGTH,
             output="Thought: rewrite deploy.py whole.\n<code>\nwrite_file('deploy.py', '''import argparse\n..."),
    ]
    if cut_tool:
        rows.append(span("t2", 29.2, 29.5, parent_id="s2", kind="tool", name="write_file", tool="write_file",
                         output="wrote 4096 tokens to deploy.py"))
    third: dict[str, Any] = {"output_tokens": 4096, "attributes": LENGTH} if redo_cut else {"output_tokens": 120}
    rows += [
        span("s3", 31, 40, parent_id="root", kind="chain", name="Step 3"),
        span("l3", 31.1, 36, parent_id="s3", kind="llm", model=MODEL,
             output="Thought: the output was cut; a small edit instead.\n<code>\nedit_file('deploy.py', ...)\n</code>", **third),
        span("t3", 36.1, 37, parent_id="s3", kind="tool", name=redo, tool=redo, output="Replaced 1 occurrence in deploy.py"),
        span("s4", 41, 50, parent_id="root", kind="chain", name="Step 4"),
        span("l4", 41.1, 45, parent_id="s4", kind="llm", model=MODEL, output_tokens=40,
             output="<code>\nfinal_answer('Added --dry-run to deploy.py; 12 tests pass.')\n</code>"),
        span("t4", 45.1, 45.2, parent_id="s4", kind="tool", name="final_answer", tool="final_answer",
             output="Added --dry-run to deploy.py; 12 tests pass."),
    ]
    if redo == "final_answer":  # the next step went straight to the answer: drop the fourth step
        rows = [r for r in rows if r["span_id"] not in ("s4", "l4", "t4")]
    return rows


def test_a_cut_output_rejected_and_done_over_whole_is_a_hint() -> None:
    c = run(*_agent_run())
    assert "context_overflow" not in detectors(c) and "context_overflow" in hints(c)
    assert run_row(c)["ok"] is True
    found = one(c, "context_overflow")
    assert found["decisive_span_id"] == "l2"
    assert found["explanation"].startswith("possible lost output: model Qwen/Qwen2.5-Coder-32B-Instruct stopped")


def test_near_miss_the_next_step_went_straight_to_the_answer() -> None:
    # The work the cut step tried was never done: the answer claims it over nothing.
    found = one(run(*_agent_run(redo="final_answer")), "context_overflow")
    assert (found["decisive_span_id"], found["strength"]) == ("l2", "strong")


def test_near_miss_the_next_call_was_cut_too() -> None:
    found = one(run(*_agent_run(redo_cut=True)), "context_overflow")
    assert (found["decisive_span_id"], found["strength"]) == ("l2", "strong")


def test_near_miss_a_tool_ran_the_cut_output() -> None:
    # The cut file was written as it stood: its output was used.
    found = one(run(*_agent_run(cut_tool=True)), "context_overflow")
    assert (found["decisive_span_id"], found["strength"]) == ("l2", "strong")


def test_near_miss_the_cut_step_did_not_fail() -> None:
    # Nothing rejected the cut text: it may have been taken as it stood.
    found = one(run(*_agent_run(step_failed=False)), "context_overflow")
    assert (found["decisive_span_id"], found["strength"]) == ("l2", "strong")


def test_near_miss_the_run_failed() -> None:
    found = one(run(*_agent_run(root_status="error")), "context_overflow")
    assert found["strength"] == "strong"
