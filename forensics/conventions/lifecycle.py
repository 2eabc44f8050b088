"""Lifecycle events of an application's own JSON-lines log: ``<subject>.started`` ... ``<subject>.finished``.

An in-house agent that logs structured events (structlog, python-json-logger, pino: one object a
line, read by ``forensics/loaders/jsonl.py``) writes a run and its steps as point events: a start
line when the work begins (``run.started``, ``step.started``, ``job_start``) and another when it
ends (``run.finished``, ``step.completed``, ``job_failed``). The loader reads each line as an event
of its own with no duration (a log line is a point in time), so a start whose end never came looks
as finished as the rest. The end is what says the work ended: where the run's root is a start
event and no end event of the same subject comes at or after it, the run never ended (the
process hung, or was killed before it could write its end). In such a run the step starts with no
end after them never ended either: ``end_time`` is cleared on them (the root then reads as open,
``reported_outcome`` open), and ``never_ended`` names them for the stall detector (the step the
run hung in).

Only runs whose root start has no end are touched: in a run that wrote its end, a step start with
no end of its own is the writer's choice not to close steps, not evidence.

The end line is also where such a log says how the run ended (``{"event": "run.end", "status":
"error", "final_output": ...}``): the root start, a point event with no status of its own, takes the
failure of the last end of its subject, so a run that ended in error reported its failure rather
than reading as a success with one failed event in it.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, register

#: ``<subject><sep><phase>``: the subject is what started or ended (run, step, job), the phase one
#: of the words below; the separator a dot, underscore, colon, slash, dash or space.
_LIFECYCLE: Final = r"(?i)^(.+?)[._:/ -]({start}|{end})$"
START_WORDS: Final = r"started|start|begin|began|begun"
END_WORDS: Final = (
    r"finished|finish|completed|complete|ended|end|done|failed|succeeded|stopped|cancelled|canceled"
    r"|aborted|errored|closed|exited|timed_out|timeout"
)
_PATTERN: Final = _LIFECYCLE.format(start=START_WORDS, end=END_WORDS)


def _extract() -> list[pl.Expr]:
    parts = pl.when(pl.col("kind") == "event").then(pl.col("name").str.extract_groups(_PATTERN))
    return [
        parts.struct.field("1").str.to_lowercase().alias("_cv_life_subject"),
        parts.struct.field("2").str.to_lowercase().str.contains(f"^(?:{START_WORDS})$").alias("_cv_life_start"),
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    never = pl.repeat(False, df.height, dtype=pl.Boolean, eager=True).alias("never_ended")
    life = df.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "run_key", "t", "is_root", "failed",
        pl.col("_cv_life_subject").alias("subject"), pl.col("_cv_life_start").alias("start"),
    ).filter(pl.col("subject").is_not_null() & pl.col("t").is_not_null())
    if not life.height or not life.get_column("start").any():
        return df.with_columns(never)
    df = _root_ended_in_error(df, life)
    # The last end of each subject in each run: a start at or before it was ended.
    last_end = (
        life.filter(~pl.col("start"))
        .group_by("run_key", "subject")
        .agg(pl.col("t").max().alias("_end_t"))
    )
    unended = (
        life.filter(pl.col("start"))
        .join(last_end, on=["run_key", "subject"], how="left")
        .filter(pl.col("_end_t").is_null() | (pl.col("_end_t") < pl.col("t")))
    )
    hung_runs = unended.filter(pl.col("is_root")).select("run_key").unique()
    rows = unended.join(hung_runs, on="run_key", how="semi").get_column("_row")
    if not rows.len():
        return df.with_columns(never)
    never = never.scatter(rows, True)
    return df.with_columns(
        never,
        pl.when(never).then(None).otherwise(pl.col("end_time")).alias("end_time"),
    )


def _root_ended_in_error(df: pl.DataFrame, life: pl.DataFrame) -> pl.DataFrame:
    """The root start event takes the failure of the last end event of its subject (``run.end`` with
    ``status: error`` under ``run.start``): the end line is where such a log says how the run ended,
    and the root, a point event that holds no status of its own, is what the run reported."""
    last_end = (
        life.filter(~pl.col("start"))
        .sort("t")
        .group_by("run_key", "subject")
        .agg(pl.col("t").last().alias("_end_t"), pl.col("failed").last().alias("_end_failed"))
    )
    rows = (
        life.filter(pl.col("start") & pl.col("is_root") & ~pl.col("failed"))
        .join(last_end, on=["run_key", "subject"])
        .filter((pl.col("_end_t") >= pl.col("t")) & pl.col("_end_failed"))
        .get_column("_row")
    )
    if not rows.len():
        return df
    ended = pl.repeat(False, df.height, dtype=pl.Boolean, eager=True).scatter(rows, True)
    return df.with_columns(
        (pl.col("failed") | ended).alias("failed"),
        pl.when(ended).then(pl.lit("error")).otherwise(pl.col("status")).alias("status"),
    )


register(
    Convention(
        name="lifecycle_events",
        signals=(
            Signal(
                "point events named <subject>.started / <subject>.finished (step_start, job:failed ...) in an application's JSON-lines log; the root a start with no end of its subject at or after it",
                "in-house agents logging structured events (structlog, python-json-logger, pino)",
                "forensics/loaders/jsonl.py (a log line is a point in time: an event's end is its start)",
                "never_ended, end_time cleared (the run's reported_outcome open)",
            ),
            Signal(
                "the last end event of the root start's subject failed (run.end with status error under run.start)",
                "in-house agents logging structured events (structlog, python-json-logger, pino)",
                "forensics/loaders/jsonl.py (status and level words of the end line)",
                "the root failed (status error): the run reported its failure",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={"never_ended": "a start event of an application log whose run never wrote the end of it, nor its own end"},
    )
)
