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
"""

from __future__ import annotations

import polars as pl


def longest_same_result(result: pl.Expr, counted: pl.Expr, seq: pl.Expr) -> pl.Expr:
    """Per group (an aggregation): the most calls, in the run's order (``seq``), that got the same
    ``result`` one after another, among the ``counted`` calls (0 when none is counted)."""
    return result.filter(counted).sort_by(seq.filter(counted)).rle().struct.field("len").max().fill_null(0)


def stalled_at_limit(longest_same: pl.Expr, step_limit_hit: pl.Expr, repeat_count: int) -> pl.Expr:
    """The repeat groups of a run its limit stopped (``step_limit_hit``, in the same agent run)
    whose result stood still for ``repeat_count`` calls in a row (``longest_same``)."""
    return step_limit_hit & (longest_same >= repeat_count)


def same_result_told(n_results: pl.Expr, n_ok: pl.Expr, longest_same: pl.Expr) -> pl.Expr:
    """The "N times" of the finding: every completed call where all got one result, else the
    stretch that stood still ("7 times in a row until ...")."""
    return (
        pl.when(n_results == 1)
        .then(pl.format("{} times", n_ok))
        .otherwise(pl.format("{} times in a row until its turn or step limit stopped the run", longest_same))
    )
