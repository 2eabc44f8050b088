"""One finding per run from the spans a rule flagged: the block most detectors end with.

A rule selects the spans that show its failure; the finding groups them by run, in the run's order
(``seq``): every flagged span is evidence, the first one is the decisive span, and the explanation
is written from the first span's columns and the count ``n`` of flagged spans::

    return per_run_finding(
        lost,
        first=["kind", "call", "t"],
        explanation=pl.format("{} {} failed at {} ({} error(s))", pl.col("kind"), txt(pl.col("call")), hms("t"), pl.col("n")),
    )
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from forensics.detectors.base import finding


def per_run_finding(
    rows: pl.LazyFrame,
    *,
    first: Sequence[str] = (),
    explanation: pl.Expr,
    also: Sequence[pl.Expr] = (),
    strength: str | pl.Expr | None = None,
    key: str = "run_id",
    order: str = "seq",
    decisive_at: int = 0,
) -> pl.LazyFrame:
    """The ``DETECTOR_OUTPUT`` rows for ``rows`` (flagged spans with ``run_id``, ``seq`` and
    ``span_id``): one per run, its evidence every flagged span id in run order, its decisive span
    the first. ``first``: columns taken from the first flagged span, by their own names;
    ``also``: further aggregations; both, and ``n`` (how many spans were flagged), are there for
    ``explanation`` and ``strength`` to read. ``key``/``order``: the grouping and the order within
    it, where a rule keys runs otherwise (``run_key``, a physical run) or orders by time (``t``).
    ``decisive_at``: which flagged span, in that order, is decisive (1: a loop's first repeat)."""
    firsts = [c for c in first if c != "run_id"]
    per_run = (
        rows.sort(key, order)
        .group_by(key)
        .agg(
            *([] if key == "run_id" else [pl.col("run_id").first()]),
            pl.col("span_id").alias("ids"),
            pl.col("span_id").get(decisive_at, null_on_oob=True).alias("first_id"),
            *[pl.col(c).first() for c in firsts],
            *also,
            pl.len().alias("n"),
        )
    )
    return per_run.select(finding("run_id", pl.col("ids"), "first_id", explanation, strength))


def first_repeat(ok: pl.Expr) -> pl.Expr:
    """In a group of identical calls (``span_id``, ``seq``), the loop's first repeat: the call after
    the first one that ``ok`` says brought a result, or, every call failing, the second call. The
    first call was the run's own legitimate step; the repeat is where the run ignored what it had
    (docs/DETECTORS.md, "Which span is decisive")."""
    ids = pl.col("span_id").sort_by("seq")
    after_result = ids.filter(pl.col("seq").sort() > pl.col("seq").filter(ok).min()).first()
    return pl.coalesce(after_result, ids.get(1, null_on_oob=True))


def at_step_before_event(spans: pl.LazyFrame, hits: pl.LazyFrame) -> pl.LazyFrame:
    """``hits`` (``run_id, span_id, seq, kind``) with each event hit moved to the step before it: the
    run's latest model or tool call before the event (its ``span_id`` and ``seq``). An event that
    reports a limit or an overflow made no call of its own: the step that went past it is the one
    before (OpenHands writes the stop as an observation of the agent's state, ``ErrorObservation``
    or ``AgentStateChangedObservation`` with the controller's reason, after the action whose model
    call crossed it: openhands/controller/agent_controller.py). Other hits, and an event with no
    step before it, stay."""
    steps = spans.filter(pl.col("kind").is_in(["llm", "tool"])).select("run_id", _p="span_id", _ps="seq")
    prev = hits.filter(pl.col("kind") == "event").select("run_id", "span_id", "seq").join(steps, on="run_id")
    prev = prev.filter(pl.col("_ps") < pl.col("seq")).group_by("run_id", "span_id").agg(
        pl.col("_p").sort_by("_ps").last(), pl.col("_ps").max()
    )
    hits = hits.join(prev, on=["run_id", "span_id"], how="left")
    return hits.with_columns(span_id=pl.coalesce("_p", "span_id"), seq=pl.coalesce("_ps", "seq")).drop("_p", "_ps")


def decisive_moved(findings: pl.LazyFrame, to: str, note: str) -> pl.LazyFrame:
    """``findings`` (``DETECTOR_OUTPUT`` rows) with the decisive span moved to column ``to`` where it
    is set: that span is added to the evidence and ``note`` to the explanation; ``to`` is dropped."""
    moved = pl.col(to).is_not_null()
    return findings.with_columns(
        pl.when(moved).then(pl.col(to)).otherwise(pl.col("decisive_span_id")).alias("decisive_span_id"),
        pl.when(moved)
        .then(pl.col("evidence_span_ids").list.concat(pl.concat_list(pl.col(to))))
        .otherwise(pl.col("evidence_span_ids"))
        .alias("evidence_span_ids"),
        pl.when(moved).then(pl.concat_str(pl.col("explanation"), pl.lit(note))).otherwise(pl.col("explanation")).alias("explanation"),
    ).drop(to)


def next_model_call(ctx_spans: pl.LazyFrame, at: pl.LazyFrame, *, after_end: bool = False) -> pl.LazyFrame:
    """``run_id`` and ``_next``: per run of ``at`` (columns ``run_id``, ``seq`` and, with
    ``after_end``, ``end_time``), the first model call after the span ``at`` names: the call that
    read its result and went on. ``after_end`` asks the call to start once that span had ended
    (a smolagents step's span holds the observation and ends after its own model call)."""
    models = ctx_spans.filter(pl.col("kind") == "llm").select(
        "run_id", pl.col("start_time").alias("_m_start"), pl.col("seq").alias("_m_seq"), pl.col("span_id").alias("_next")
    )
    later = pl.col("_m_seq") > pl.col("seq")
    if after_end:
        later = later & (pl.col("_m_start") >= pl.col("end_time"))
    cols = ["run_id", "seq", "end_time"] if after_end else ["run_id", "seq"]
    return (
        at.select(cols)
        .join(models, on="run_id")
        .filter(later)
        .sort("_m_seq")
        .group_by("run_id")
        .agg(pl.col("_next").first())
    )
