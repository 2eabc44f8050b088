"""runaway_cost's resent_context: one large context re-sent uncached on call after call.

An agent loop sends the whole conversation on every model call. When a large block sits in it (a
document attached to the first message, a log pasted into the session, an attachment inlined into
the task), every turn pays for the block again: Strands' event loop re-sends the agent's messages,
document blocks included, on each cycle (strands-agents/sdk-python ``src/strands/event_loop/
event_loop.py``, ``stream_messages(agent.model, agent.system_prompt, agent.messages, ...)``);
smolagents inlines ``additional_args`` into the task text (``src/smolagents/agents.py``
``MultiStepAgent.run``: "You have been provided with these additional arguments ...") and writes
the task into every step's memory (``write_memory_to_messages``); Claude Code sends the session's
messages on each turn. A provider's prompt cache makes the repeat cheap (conventions
``prompt_cache``: ``cache_read_tokens``); without it each turn is billed whole.

The rule is grounded in the model's own context window (policy ``context_windows``, else the
vendored LiteLLM table): ``thresholds.resent_context_calls`` consecutive model calls of a run each
sending at least ``thresholds.resent_context_fraction`` of the window, none of them reading any of
it from a cache. An ordinary long run reaches half its window only as its history grows, near the
end (a few calls before it would overflow); a run that starts there and stays there re-reads the
same block on every turn. A run whose calls read their prompt from the cache is not judged.
"""

from __future__ import annotations

import polars as pl

from forensics.context_windows import window_column, windows_for
from forensics.detectors.base import Context, Detector, finding, hms, moment, txt
from forensics.detectors.registry import register
from forensics.policy import Threshold

#: At most this many of the streak's calls are named as evidence (the first ones: where it began).
EVIDENCE_CALLS = 20


def _windows(ctx: Context) -> pl.Expr:
    """Each model call's context window (policy overrides, else the vendored table), else null."""
    models = (
        ctx.spans.lazy().filter(pl.col("kind") == "llm").select("model").drop_nulls().unique().collect()
    ).get_column("model").to_list()
    return window_column(windows_for(models, ctx.policy.context_windows))


def resent_streaks(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` (the streak's first call), ``calls, model, window, low, high, total, t,
    seq, synthetic_time, call, ids``: per run, its first streak of at least ``resent_context_calls``
    consecutive model calls (those that recorded a prompt count, in the run's order) each sending at
    least ``resent_context_fraction`` of its model's window with no cache read recorded. ``began``:
    where the re-sending began (:func:`_fed_since`), the streak's first call unless a tool loop fed
    the context into it."""
    pol = ctx.policy
    calls = (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "llm") & pl.col("input_tokens").is_not_null())
        .with_columns(_windows(ctx).alias("_window"))
        .sort("run_id", "seq")
    )
    big = (
        (pl.col("input_tokens") >= pl.col("_window") * pol.resent_context_fraction)
        & (pl.col("cache_read_tokens").fill_null(0) == 0)
    ).fill_null(False)
    streaks = (
        calls.with_columns(big.alias("_big"))
        # A new streak starts wherever a call's verdict differs from the previous call's.
        .with_columns((pl.col("_big") != pl.col("_big").shift(1)).fill_null(True).cum_sum().over("run_id").alias("_streak"))
        .filter("_big")
        .group_by("run_id", "_streak")
        .agg(
            pl.len().alias("calls"),
            pl.col("span_id").first(),
            pl.col("model").first(),
            pl.col("_window").first().alias("window"),
            pl.col("input_tokens").min().alias("low"),
            pl.col("input_tokens").max().alias("high"),
            pl.col("input_tokens").sum().alias("total"),
            pl.col("t").first(),
            pl.col("seq").first(),
            pl.col("call").first(),
            pl.col("span_id").head(EVIDENCE_CALLS).alias("ids"),
        )
        .filter(pl.col("calls") >= pol.resent_context_calls)
    )
    first = streaks.sort("run_id", "_streak").group_by("run_id", maintain_order=True).first().drop("_streak")
    # Where the re-sending began, read in the runs with a streak only (a run's calls and tools).
    began = _fed_since(calls.join(first.select("run_id"), on="run_id", how="semi"), ctx).select(
        "run_id", "span_id", pl.col("_began").alias("began"), pl.col("_began_t").alias("began_t"),
        pl.col("_feed_tool").alias("feed_tool"),
    )
    first = first.join(began, on=["run_id", "span_id"], how="left")
    # A run whose clock was synthesised from message order is told by step, not by a made-up time.
    return first.join(ctx.runs.lazy().select("run_id", "synthetic_time"), on="run_id", how="left")


def _fed_since(calls: pl.LazyFrame, ctx: Context) -> pl.LazyFrame:
    """``calls`` (a run's model calls, in order) with ``_began``, ``_began_t`` and ``_feed_tool``:
    the first call of the unbroken series that ends at each call, in which every call issued the
    same tool next (the first tool call after it, before the next model call) and sent a prompt at
    least as long as the one before, the same model, nothing read from a cache. An agent paging a
    tool through its context (every page's result appended to the history, re-sent on the next
    turn: the OpenAI Agents SDK and Strands loops send the whole message list each turn) begins its
    re-sending where its model first called that tool: from there each turn paid for all the pages
    before (TAXONOMY: the earliest span from which the failure was inevitable), while the streak of
    calls over half the window starts wherever the policy's fraction is crossed. With no tool after
    the calls (a chat re-sending an attachment) the series is the call itself."""
    tools = (
        ctx.spans.lazy()
        .filter(pl.col("kind") == "tool")
        .join(calls.select("run_id").unique(), on="run_id", how="semi")
        .select("run_id", pl.col("seq").alias("_tool_seq"), pl.col("call").alias("_next_tool"))
        .sort("_tool_seq")
    )
    nxt = pl.col("seq").shift(-1).over("run_id")
    calls = (
        calls.with_columns(nxt.alias("_next_llm"))
        .sort("seq")
        .join_asof(tools, left_on="seq", right_on="_tool_seq", by="run_id", strategy="forward", check_sortedness=False)
        .sort("run_id", "seq")
        .with_columns(
            pl.when(pl.col("_next_llm").is_null() | (pl.col("_tool_seq") < pl.col("_next_llm")))
            .then(pl.col("_next_tool"))
            .alias("_next_tool")
        )
    )
    prev = {c: pl.col(c).shift(1).over("run_id") for c in ("_next_tool", "input_tokens", "model")}
    fed = (
        pl.col("_next_tool").is_not_null()
        & (pl.col("_next_tool") == prev["_next_tool"])
        & (pl.col("input_tokens") >= prev["input_tokens"])
        & pl.col("model").eq_missing(prev["model"])
        & (pl.col("cache_read_tokens").fill_null(0) == 0)
    ).fill_null(False)
    series = (~fed).cum_sum().over("run_id")
    return calls.with_columns(series.alias("_series")).with_columns(
        pl.col("span_id").first().over("run_id", "_series").alias("_began"),
        pl.col("t").first().over("run_id", "_series").alias("_began_t"),
        pl.col("_next_tool").first().over("run_id", "_series").alias("_feed_tool"),
    )


@register
class ResentContext(Detector):
    name = "resent_context"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "medium"
    strength = "weak"
    thresholds = (
        Threshold("resent_context_calls", 5,
                  "runaway_cost.resent_context: consecutive model calls each re-sending most of the window, uncached.",
                  "an integer >= 2", lambda v: v >= 2, required=False),
        Threshold("resent_context_fraction", 0.5,
                  "runaway_cost.resent_context: the share of the model's context window each of those calls sends.",
                  "a number in (0, 1]", lambda v: 0 < v <= 1, (int, float), required=False),
    )  # fmt: skip
    description = (
        "A large context re-sent on call after call with no prompt cache: thresholds.resent_context_calls "
        "consecutive model calls of a run (in its order, those that recorded a prompt token count) each "
        "sending at least thresholds.resent_context_fraction of the model's context window (policy "
        "context_windows, else the vendored LiteLLM table), none recording a prompt-cache read "
        "(Anthropic cache_read_input_tokens, OpenAI cached_tokens, OpenInference "
        "llm.token_count.prompt_details.cache_read, GenAI gen_ai.usage.cache_read*). A run whose "
        "history grows to half its window near its end does not stay there for that many calls. A run "
        "a spend budget stopped (budget_stop) is budget_exceeded's story, told once. Decisive: the "
        "first call of the streak, where the re-sending began; where a tool loop fed the context into the streak "
        "(each call before it issuing the same tool as the streak's first call, its prompt no shorter than the one "
        "before, same model, uncached), the model call that began calling that tool."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        streaks = resent_streaks(ctx)
        if "budget_stop" in ctx.spans.columns:
            # A spend budget the run was given stopped it (LiteLLM's max_budget: conventions
            # budget_stop): the cost is budget_exceeded's story, told where the money ran out, once.
            stopped = ctx.spans.lazy().filter(pl.col("budget_stop")).select("run_id").unique()
            streaks = streaks.join(stopped, on="run_id", how="anti")
        # Where a tool loop fed the context into the streak, the re-sending began at the model call
        # that started the loop (_fed_since); the streak's calls stay the evidence after it.
        fed = (pl.col("began") != pl.col("span_id")).fill_null(False)
        since = (
            pl.when(fed)
            .then(pl.format(", growing since the model call that began calling tool {} at {}", txt(pl.col("feed_tool")), hms("began_t")))
            .otherwise(pl.lit(""))
        )
        return streaks.select(
            finding(
                "run_id",
                pl.when(fed).then(pl.concat_list(pl.col("began"), pl.col("ids"))).otherwise(pl.col("ids")),
                pl.coalesce("began", "span_id"),
                pl.format(
                    "{} consecutive model calls each sent {} to {} prompt tokens to {} ({}% or more of its "
                    "{}-token context window), none read from a prompt cache: {} prompt tokens in all, {}x the "
                    "window, the same large context re-sent on every turn, from llm {} {}{}",
                    pl.col("calls"),
                    pl.col("low"),
                    pl.col("high"),
                    txt(pl.col("model")),
                    (pl.col("low") * 100 // pl.col("window")),
                    pl.col("window"),
                    pl.col("total"),
                    (pl.col("total") / pl.col("window")).round(1),
                    txt(pl.col("call")),
                    moment(),
                    since,
                ),
            )
        )
