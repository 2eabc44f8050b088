"""context_collapse: a side effect done before an interrupt, done again when the graph resumed.

LangGraph resumes an interrupted thread by re-executing the node that called ``interrupt()`` from
its first line: on ``Command(resume=...)`` "the node is re-executed from the beginning", and
``interrupt()`` then returns the resume value instead of raising (LangGraph docs, human-in-the-loop
"Resume using the Command primitive" and "Common pitfalls: side effects before interrupt"; the
docs' advice is to place side effects after the interrupt or in a separate node, or make them
idempotent; langgraph/types.py ``interrupt``, ``Command``). A side-effecting call placed before
``interrupt()`` in that node (an e-mail sent, a card charged) runs once in the paused run and once
more in the resumed run of the same thread: the customer gets two e-mails.

In a log: the node span that paused (``pause_kind`` interrupt: GraphInterrupt on the node,
``__interrupt__`` in the run's outputs), a successful side-effecting tool call under it (its child or
grandchild) in that run, and in a later run of the same thread (``scope_key``: LangGraph
``thread_id``) the same tool with the same normalised arguments, succeeding again under a node of
the same name. A read repeated there is the node replaying (redo_after_restart's story, harmless);
a call that made nothing new (get-or-create ``"created": false``, an idempotency key or a replayed
answer: ``effects.created_nothing_new``) did nothing twice; a side effect placed after the
interrupt runs once, in the resumed run only.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, finding, hms, txt
from forensics.detectors.effects import created_nothing_new
from forensics.detectors.registry import register


def _with_nodes(s: pl.LazyFrame) -> pl.LazyFrame:
    """``s`` with each span's parent and grandparent: their ids and calls (``p_id``, ``p_call``,
    ``g_id``, ``g_call``)."""
    up = s.select("run_id", pl.col("span_id").alias("parent_id"), pl.col("call").alias("p_call"),
                  pl.col("parent_id").alias("g_id"))
    calls = s.select("run_id", pl.col("span_id").alias("g_id"), pl.col("call").alias("g_call"))
    return (
        s.join(up, on=["run_id", "parent_id"], how="left")
        .join(calls, on=["run_id", "g_id"], how="left")
        .rename({"parent_id": "p_id"})
    )


@register
class SideEffectRedoneOnResume(Detector):
    name = "side_effect_redone_on_resume"
    failure_class = "context_collapse"
    scope = "session"
    severity = "high"
    strength = "strong"
    description = (
        "A graph node that paused (a LangGraph interrupt) had already made a side-effecting call (an "
        "e-mail sent, a charge) before interrupt(); when the thread was resumed (Command(resume=...)) "
        "LangGraph re-executed the node from its start and the same tool ran again with the same "
        "arguments in the resumed run, under the node of the same name: the effect happened twice. A "
        "read repeated there, a call that made nothing new (created: false, an idempotency key, a "
        "replayed answer) or a side effect done only after the interrupt is not this."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        runs = ctx.runs.lazy().select("run_id", "scope_key", pl.col("start_time").alias("run_start"))
        # The nodes that paused: an interrupt on a span inside the run (not the run's root). Where only
        # the run says it paused (``__interrupt__`` in the root's outputs, no node recorded with the
        # GraphInterrupt), the node is not named: ``node_id`` null, and the effect's own node (its
        # parent, not the root) stands for it, compared by name in the resumed run.
        interrupts = s.filter((pl.col("pause_kind") == "interrupt").fill_null(False))
        at_node = interrupts.filter(~pl.col("is_root")).select(
            pl.col("run_id").alias("e_run"), pl.col("span_id").alias("node_id"),
            pl.col("call").alias("node"), pl.coalesce("end_time", "t").alias("paused_at"),
        )
        run_only = (
            interrupts.filter(pl.col("is_root"))
            .join(at_node.select(pl.col("e_run").alias("run_id")), on="run_id", how="anti")
            .select(pl.col("run_id").alias("e_run"), pl.lit(None, pl.String).alias("node_id"),
                    pl.lit(None, pl.String).alias("node"), pl.coalesce("end_time", "t").alias("paused_at"))
        )
        paused = (
            pl.concat([at_node, run_only])
            .join(runs.rename({"run_id": "e_run"}).drop("run_start"), on="e_run")
            .collect()
        )
        if paused.height == 0:
            return pl.LazyFrame(schema={"run_id": pl.String}).select(
                finding("run_id", pl.lit([], pl.List(pl.String)), pl.lit(None, pl.String), pl.lit(None, pl.String))
            )
        in_play = paused.get_column("scope_key").unique().implode()
        effects = (
            _with_nodes(s.join(runs, on="run_id").filter(pl.col("scope_key").is_in(in_play)))
            .filter(
                pl.col("succeeded")
                & (
                    ((pl.col("kind") == "tool") & pl.col("is_side_effect"))
                    # A side effect the node made without a tool span: a traced function
                    # (LangSmith @traceable's default run_type "chain": send_email) or the HTTP
                    # request itself (POST api.sendgrid.com/v3/mail/send), named for a delivery or
                    # an irreversible act (the policy's names; a chain's name alone is no write:
                    # "post_process").
                    | (
                        pl.col("kind").is_in(["chain", "unknown"])
                        & (pl.col("call").str.contains(ctx.policy.delivery) | pl.col("call").str.contains(ctx.policy.irreversible)).fill_null(False)
                        & ~pl.col("call").str.contains(ctx.policy.read_only).fill_null(False)
                        & pl.col("http_method").str.to_uppercase().is_in(["POST", "PATCH"]).fill_null(True)
                        & (pl.col("call") != pl.col("p_call")).fill_null(True)
                    )
                )
            )
            .select("run_id", "span_id", "seq", "t", "call", "args", "output", "pause_kind", "scope_key",
                    "run_start", "p_id", "p_call", "g_id", "g_call")
            .collect()
            .lazy()
            .filter(~created_nothing_new())
            .drop("output", "pause_kind")
        )
        # Before the pause: the effect under the node that paused.
        roots = s.filter(pl.col("is_root")).select("run_id", pl.col("span_id").alias("_root"))
        before = (
            effects.join(paused.lazy(), left_on=["run_id", "scope_key"], right_on=["e_run", "scope_key"])
            .join(roots, on="run_id", how="left")
            .filter(
                (pl.col("p_id") == pl.col("node_id")) | (pl.col("g_id") == pl.col("node_id"))
                | (pl.col("node_id").is_null() & (pl.col("p_id") != pl.col("_root")))
            )
            .with_columns(pl.coalesce("node_id", "p_id").alias("node_id"), pl.coalesce("node", "p_call").alias("node"))
            .select("scope_key", "call", "args", "node", "paused_at",
                    pl.col("run_id").alias("e_run"), pl.col("span_id").alias("e_span"), "node_id",
                    pl.col("t").alias("e_t"))
        )
        # After the resume: the same call, same arguments, under a node of that name in a later run.
        again = (
            # (A request's body is not recorded: no arguments on either side is the same call.)
            effects.join(before, on=["scope_key", "call", "args"], nulls_equal=True)
            .filter(
                (pl.col("run_id") != pl.col("e_run"))
                & (pl.col("run_start") >= pl.col("paused_at")).fill_null(False)
                & ((pl.col("p_call") == pl.col("node")) | (pl.col("g_call") == pl.col("node"))).fill_null(False)
            )
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(pl.all().first(), pl.len().alias("n"))
        )
        return again.select(
            finding(
                "run_id",
                pl.concat_list("e_span", "node_id", "span_id"),
                "span_id",
                pl.format(
                    "node {} ran tool {} at {} before it paused for a person (interrupt) in run {}; resumed, "
                    "LangGraph re-ran the node from its start and {} ran again with the same arguments at {}: "
                    "the side effect happened twice",
                    txt(pl.col("node")),
                    txt(pl.col("call")),
                    hms("e_t"),
                    pl.col("e_run"),
                    txt(pl.col("call")),
                    hms("t"),
                ),
            )
        )
