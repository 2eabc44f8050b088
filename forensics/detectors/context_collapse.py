"""context_collapse: the agent lost its operational thread.

It repeats steps, drops prior decisions, or restarts from scratch after a session boundary or
crash. Each signal in TAXONOMY.md is one detector below.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, failed_runs, finding, hms, txt
from forensics.detectors.registry import register


@register
class RepeatedAction(Detector):
    name = "repeated_action"
    failure_class = "context_collapse"
    scope = "run"
    severity = "medium"
    strength = "strong"
    description = (
        "The same agent calls the same tool with the same arguments repeat_count+ times in a run "
        "and the calls bring no new information (identical results or errors)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        n = ctx.policy.repeat_count
        tools = ctx.spans.lazy().filter(pl.col("kind") == "tool")
        ok = pl.col("succeeded")
        groups = (
            # One 64-bit key for (run, agent, tool, arguments): grouping a million tool calls on
            # one integer rather than three strings.
            tools.group_by(pl.struct("run_key", "agent", "call", "args").hash(7).alias("_k"))
            .agg(
                pl.col("run_id").first(),
                pl.col("agent").first().fill_null("(no agent)"),
                pl.col("call").first(),
                pl.col("span_id").alias("ids"),
                pl.len().alias("n"),
                ok.sum().alias("n_ok"),
                pl.col("output").filter(ok).n_unique().alias("n_results"),
                # The first result the agent then ignored (labeling convention: not the first repeat).
                pl.col("span_id").filter(ok).first().alias("redo_id"),
                pl.col("t").min().alias("first_t"),
                pl.col("t").max().alias("last_t"),
                pl.col("seq").min().alias("first_seq"),
            )
            # A retry of a failing call is not a loop (that is retry_storm's business): the agent
            # must have completed the step at least twice with the same result.
            .filter((pl.col("n") >= n) & (pl.col("n_ok") >= 2) & (pl.col("n_results") == 1))
        )
        return groups.select(
            finding(
                "run_id",
                pl.col("ids"),
                "redo_id",
                pl.format(
                    "agent {} called tool {} {} times with the same arguments between {} and {}, "
                    "getting the same result {} times, so the repeats brought no new information",
                    pl.col("agent"),
                    txt(pl.col("call")),
                    pl.col("n"),
                    hms("first_t"),
                    hms("last_t"),
                    pl.col("n_ok"),
                ),
            )
        )


@register
class RedoAfterRestart(Detector):
    name = "redo_after_restart"
    failure_class = "context_collapse"
    scope = "session"
    severity = "medium"
    strength = "weak"
    description = (
        "Within a session, a later run repeats a tool call (same tool and arguments) that an "
        "earlier, failed run had already completed, instead of resuming from the failed step."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        runs = ctx.runs.lazy().filter(pl.col("session_id").is_not_null())
        failed = (
            failed_runs(ctx)
            .lazy()
            .filter(pl.col("run_failed"))
            .join(runs.select("run_id", "start_time", "task"), on="run_id")
            .select("run_id", pl.col("start_time").alias("e_run_start"), pl.col("task").alias("e_task"))
        )
        tools = ctx.spans.lazy().filter((pl.col("kind") == "tool") & pl.col("session_id").is_not_null())
        done = (
            tools.filter(pl.col("succeeded"))
            .join(failed, on="run_id")
            .sort("e_run_start", "seq")
            # The earliest completion of each step is the one a resuming run should have reused.
            .group_by("session_id", "call", "args")
            .agg(
                pl.col("run_id").first().alias("e_run"),
                pl.col("span_id").first().alias("e_span"),
                pl.col("e_run_start").first(),
                pl.col("e_task").first(),
            )
        )
        later = tools.join(
            runs.select("run_id", pl.col("start_time").alias("run_start"), "task"), on="run_id"
        )
        # A restart is given the same task again; a new request in the same conversation that
        # re-reads the same record is not a redo. Without recorded tasks we cannot tell, and judge.
        same_task = (
            pl.col("task").is_null() | pl.col("e_task").is_null() | (pl.col("task") == pl.col("e_task"))
        )
        redo = later.join(done, on=["session_id", "call", "args"]).filter(
            (pl.col("run_id") != pl.col("e_run")) & (pl.col("run_start") > pl.col("e_run_start")) & same_task
        )
        per_run = (
            redo.sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").first().alias("first_redo"),
                pl.col("call").first(),
                pl.col("t").first(),
                pl.col("e_run").first(),
                pl.col("e_span").unique(maintain_order=True).alias("e_spans"),
                pl.col("span_id").alias("redo_ids"),
                pl.struct("call", "args").n_unique().alias("n_steps"),
            )
        )
        return per_run.select(
            finding(
                "run_id",
                pl.concat_list("e_spans", "redo_ids"),
                "first_redo",
                pl.format(
                    "this run redid {} step(s) that run {} of the same session had already completed "
                    "before it failed, starting with tool {} at {}, instead of resuming from the failed step",
                    pl.col("n_steps"),
                    pl.col("e_run"),
                    txt(pl.col("call")),
                    hms("t"),
                ),
            )
        )


@register
class DuplicateSideEffect(Detector):
    name = "duplicate_side_effect"
    failure_class = "context_collapse"
    scope = "session"
    severity = "high"
    strength = "strong"
    description = (
        "A side-effecting tool (policy tools.side_effecting) succeeds twice with the same arguments "
        "in a run, or again in a restart (same task) of a failed run of the session."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        key = ["scope_key", "call", "args"]
        effects = (
            ctx.spans.lazy()
            .filter((pl.col("kind") == "tool") & pl.col("is_side_effect") & pl.col("succeeded"))
            .join(
                ctx.runs.lazy().select(
                    "run_id", pl.col("start_time").alias("run_start"), "task", "scope_key"
                ),
                on="run_id",
            )
            .join(failed_runs(ctx).lazy(), on="run_id")
            .sort("scope_key", "run_start", "run_id", "seq")
        )
        prev = {c: pl.col(c).shift(1).over(key) for c in ("run_id", "span_id", "t", "run_failed", "task")}
        same_task = prev["task"].is_null() | pl.col("task").is_null() | (prev["task"] == pl.col("task"))
        # Each success is compared with the previous one of the same effect: a repeat within a run,
        # or a restart of a failed run given the same task (two separate requests that each send
        # the same confirmation are two requests).
        repeats = effects.with_columns(
            prev["run_id"].alias("prev_run"),
            prev["span_id"].alias("prev_id"),
            prev["t"].alias("prev_t"),
            (prev["run_id"] == pl.col("run_id")).alias("same_run"),
            (prev["run_failed"].fill_null(False) & same_task).alias("restart"),
        ).filter(pl.col("prev_run").is_not_null() & (pl.col("same_run") | pl.col("restart")))
        per_effect = (
            repeats.sort("scope_key", "run_start", "run_id", "seq")
            .group_by(key)
            .agg(pl.all().first(), pl.len().alias("n_repeats"))
            .with_columns(
                # Decisive: the first success whose effect was then repeated, within the run that
                # repeated it (across runs, the repeat itself: the earlier run did nothing wrong).
                pl.when(pl.col("same_run"))
                .then(pl.col("prev_id"))
                .otherwise(pl.col("span_id"))
                .alias("decisive"),
            )
        )
        where = (
            pl.when(pl.col("same_run"))
            .then(pl.lit("in the same run"))
            .otherwise(pl.format("in a restart of failed run {}", pl.col("prev_run")))
        )
        return per_effect.select(
            finding(
                "run_id",
                pl.concat_list("prev_id", "span_id"),
                "decisive",
                pl.format(
                    "side-effecting tool {} succeeded at {} and again with the same arguments at {} {}",
                    txt(pl.col("call")),
                    hms("prev_t"),
                    hms("t"),
                    where,
                ),
            )
        )


@register
class ContextOverflow(Detector):
    name = "context_overflow"
    failure_class = "context_collapse"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "An error or finish reason says the context window was exceeded or the output was cut "
        "(context_length_exceeded, finish_reason=length, max_tokens), or prompt tokens exceed "
        "thresholds.context_fraction of the model's window (policy context_windows, else the vendored "
        "LiteLLM table in forensics/data/context_windows.json)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:

        from forensics.context_windows import windows_for

        pol = ctx.policy
        # The model's real window: the policy's [context_windows] for models it names, else the
        # vendored public table (forensics/data/context_windows.json). Looked up once per distinct
        # model name, then mapped onto the column.
        models = ctx.spans.filter(pl.col("kind") == "llm").get_column("model").drop_nulls().unique().to_list()
        known = windows_for(models, pol.context_windows)
        window = (
            pl.col("model").replace_strict(list(known), list(known.values()), default=None, return_dtype=pl.Int64)
            if known
            else pl.lit(None, dtype=pl.Int64)
        )
        spans = ctx.spans.lazy().filter(pl.col("kind").is_in(["llm", "agent", "chain", "tool"]))
        said_overflow = pl.col("failed") & pl.col("overflow_text")
        truncated = pl.col("cut_short")
        hits = (
            spans.with_columns(window.alias("window"))
            .with_columns(
                said_overflow.alias("said"),
                truncated.alias("cut"),
                (
                    (pl.col("kind") == "llm")
                    & (pl.col("input_tokens") > pl.col("window") * pol.context_fraction)
                )
                .fill_null(False)
                .alias("full"),
            )
            .filter(pl.col("said") | pl.col("cut") | pl.col("full"))
        )
        reason = (
            pl.when(pl.col("said"))
            .then(
                pl.format(
                    "{} {} failed at {} because the context window was exceeded ({})",
                    pl.col("kind"),
                    txt(pl.col("call")),
                    hms("t"),
                    pl.col("error_label"),
                )
            )
            .when(pl.col("full"))
            .then(
                pl.format(
                    "model {} was sent {} prompt tokens at {}, {}% of its {}-token window (limit {}%)",
                    txt(pl.col("model")),
                    pl.col("input_tokens"),
                    hms("t"),
                    (pl.col("input_tokens") * 100 / pl.col("window")).round(0).cast(pl.Int64),
                    pl.col("window"),
                    pl.lit(round(pol.context_fraction * 100)),
                )
            )
            .otherwise(
                pl.format(
                    "model {} stopped at {} because it ran out of output tokens (finish reason length), so its output was cut",
                    txt(pl.coalesce("model", "call")),
                    hms("t"),
                )
            )
        )
        per_run = (
            hits.with_columns(reason.alias("why"))
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.col("span_id").first().alias("first_id"),
                pl.col("why").first(),
                pl.len().alias("n"),
                (pl.col("said") | pl.col("cut")).any().alias("stated"),
            )
        )
        explanation = (
            pl.when(pl.col("n") > 1)
            .then(pl.format("{} ({} such spans in the run)", pl.col("why"), pl.col("n")))
            .otherwise(pl.col("why"))
        )
        # The log saying so (an overflow error, a length finish) is strong; prompt tokens against a
        # table's window is an inference (the provider may count tokens differently).
        return per_run.select(
            finding(
                "run_id",
                pl.col("ids"),
                "first_id",
                explanation,
                pl.when(pl.col("stated")).then(pl.lit("strong")).otherwise(pl.lit("weak")),
            )
        )
