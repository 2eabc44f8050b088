"""Which span decides a success reported on the framework's closing guess over failed steps.

At its step limit smolagents' ``_handle_max_steps_reached`` asks the model once more, with no
tools, for an answer from the memory of the failed steps (``provide_final_answer``,
huggingface/smolagents src/smolagents/agents.py), and the run returns that answer with no error.
The failed steps alone are no failure of the run: the same run whose closing answer says plainly
that it could not do the task is healthy (the answer tells of the faults: ``told_of_failure``).
What made it a silent failure is the closing model call answering as if the work had been done,
so where every error swallowed_error found is such a step, that call is the decisive span
(DETECTORS.md: a run that ran out of steps is decided by what used the steps up, a loop's first
member where a loop detector found one, and its closing model call for what it said).
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context
from forensics.detectors.findings import decisive_moved


def decided_by_closing_guess(ctx: Context, lost: pl.LazyFrame, findings: pl.LazyFrame) -> pl.LazyFrame:
    """``findings`` (swallowed_error's, one per run) with the decisive span moved to the run's
    closing guess (``runs.step_limit_span_id``, added to the evidence) where every swallowed
    error of the run (``lost``) is a step under that guess."""
    from forensics.detectors.silent_failure import steps_under_a_closing_guess

    steps = steps_under_a_closing_guess(ctx).select("run_id", "span_id")
    other = lost.select("run_id", "span_id").join(steps, on=["run_id", "span_id"], how="anti").select("run_id")
    guess = (
        ctx.runs.lazy()
        .filter(pl.col("step_limit_hit").fill_null(False) & pl.col("step_limit_span_id").is_not_null())
        .select("run_id", pl.col("step_limit_span_id").alias("_guess"))
        .join(steps.select("run_id"), on="run_id", how="semi")
        .join(other, on="run_id", how="anti")
    )
    return decisive_moved(
        findings.join(guess, on="run_id", how="left"), "_guess", ", on the model's closing guess at the step limit"
    )
