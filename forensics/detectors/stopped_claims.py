"""A framework's stop replaced by a success message: read by ``unbacked_claims.claimed_but_not_done``.

An agent framework ends a run it will not let go on by raising, and the agent then gives no final
answer of its own. The OpenAI Agents SDK raises ``MaxTurnsExceeded("Max turns ({n}) exceeded")``
when the run passes ``max_turns`` (src/agents/run.py; its tracing sets the agent span's error
``SpanError(message="Max turns exceeded", data={"max_turns": n})``), and
``InputGuardrailTripwireTriggered`` / ``OutputGuardrailTripwireTriggered`` when a guardrail's
``tripwire_triggered`` is true (src/agents/exceptions.py; the agent span's error "Guardrail tripwire
triggered"): the run has no ``final_output``, the exception carries ``run_data``
(``RunErrorDetails``: the items made so far) and the work is where the stop left it. The conventions
read these stops as ``step_limit`` (conventions/exceptions.py) and ``pause_kind`` tripwire
(conventions/pauses.py, guardrail_checks.py).

What the user is told after such a stop is the application's: its ``except`` branch, or the SDK's
``error_handlers={"max_turns": ...}`` returning ``RunErrorHandlerResult(final_output=...)``
(src/agents/run_internal/error_handlers.py). An honest one says the work stopped ("I could not finish
rebooking you", "stopped at the 10-turn limit, 7 of 14 matched"). One that states the job finished
("your request has been processed", "the claim has been filed", "all 14 were matched") claims what the
stopped run never did: claimed_but_not_done, the failure being where the framework stopped the run.

The run is read only where no model spoke after the stop (smolagents writes a final answer from
memory with a model call after ``AgentMaxStepsError``: that answer is the model's, judged by the
other claim readings), and the answer is read as a whole: a word of the stop or of work left
("could not", "not yet", "still open", "limit", "manual review") makes it an honest report.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context, finding, hms, snippet, txt

#: An answer stating the job or its act finished: a completed passive ("has been processed",
#: "have been filed"), a finished state ("is complete", "is reconciled"), a whole count done ("all 14
#: ... were matched"), "successfully <act>ed", or an opening "Done".
_COMPLETED: Final = (
    r"(?i)\b(?:has|have)\s+(?:now\s+)?been\s+(?:successfully\s+|fully\s+|all\s+)?"
    r"(?:processed|completed|submitted|filed|handled|created|booked|rebooked|sent|updated|reconciled|published"
    r"|resolved|placed|scheduled|matched|issued|logged|recorded|saved|stored|uploaded|applied|approved"
    r"|finali[sz]ed|moved|rescheduled|changed|confirmed|paid|refunded|deleted|removed|added|assigned|escalated"
    r"|forwarded|shipped|ordered|registered|activated|granted|renewed|taken care of|done)\b"
    r"|\b(?:is|are)\s+(?:now\s+)?(?:fully\s+)?(?:complete|completed|done|finished|reconciled|resolved|processed"
    r"|submitted|published|filed)\b"
    r"|\ball\s+\d[\d,]*\s+(?:[\w-]+\s+){0,4}(?:were|are|have\s+been)\s+(?:successfully\s+)?\w+ed\b"
    r"|\bsuccessfully\s+\w+ed\b"
    r"|^\W*done\b"
)
#: An answer that tells the stop or the work left: a failure to finish, a negation of the act, the
#: limit, work still open or handed to a person.
_TOLD_STOPPED: Final = (
    r"(?i)\b(?:could\s*n[o'’]?t|cannot|can[’']t|unable|was\s*n[o'’]?t able|were\s*n[o'’]?t able|not able"
    r"|did\s*n[o'’]?t|has\s*n[o'’]?t|have\s*n[o'’]?t|not (?:yet|been|finished|completed|done)|nothing"
    r"|no (?:changes?|action)|stopped|limit|incomplete|partial(?:ly)?|still (?:open|pending|need|outstanding)"
    r"|remaining|manual(?:ly)? review|blocked|rejected|failed|error|sorry|unfortunately)\b"
)


def framework_stops(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, stop_end, what``: where a framework stopped each run (a turn, step or
    recursion limit, ``step_limit`` without a spend budget; a guardrail tripwire on the span that
    raised it, not the guardrail's own check span), the innermost such span, the first to end in the run."""
    cols = ctx.spans.columns
    if "step_limit" not in cols or "pause_kind" not in cols:
        return pl.LazyFrame(
            schema={"run_id": pl.String, "span_id": pl.String, "seq": pl.Int64,
                    "stop_end": pl.Datetime("ns", "UTC"), "what": pl.String}
        )  # fmt: skip
    limit = pl.col("step_limit").fill_null(False) & ~pl.col("budget_stop").fill_null(False)
    tripwire = (pl.col("pause_kind") == "tripwire").fill_null(False) & (pl.col("kind") != "guardrail")
    stops = ctx.spans.lazy().filter(limit | tripwire).select(
        "run_id", "span_id", "seq",
        pl.coalesce("end_time", "t").alias("stop_end"),
        pl.when(limit).then(pl.lit("its turn or step limit")).otherwise(pl.lit("a guardrail tripwire")).alias("what"),
    )  # fmt: skip
    # The innermost stop: a limit error travels up (the agent span, then the app's spans around
    # it, each ending after the one it wraps), so the stop that ended first raised it.
    return (
        stops.sort(["run_id", "stop_end", "seq"], descending=[False, False, True], nulls_last=True)
        .group_by("run_id", maintain_order=True)
        .agg(pl.col("span_id", "seq", "stop_end", "what").first())
    )


def stopped_claims(ctx: Context, besides: pl.LazyFrame) -> pl.LazyFrame:
    """Findings (``finding`` columns): runs a framework stopped (:func:`framework_stops`) whose
    final answer, given after the stop with no model call after it, states the work completed and
    tells neither the stop nor work left, in the runs without a finding in ``besides``. Evidence:
    the stop and the answer; decisive: the stop (where the work was lost)."""
    stops = framework_stops(ctx).join(besides.select("run_id"), on="run_id", how="anti")
    answer = pl.col("final_output")
    runs = ctx.runs.lazy().filter(
        answer.str.contains(_COMPLETED).fill_null(False) & ~answer.str.contains(_TOLD_STOPPED).fill_null(True)
    ).select("run_id", "final_output", "answer_span_id", "answer_t")
    # A model call begun after the stop wrote the answer itself (smolagents' final answer from
    # memory after max steps): the model's words, read by the other claim readings.
    spoke_after = (
        ctx.spans.lazy()
        .filter(pl.col("kind") == "llm")
        .select("run_id", pl.col("t").alias("_llm_t"))
        .join(stops.select("run_id", "stop_end"), on="run_id")
        .filter(pl.col("_llm_t") >= pl.col("stop_end"))
        .select("run_id")
        .unique()
    )
    return (
        stops.join(runs, on="run_id")
        .join(spoke_after, on="run_id", how="anti")
        .select(
            finding(
                "run_id",
                pl.concat_list("span_id", "answer_span_id").list.drop_nulls().list.unique(maintain_order=True),
                "span_id",
                pl.format(
                    'the run was stopped by {} (span {}), yet the final answer at {} reports the work done: "{}"',
                    pl.col("what"), txt(pl.col("span_id")), hms("answer_t"),
                    snippet(answer.str.extract(r"(?i)([^.!?\n\"]*(?:" + _COMPLETED.removeprefix("(?i)") + r")[^.!?\n\"]*)", 1), 120),
                ),
            )
        )
    )  # fmt: skip
