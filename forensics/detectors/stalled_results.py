"""A call repeated until a limit stopped the run, its result unchanged for the last stretch.

repeated_action asks that every repeat of a call bring back the same result: a status read that
moved once (``progress`` 0.0, then 0.05) and then stood still is, over the whole group, two
results, and was read as a state that changed. In a run its turn, step or recursion limit stopped
(``runs.step_limit_hit``), the calls of a stretch that got the same result one after another are
where its steps went: the OpenAI Agents SDK's agent loop raising ``MaxTurnsExceeded`` while a
model re-reads an export's status every two seconds for a job it was told takes four minutes
(openai/openai-agents-python src/agents/run.py: past ``max_turns`` the agent span gets
``SpanError("Max turns exceeded", {"max_turns": n})`` and ``MaxTurnsExceeded`` is raised).

Only where the limit stopped the run: a job polled three times while "running" and then found
"done" ended its wait, and a status that changes at each read is progress being watched.

Or where the state it stood still on has ended in failure (:data:`ENDED_IN_FAILURE`: the result's
own ``state`` / ``status`` says failed, error, cancelled, aborted, terminated, timed out or killed).
A poll waits for a state to move; a job that failed moves no more, so reading it again changes
nothing however long the run waits between reads: a smolagents CodeAgent whose code action polls
``while True: status = get_job_status(...)`` and breaks only on success keeps calling the tool from
its python executor, with no model call to notice the failure (huggingface/smolagents
``src/smolagents/agents.py`` ``CodeAgent._step_stream``: the whole code action runs in
``self.python_executor`` before the step's observation goes back to the model; each tool call inside
it is traced on its own, openinference-instrumentation-smolagents ``_wrappers.py`` ``_ToolCallWrapper``).
A status that ended in success ends the wait (the loop's break), and one read of a failure is the
news the poll was for: only ``repeat_count`` reads of the same failed result in a row are a loop.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: A result whose own state or status field says the thing it describes has ended in failure: a job
#: API's ``{"state": "FAILED"}``, ``"status": "cancelled"``, ``"result_state": "TIMEDOUT"``. Ended
#: states only: ``running``, ``queued``, ``pending`` or an incident's ``triggered`` may still move.
ENDED_IN_FAILURE: Final = (
    r"""(?i)["']?(?:state|status|job_state|job_status|run_state|result_state)["']?\s*:\s*["']"""
    r"""(?:failed|failure|errored|error|cancell?ed|aborted|terminated|timed_?out|killed)["']"""
)


def failed_stretch(
    result: pl.Expr, ok: pl.Expr, output: pl.Expr, seq: pl.Expr, span_id: pl.Expr
) -> list[pl.Expr]:
    """Per repeat group (aggregations): ``longest_failed``, the most completed calls in a row that
    got the same ``result`` on a state that had ended in failure (:data:`ENDED_IN_FAILURE`), and
    ``failed_redo_id``, the read after the first such one (where the loop began)."""
    failed = ok & output.str.contains(ENDED_IN_FAILURE).fill_null(False)
    return [
        longest_same_result(result, failed, seq).alias("longest_failed"),
        span_id.filter(failed).sort_by(seq.filter(failed)).slice(1, 1).first().alias("failed_redo_id"),
    ]


def stalled_on_failure(repeat_count: int) -> pl.Expr:
    """The repeat groups (``longest_failed``, ``unbroken``) whose result stood still on a state that
    had ended in failure for ``repeat_count`` calls in a row, the agent not moving on to other work
    between them (``unbroken``, new_information: a re-check of a failed job once other work is done
    is no loop)."""
    return (pl.col("longest_failed") >= repeat_count) & (pl.col("unbroken") >= repeat_count)


def redo_at_failure(repeat_count: int) -> pl.Expr:
    """``redo_id`` where only the failed stretch stood still (the group got other results before
    it): the loop began at the stretch's first repeat, not at the group's."""
    return (
        pl.when((pl.col("n_results") > 1) & stalled_on_failure(repeat_count))
        .then(pl.coalesce("failed_redo_id", "redo_id"))
        .otherwise(pl.col("redo_id"))
        .alias("redo_id")
    )


def longest_same_result(result: pl.Expr, counted: pl.Expr, seq: pl.Expr) -> pl.Expr:
    """Per group (an aggregation): the most calls, in the run's order (``seq``), that got the same
    ``result`` one after another, among the ``counted`` calls (0 when none is counted)."""
    return result.filter(counted).sort_by(seq.filter(counted)).rle().struct.field("len").max().fill_null(0)


def stalled_at_limit(longest_same: pl.Expr, step_limit_hit: pl.Expr, repeat_count: int) -> pl.Expr:
    """The repeat groups of a run its limit stopped (``step_limit_hit``, in the same agent run)
    whose result stood still for ``repeat_count`` calls in a row (``longest_same``)."""
    return step_limit_hit & (longest_same >= repeat_count)


def same_result_told(
    n_results: pl.Expr, n_ok: pl.Expr, longest_same: pl.Expr, longest_failed: pl.Expr | None = None
) -> pl.Expr:
    """The "N times" of the finding: every completed call where all got one result, else the
    stretch that stood still ("7 times in a row until ..."), or stood still on a failed state."""
    at_limit = pl.format("{} times in a row until its turn or step limit stopped the run", longest_same)
    if longest_failed is not None:
        at_limit = (
            pl.when(longest_failed >= longest_same)
            .then(pl.format("{} times in a row after the state it read had ended in failure", longest_failed))
            .otherwise(at_limit)
        )
    return pl.when(n_results == 1).then(pl.format("{} times", n_ok)).otherwise(at_limit)
