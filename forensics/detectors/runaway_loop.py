"""runaway_cost without a budget: a loop its user had to stop.

Budgets need a policy or a fleet to compare with (runaway_cost.budget_exceeded); a coding agent's
session is often the only run of its task, under a placeholder agent name, so neither exists. One
spend is still plainly runaway with no comparison: the agent repeats the same calls with the same
results (repeated_action's loop), never answers, and its user interrupts it, after the model
calls since the loop began re-sent more input than the model's whole context window.

The interrupt is the coding agent's own record: Claude Code writes the user's Ctrl-C / Esc as a
user message ``[Request interrupted by user]`` (``[Request interrupted by user for tool use]``
while a tool ran): ``INTERRUPT_MESSAGE`` / ``INTERRUPT_MESSAGE_FOR_TOOL_USE``, src/utils/messages.ts.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.context_windows import window_column, windows_for
from forensics.detectors.base import Context, Detector, empty_findings, finding, hms, txt
from forensics.detectors.registry import register
from forensics.detectors.tool_calls import tool_calls

#: A person stopping the agent mid-turn (Claude Code's interrupt messages).
INTERRUPTED: Final = r"^\s*\[Request interrupted by user(?: for tool use)?\]"


@register
class RunawayLoop(Detector):
    name = "runaway_loop"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "medium"
    strength = "strong"
    description = (
        "The run ends with its user interrupting it (Claude Code's '[Request interrupted by user]'), "
        "no answer after, while its agent was repeating the same tool call with the same arguments "
        "and the same result (thresholds.repeat_count+ times), and the model calls from the first "
        "repeat on re-sent more input tokens than the model's context window (policy "
        "context_windows, else the vendored table): spend with no progress that a person had to stop."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        # Runs whose last span is the user's interrupt: the few human spans that say it (a literal
        # scan first), then only their runs' last span is looked up.
        said = s.filter(
            (pl.col("kind") == "human") & pl.col("output").str.contains("interrupted by user", literal=True).fill_null(False)
        ).filter(pl.col("output").str.contains(INTERRUPTED)).select("run_key", pl.col("seq").alias("i_seq")).collect()
        if said.height == 0:
            return empty_findings()
        last = s.join(said.lazy().select("run_key").unique(), on="run_key", how="semi").group_by("run_key").agg(
            pl.col("seq").max().alias("i_seq")
        )
        stopped_keys = said.lazy().join(last, on=["run_key", "i_seq"], how="semi").select("run_key").unique().collect()
        if stopped_keys.height == 0:
            return empty_findings()
        n = ctx.policy.repeat_count
        calls = tool_calls(ctx).lazy().join(stopped_keys.lazy(), on="run_key", how="semi")
        loops = (
            calls.filter(pl.col("succeeded"))
            .sort("run_key", "seq")
            .group_by("run_key", "agent", "call", "call_args")
            .agg(
                pl.col("run_id").first(),
                pl.len().alias("n"),
                pl.col("output").n_unique().alias("n_results"),
                pl.col("span_id").get(1, null_on_oob=True).alias("repeat_id"),
                pl.col("seq").get(1, null_on_oob=True).alias("repeat_seq"),
                pl.col("t").get(1, null_on_oob=True).alias("repeat_t"),
            )
            .filter((pl.col("n") >= n) & (pl.col("n_results") == 1))
            .sort("run_key", "repeat_seq")
            .group_by("run_key")
            .agg(
                pl.col("run_id").first(),
                pl.col("repeat_id").first(),
                pl.col("repeat_seq").first(),
                pl.col("repeat_t").first(),
                pl.col("call").first(),
                pl.col("n").first(),
                pl.len().alias("n_loops"),
            )
        )
        llm = s.join(stopped_keys.lazy(), on="run_key", how="semi").filter(pl.col("kind") == "llm")
        models = llm.select(pl.col("model").drop_nulls().unique()).collect().get_column("model").to_list()
        windows = windows_for(models, ctx.policy.context_windows)
        if not windows:
            return empty_findings()
        window = window_column(windows)
        spent = (
            llm.join(loops.select("run_key", "repeat_seq"), on="run_key")
            .filter(pl.col("seq") > pl.col("repeat_seq"))
            .group_by("run_key")
            .agg(
                pl.col("input_tokens").sum().alias("tokens"),
                pl.len().alias("n_calls"),
                window.max().alias("window"),
            )
        )
        hits = loops.join(spent, on="run_key").filter(pl.col("window").is_not_null() & (pl.col("tokens") > pl.col("window")))
        return hits.select(
            finding(
                "run_id",
                pl.concat_list("repeat_id"),
                "repeat_id",
                pl.format(
                    "its user interrupted the run with no answer while the agent repeated tool {} with the same "
                    "arguments and result {} times (from {}; {} such loop(s)); the {} model calls since the first "
                    "repeat re-sent {} input tokens, more than the model's {}-token context window",
                    txt(pl.col("call")),
                    pl.col("n"),
                    hms("repeat_t"),
                    pl.col("n_loops"),
                    pl.col("n_calls"),
                    pl.col("tokens"),
                    pl.col("window"),
                ),
            )
        )
