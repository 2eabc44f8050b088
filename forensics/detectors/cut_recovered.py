"""context_overflow's recovered cuts: an output cut at its cap that the framework rejected and the
agent then did over, whole.

smolagents parses each step's model output before it runs anything: CodeAgent._step_stream hands
the text to parse_code_blobs and, on a failure, raises AgentParsingError ("Error in code parsing:
... Make sure to provide correct code blobs."); a code blob that does parse but is not valid Python
fails in the executor ("Code parsing failed on line ...", AgentExecutionError) before any tool in it
runs. _run_stream catches the AgentError into the step (``action_step.error``) and goes on to the
next step, whose prompt carries it (memory.py ActionStep.to_messages: "Error: ... Now let's retry:
take care not to repeat previous errors!") (huggingface/smolagents src/smolagents/agents.py,
src/smolagents/memory.py). A cut code action (a file written whole, ended mid-string at
max_tokens) is that rejection: the step span fails, no tool ran its output, and the next step asks
the model again.

Such a cut lost nothing when the agent's next model call finished whole (not cut, not failed) and
its step ran a tool that succeeded, one other than the answer tool: the work the cut step tried was
done another way, and the run went on to answer without failing. A cut whose step did not fail (its
text may have been used as it stood), whose step ran a tool (its output was acted on), or whose
next call was cut again or went straight to the answer (the work never done: a claim over nothing)
is no recovery.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.ignored_errors import ANSWER_TOOLS


def recovered_cuts(spans: pl.LazyFrame, runs: pl.LazyFrame, cut: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, recovered`` of the cut model calls in ``cut`` (``run_id, span_id``) that
    the framework rejected and the agent's next model call did over (module docstring). ``spans``:
    the prepared spans (``kind, seq, parent_id, agent, failed, cut_short, call``); ``runs``: the
    prepared runs (``run_id, root_error, answer_span_id, says_failure``)."""
    steps = spans.select("run_id", pl.col("span_id").alias("parent_id"), pl.col("failed").alias("_step_failed"))
    tools = spans.filter(pl.col("kind") == "tool").select(
        "run_id", "parent_id", pl.col("seq").alias("_t_seq"), pl.col("failed").alias("_t_failed"), pl.col("call").alias("_t_call")
    )
    calls = (
        spans.filter((pl.col("kind") == "llm") & pl.col("agent").is_not_null() & pl.col("parent_id").is_not_null())
        .select("run_id", "span_id", "seq", "parent_id", "agent", "failed", pl.col("cut_short").fill_null(False).alias("cut"))
        .sort("run_id", "seq")
        .with_columns(
            *[pl.col(c).shift(-1).over("run_id", "agent").alias(f"_n_{c}") for c in ("seq", "parent_id", "failed", "cut")]
        )
        .join(cut.select("run_id", "span_id"), on=["run_id", "span_id"], how="semi")
        .join(steps, on=["run_id", "parent_id"], how="left")
        # The framework rejected the cut output (its step failed) and the next call finished whole.
        .filter(
            pl.col("_step_failed").fill_null(False)
            & ~pl.col("_n_failed").fill_null(True)
            & ~pl.col("_n_cut").fill_null(True)
        )
    )
    # No tool ran in the cut call's step after it: nothing acted on the cut text.
    used = (
        calls.join(tools, on=["run_id", "parent_id"])
        .filter(pl.col("_t_seq") > pl.col("seq"))
        .select("run_id", "span_id")
        .unique()
    )
    # The next call's step did the work: a tool, not the answer, that succeeded.
    redone = (
        calls.join(tools, left_on=["run_id", "_n_parent_id"], right_on=["run_id", "parent_id"])
        .filter(
            (pl.col("_t_seq") > pl.col("_n_seq"))
            & ~pl.col("_t_failed").fill_null(True)
            & ~pl.col("_t_call").is_in(list(ANSWER_TOOLS)).fill_null(True)
        )
        .select("run_id", "span_id")
        .unique()
    )
    # ... and the run went on to an answer: its root did not fail, it answered, and did not say it failed.
    answered = runs.filter(
        ~pl.col("root_error").fill_null(True) & pl.col("answer_span_id").is_not_null() & ~pl.col("says_failure").fill_null(True)
    ).select("run_id")
    return (
        calls.join(used, on=["run_id", "span_id"], how="anti")
        .join(redone, on=["run_id", "span_id"], how="semi")
        .join(answered, on="run_id", how="semi")
        .select("run_id", "span_id", pl.lit(True).alias("recovered"))
        .unique()
    )
