"""missing_fallback, the hand-off family: agents bounce one task between them until a limit stops it.

The OpenAI Agents SDK runs one task through a chain of agents: a model output that calls a handoff
tool makes the Runner finish the current agent span, open a ``handoff`` span (``from_agent``,
``to_agent``; ``src/agents/_run_impl.py`` ``execute_handoffs``, ``src/agents/tracing/span_data.py``
``HandoffSpanData``) and start an agent span for the target, which gets the whole conversation.
Every model turn counts against ``max_turns``; past it the Runner attaches
``SpanError(message="Max turns exceeded", data={"max_turns": N})`` to the current agent span and
raises ``MaxTurnsExceeded`` (``src/agents/run.py``, ``src/agents/exceptions.py``); the conventions
layer reads that as ``step_limit`` (``runs.step_limit_hit``, ``runs.step_limit_span_id``).

Why missing_fallback and not ownership_gap: every hand-off here IS picked up (the target starts
work at once, so ``dangling_handoff`` and ``limbo`` rightly stay silent); what is missing is the
defined path for "neither agent can settle this": an escalation to a person, a third agent, a
structured failure, a stop condition, anything but bouncing the task until the Runner's turn limit
ends the run with nothing. TAXONOMY's missing_fallback is "it hit a failure and no defined path
followed"; ownership_gap's signals are hand-offs or failures nobody picks up. The turn limit that
ended it is the same story, so ``budget_exceeded`` does not report that limit stop again.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, empty_findings, finding, hms
from forensics.detectors.registry import register
from forensics.policy import Threshold


def handoff_ping_pongs(ctx: Context) -> pl.DataFrame:
    """One row per run (no rows, and only ``run_id``, when none) that hit its step/turn limit while two agents kept handing the task back and
    forth: ``run_id``, ``a`` / ``b`` (the pair, ``a`` handed off first), ``n`` (their hand-offs),
    ``ids`` (those hand-offs and the limit span), ``decisive`` (the first hand-back, b to a),
    ``back_t``, ``limit_id``. The pair's hand-offs number at least ``ping_pong_handoffs`` and include
    a hand-back; no other agent was handed the task after the pair's first hand-off; the limit was
    hit by one of the two."""
    n_min = ctx.policy.ping_pong_handoffs
    src, dst = pl.col("agent"), pl.col("handoff_target")
    # The pair, whichever way the hand-off went (a string key: grouping by lists is slow).
    pair = (
        pl.when(src < dst)
        .then(pl.concat_str([src, dst], separator="\x1f"))
        .otherwise(pl.concat_str([dst, src], separator="\x1f"))
    )
    is_handoff = dst.is_not_null() & src.is_not_null() & (src != dst)
    # First, on integer run keys, the runs where one pair handed off often enough at all.
    busy = (
        ctx.spans.lazy()
        .filter(is_handoff)
        .group_by("run_key", pair.alias("pair"))
        .len()
        .filter(pl.col("len") >= n_min)
        .select("run_key")
        .collect()
    )
    if busy.is_empty():
        return ctx.cached("handoff_ping_pongs", pl.DataFrame(schema={"run_id": pl.String}).lazy())
    handoffs = (
        ctx.spans.lazy()
        .filter(is_handoff & pl.col("run_key").is_in(busy.get_column("run_key").implode()))
        .select(
            "run_id",
            "span_id",
            "seq",
            "t",
            src.alias("src"),
            dst.alias("dst"),
            pair.alias("pair"),
        )
        .sort("run_id", "seq")
    )
    pairs = (
        handoffs.with_columns(
            (pl.col("src") != pl.col("src").first().over("run_id", "pair")).alias("back"),
        )
        .group_by("run_id", "pair")
        .agg(
            pl.col("src").first().alias("a"),
            pl.col("dst").first().alias("b"),
            pl.len().alias("n"),
            pl.col("back").sum().alias("n_back"),
            pl.col("seq").first().alias("first_seq"),
            pl.col("span_id").alias("ids"),
            pl.col("span_id").filter(pl.col("back")).first().alias("decisive"),
            pl.col("t").filter(pl.col("back")).first().alias("back_t"),
        )
        .filter((pl.col("n") >= n_min) & (pl.col("n_back") >= 1))
        .collect()
    )
    if pairs.is_empty():  # the common case: nothing bounced, no need to look at limits
        return ctx.cached("handoff_ping_pongs", pairs.lazy().select("run_id").head(0))
    candidates = pairs.get_column("run_id").unique().implode()
    # Another agent handed the task after the pair began: the task moved on, no closed loop.
    outsiders = (
        handoffs.join(pairs.lazy().select("run_id", "pair", "first_seq"), on="run_id")
        .filter((pl.col("seq") > pl.col("first_seq")) & (pl.col("pair") != pl.col("pair_right")))
        .select("run_id", pl.col("pair_right").alias("pair"))
        .unique()
    )
    limits = (
        ctx.runs.lazy()
        .filter(pl.col("step_limit_hit").fill_null(False) & pl.col("run_id").is_in(candidates))
        .select("run_id", pl.col("step_limit_span_id").alias("limit_id"))
        .join(
            ctx.spans.lazy()
            .filter(pl.col("run_id").is_in(candidates))
            .select("run_id", pl.col("span_id").alias("limit_id"), pl.col("agent").alias("limit_agent")),
            on=["run_id", "limit_id"],
            how="left",
        )
    )
    found = (
        pairs.lazy()
        .join(outsiders, on=["run_id", "pair"], how="anti")
        .join(limits, on="run_id")
        .filter((pl.col("limit_agent") == pl.col("a")) | (pl.col("limit_agent") == pl.col("b")))
        .sort("run_id", "n", descending=[False, True])
        .group_by("run_id")
        .agg(pl.all().first())
        .with_columns(pl.concat_list("ids", pl.col("limit_id")).alias("ids"))
    )
    return ctx.cached("handoff_ping_pongs", found)


@register
class HandoffPingPong(Detector):
    name = "handoff_ping_pong"
    failure_class = "missing_fallback"
    scope = "run"
    severity = "medium"
    strength = "strong"
    thresholds = (
        Threshold(
            "ping_pong_handoffs",
            3,
            "Hand-offs between the same two agents (both ways) before a run that then hit its turn limit "
            "counts as bouncing the task (A->B, B->A, A->B).",
            "an integer >= 2",
            lambda v: v >= 2,
            required=False,
        ),
    )
    description = (
        "Two agents handed one task back and forth (handoff spans both ways, at least "
        "thresholds.ping_pong_handoffs of them, nobody else handed it after they began) until the run "
        "hit its turn or step limit (OpenAI Agents SDK MaxTurnsExceeded, 'Max turns exceeded' on the "
        "agent span; conventions: step_limit): each took the task up, neither settled it, and no "
        "escalation, other agent or stop condition followed, so the limit ended the run. The limit "
        "stop is this story's end, not a separate budget_exceeded."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        bounced = handoff_ping_pongs(ctx)
        if bounced.is_empty():
            return empty_findings()
        found = bounced.lazy()
        limit_t = ctx.spans.lazy().select("run_id", pl.col("span_id").alias("limit_id"), pl.col("t").alias("limit_t"))
        return found.join(limit_t, on=["run_id", "limit_id"], how="left").select(
            finding(
                "run_id",
                pl.col("ids"),
                "decisive",
                pl.format(
                    "{} and {} handed the task back and forth {} times ({} handed it back at {}) until the run "
                    "hit its turn limit at {}: neither settled it and no escalation, other agent or stop "
                    "condition followed",
                    pl.col("a"),
                    pl.col("b"),
                    pl.col("n"),
                    pl.col("b"),
                    hms("back_t"),
                    hms("limit_t"),
                ),
            )
        )
