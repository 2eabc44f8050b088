"""A failed run with no step to resume at: redo_after_restart (context_collapse.py) leaves the re-reads
of a restart of such a run.

"Instead of resuming from the step that failed" (TAXONOMY) presupposes a failed step: a tool call
that failed after the ones before it had completed, where a resume would have started. A run whose
tool calls all succeeded and which failed in its model, or ran out of steps, left no such step:

* its model call failed and the failure left the run: smolagents re-raises a model call's exception
  out of the run (huggingface/smolagents ``src/smolagents/agents.py``: ``_step_stream`` wraps it in
  ``AgentGenerationError``, the step loop re-raises it), with the agent's memory, and the app's
  handler that runs the agent again starts a new ``agent.run(task)``, whose model must be given the
  step's observation again;
* it used up its steps: LangGraph raises ``GraphRecursionError`` ("Recursion limit of N reached
  without hitting a stop condition", langchain-ai/langgraph ``libs/langgraph/langgraph/pregel``),
  the OpenAI Agents SDK ``MaxTurnsExceeded``; what completed there is the loop that used the steps
  up, and resuming it would resume the loop: starting the task afresh is the remedy.

A restart of such a run re-reads what it had read, and that is the restart's own context, not work
redone in place of a resume. A side effect it did again (a charge, an e-mail) is still a redo, and
so is any redo of a run that failed at a tool call (the restart re-fetched and re-ran OCR instead
of resuming at the failed ``erp.post_invoice``).
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context


def no_step_to_resume(ctx: Context) -> pl.LazyFrame:
    """``run_id``: the runs none of whose tool calls failed, that hit a step, turn or recursion limit
    (``runs.step_limit_hit``) or hold a failed model call."""
    s = ctx.spans.lazy()
    tool_failed = s.filter((pl.col("kind") == "tool") & pl.col("failed")).select("run_id").unique()
    model_failed = s.filter((pl.col("kind") == "llm") & pl.col("failed")).select("run_id").unique()
    limited = ctx.runs.lazy().filter(pl.col("step_limit_hit").fill_null(False)).select("run_id")
    return pl.concat([model_failed, limited]).unique().join(tool_failed, on="run_id", how="anti")
