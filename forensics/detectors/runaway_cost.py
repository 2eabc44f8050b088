"""runaway_cost: the run spent past its budget, nested too deep, or fanned out too wide."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.delegation import AGENT_WHO
from forensics.conventions.rollups import without_rollups
from forensics.detectors.base import Context, Detector, exact_sum, finding, hms, num, on_rows, txt
from forensics.detectors.limit_stops import limit_stops, loop_spend_told_once
from forensics.detectors.re_embedding import ReEmbeddedCorpus
from forensics.detectors.registry import register
from forensics.detectors.run_progress import progressing_runs
from forensics.policy import Threshold

FLEET_KEY: Final = "fleet_facts"

#: Agent names that name no agent: the role a chat transcript gives every reply, and the default a
#: loader writes where the log names none (Claude Code's main thread is ``claude-code``, the loader's
#: own name; OpenHands' is ``agent``). Runs of one product on different tasks are no fleet.
PLACEHOLDER_AGENTS: Final = ("agent", "assistant")
#: A smolagents run span's name is its agent's class (openinference-instrumentation-smolagents
#: ``_wrappers.py`` ``_RunWrapper``: ``f"{instance.__class__.__name__}.run"``), which every agent of
#: that class shares: alone, with no configuration recorded beside it (:func:`_agent_identity`), it
#: names no agent. A banking assistant and a ticket summariser are both ``ToolCallingAgent.run``.
CLASS_RUN_NAME: Final = r"^[A-Z][A-Za-z0-9_]*\.run$"


#: The configuration a smolagents run span records of its agent (openinference-instrumentation-
#: smolagents ``_wrappers.py`` ``_smolagent_run_attributes``): its tools (``smolagents.tools_names``,
#: ``list(agent.tools.keys())``) and the agents it manages (``smolagents.managed_agents.<i>.name``).
#: That span is named after the agent's class (``_RunWrapper``: ``f"{instance.__class__.__name__}.run"``),
#: which every smolagents agent shares: ``CodeAgent.run`` names no agent, its configuration does.
_SMOL_TOOLS: Final = r'"smolagents\.tools_names"\s*:\s*(\[[^\]]*\])'
_SMOL_MANAGED: Final = r'"smolagents\.managed_agents\.\d+\.name"\s*:\s*"[^"]*"'


def _agent_configuration(attributes: pl.Expr) -> pl.Expr:
    """The agent configuration a run span records (tools, then managed agents), else null."""
    tools = attributes.str.extract(_SMOL_TOOLS, 1)
    managed = attributes.str.extract_all(_SMOL_MANAGED).list.join(", ")
    return pl.when(tools.is_not_null()).then(
        pl.concat_str([pl.lit("tools "), tools, pl.when(managed != "").then(pl.lit(", ") + managed)], ignore_nulls=True)
    )


def _agent_identity(agent: pl.Expr, configured: pl.Expr) -> pl.Expr:
    """Per run (an aggregation): the first agent, or, where that name is the class name of a span
    that records its agent's configuration (``_config``), that name with the configuration. Two
    smolagents runs are runs of one agent when their class, tools and managed agents agree; a
    long research run is not judged against a data-cleaning agent's because both are CodeAgents."""
    first = agent.drop_nulls().first()
    class_name = agent.filter(configured.is_not_null()).first()
    return (
        pl.when(first == class_name)
        .then(pl.format("{} ({})", first, configured.drop_nulls().first()))
        .otherwise(first)
    )


def _named_agent(agent: pl.Expr, source_format: pl.Expr) -> pl.Expr:
    """``agent`` where it names a configured agent, else null (a placeholder: a role word, or the
    name of the loader that read the log, or an agent class's run span with no configuration: :data:`CLASS_RUN_NAME`)."""
    generic = (
        agent.str.to_lowercase().is_in(PLACEHOLDER_AGENTS)
        | (agent == source_format).fill_null(False)
        | agent.str.contains(CLASS_RUN_NAME).fill_null(False)
    )
    return pl.when(generic).then(None).otherwise(agent)


def fleet_facts(spans: pl.DataFrame) -> pl.DataFrame:
    """``run_id, task, agent, tokens, cost``: what fleet-relative budgets compare, one row per run.

    ``task`` is the root span's input (whitespace removed: the same task re-serialised is the same
    task), ``agent`` the first agent in the run's order (start time, source line) where it names one
    (not a placeholder: :data:`PLACEHOLDER_AGENTS`, or the loader's name; a class name a run span
    carries with its agent's configuration is named with that configuration: :func:`_agent_identity`), ``tokens`` and
    ``cost`` the run's sums (null when it recorded none; cost summed exactly, so it does not depend
    on which runs share the table). The same facts for the same runs wherever they are computed:
    ``classify`` derives them from its spans, and a caller classifying a fleet in parts (dataset
    buckets, Spark partitions) passes the whole fleet's (``classify(..., fleet=...)``).
    """
    fmt = pl.col("source_format") if "source_format" in spans.columns else pl.lit(None, pl.String)
    order = without_rollups(spans).select(
        "run_id",
        "agent",
        fmt.alias("_fmt"),
        "input_tokens",
        "output_tokens",
        "cost_usd",
        # Taken out first: the regex reads only the roots' inputs (a replace_all over the masked
        # column would still pay for every span).
        on_rows(pl.col("parent_id").is_null(), pl.col("input"), lambda e: e.str.replace_all(r"\s+", "")).alias("_task"),
        on_rows(pl.col("kind") == "agent", pl.col("attributes"), _agent_configuration).alias("_config"),
        pl.coalesce("start_time", "end_time").alias("_t"),
        "source_line",
        pl.col("span_id").hash(7).alias("_h"),
        # Runs sorted and grouped by an integer code of run_id (several times faster than the string).
        pl.col("run_id").cast(pl.Categorical).to_physical().alias("_rk"),
    ).sort("_rk", "_t", "source_line", "_h", nulls_last=True)
    return (
        order.group_by("_rk", maintain_order=True)
        .agg(
            pl.col("run_id").first(),
            pl.col("_task").drop_nulls().first().alias("task"),
            _named_agent(_agent_identity(pl.col("agent"), pl.col("_config")), pl.col("_fmt").drop_nulls().first()).alias(
                "agent"
            ),
            pl.when((pl.col("input_tokens").is_not_null() | pl.col("output_tokens").is_not_null()).any())
            .then((pl.col("input_tokens").fill_null(0) + pl.col("output_tokens").fill_null(0)).sum())
            .alias("tokens"),
            pl.when(pl.col("cost_usd").is_not_null().any()).then(exact_sum(pl.col("cost_usd"))).alias("cost"),
        )
        .drop("_rk")
        .sort("run_id")  # one row per run: cheap, and the same table as before
        .with_columns(pl.col("tokens").cast(pl.Int64), pl.col("cost").cast(pl.Float64))
    )


def _loo_median(runs: pl.LazyFrame, key: str, value: str, min_runs: int) -> pl.LazyFrame:
    """``run_id, med, n, q1_log, q3_log``: for each run, the median of ``value`` over the OTHER runs
    sharing its ``key`` (``n`` of them, at least ``min_runs``), and the quartiles of those others'
    natural logs (linear interpolation, as numpy's default). Columnar: the values are sorted once by
    group, and a run's leave-one-out statistics are read at the positions around its own (no pairs
    of runs, and no copy of its group's values per run: a group of thousands of runs made that
    quadratic)."""
    pool = (
        runs.filter(pl.col(key).is_not_null() & pl.col(value).is_not_null())
        .select("run_id", key, value)
        .sort(key, value)
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("_pos"))
        .with_columns(pl.col("_pos").min().over(key).alias("_off"), (pl.len().over(key).cast(pl.Int64) - 1).alias("n"))
    )

    def at(i: pl.Expr, of: pl.Expr | None = None) -> pl.Expr:
        of = pl.col(value) if of is None else of
        # Position i among the others is position i in the group (before the run's own) or i + 1
        # (after); clipped into the table only for the branch of the median not taken.
        pos = pl.col("_off") + i + (i >= pl.col("_pos") - pl.col("_off")).cast(pl.Int64)
        return of.gather(pos.clip(0, pl.len() - 1))

    n = pl.col("n")
    med = (
        pl.when(n % 2 == 1)
        .then(at((n - 1) // 2).cast(pl.Float64))
        .otherwise((at(n // 2 - 1).cast(pl.Float64) + at(n // 2).cast(pl.Float64)) / 2)
    )
    logs = pl.col(value).cast(pl.Float64).clip(1.0, None).log()

    def quantile(p: float) -> pl.Expr:
        # Rank p x (n - 1) among the others, between the values below and above it.
        rank = (n - 1).clip(0, None).cast(pl.Float64) * p
        low = rank.floor().cast(pl.Int64)
        return at(low, logs) + (rank - low) * (at((low + 1).clip(None, (n - 1).clip(0, None)), logs) - at(low, logs))

    return pool.select("run_id", med.alias("med"), "n", quantile(0.25).alias("q1_log"), quantile(0.75).alias("q3_log")).filter(
        pl.col("n") >= min_runs
    )


def _budgets(ctx: Context) -> pl.LazyFrame:
    """``run_id, tok_limit, cost_limit, tok_why, cost_why, from_policy``: each run's budgets.

    A policy budget applies to every run. Else a fleet budget: fleet_factor x the median of the
    comparable runs of this classification (the other runs given the same task when there are
    enough of them: fleet_min_task_runs, else the other runs of the same first agent: fleet_min_runs),
    never below the floor, counting only comparable runs that recorded the figure. Else none.
    """
    pol = ctx.policy
    # The fleet: what classify() put in the context (the whole fleet's facts when the caller
    # classifies it in parts), else these runs' own facts.
    fallback = ctx.runs.lazy().select(
        "run_id",
        "task",
        _named_agent(pl.col("agents").list.first(), pl.col("source_format")).alias("agent"),
        pl.when(pl.col("_has_in") | pl.col("_has_out"))
        .then(pl.col("input_tokens").fill_null(0) + pl.col("output_tokens").fill_null(0))
        .alias("tokens"),
        pl.when(pl.col("_has_cost")).then(pl.col("cost_usd")).alias("cost"),
    )
    runs = ctx.cached(FLEET_KEY, fallback).lazy()
    out = ctx.runs.lazy().select("run_id")
    judged: list[str] = []  # the figures with a fleet budget ("tok", "cost")
    for value, budget, floor, unit in (
        ("tokens", pol.max_tokens_per_run, pol.fleet_floor_tokens, "tokens"),
        ("cost", pol.max_cost_usd_per_run, pol.fleet_floor_cost_usd, "USD"),
    ):
        short = "tok" if value == "tokens" else "cost"
        if budget:
            out = out.with_columns(
                pl.lit(float(budget)).alias(f"{short}_limit"),
                pl.lit("set by the policy").alias(f"{short}_why"),
                pl.lit(True).alias(f"{short}_policy"),
            )
            continue
        if not pol.fleet_factor:
            out = out.with_columns(
                pl.lit(None, dtype=pl.Float64).alias(f"{short}_limit"),
                pl.lit(None, dtype=pl.String).alias(f"{short}_why"),
                pl.lit(False).alias(f"{short}_policy"),
            )
            continue
        # The same task given again is comparable as it is: one other run of it is a measure of what
        # it needs (fleet_min_task_runs); runs that share only the agent need fleet_min_runs.
        by_task = _loo_median(runs, "task", value, pol.fleet_min_task_runs).rename({"med": "m_task", "n": "n_task"})
        by_task = by_task.drop("q1_log", "q3_log")
        by_agent = _loo_median(runs, "agent", value, pol.fleet_min_runs).rename({"med": "m_agent", "n": "n_agent"})
        # Runs that share only an agent's name may answer different questions (a GAIA-style research
        # agent: one question takes 20k tokens, the next 380k, and nothing is wrong with either), so
        # a run is judged against them only where it stands out of their own spread too: above
        # Tukey's far-out fence (the others' third quartile + fleet_spread_k x their interquartile
        # range, on the log scale, where token counts are spread). A tight fleet's fence sits below
        # fleet_factor x its median and changes nothing; a heavy-tailed one does not flag its own tail.
        # Runs given the same task are comparable as they are.
        k = float(pol.fleet_spread_k)
        fence = (pl.col("q3_log") + k * (pl.col("q3_log") - pl.col("q1_log"))).exp() if k else pl.lit(None, pl.Float64)
        fleet = (
            runs.select("run_id", "agent")
            .join(by_task, on="run_id", how="left")
            .join(by_agent, on="run_id", how="left")
            .with_columns(pl.col("m_task").is_not_null().alias("_t"))
            .filter(pl.coalesce("m_task", "m_agent").is_not_null())
            .with_columns(pl.when(pl.col("_t")).then(None).otherwise(fence).alias("_fence"))
            .with_columns(
                (pl.col("_fence") > pl.max_horizontal(pl.col("m_agent") * pol.fleet_factor, pl.lit(float(floor))))
                .fill_null(False)
                .alias("_by_spread")
            )
            .select(
                "run_id",
                pl.max_horizontal(
                    pl.coalesce("m_task", "m_agent") * pol.fleet_factor, pl.lit(float(floor)), "_fence"
                ).alias(f"{short}_limit"),
                # Where the run became a runaway: past the fleet's budget before any spread raise
                # (the fence decides whether the run stands out; the spending began at the budget).
                pl.max_horizontal(pl.coalesce("m_task", "m_agent") * pol.fleet_factor, pl.lit(float(floor))).alias(
                    f"{short}_at"
                ),
                pl.format(
                    "{}x the median of {} comparable run(s) {} ({} {}){}",
                    pl.lit(pol.fleet_factor),
                    pl.coalesce("n_task", "n_agent"),
                    pl.when(pl.col("_t"))
                    .then(pl.lit("given the same task"))
                    .otherwise(pl.format("of agent {}", txt(pl.col("agent")))),
                    (
                        num(pl.coalesce("m_task", "m_agent"), 2)
                        if value == "cost"
                        else pl.coalesce("m_task", "m_agent").round(0).cast(pl.Int64)
                    ),
                    pl.lit(unit),
                    pl.when(pl.col("_by_spread"))
                    .then(pl.lit(", raised to the far edge of their spread (Tukey's fence)"))
                    .otherwise(pl.lit("")),
                ).alias(f"{short}_why"),
                pl.lit(False).alias(f"{short}_policy"),
                (~pl.col("_t")).alias(f"{short}_by_agent"),
            )
        )
        out = out.join(fleet, on="run_id", how="left").with_columns(pl.col(f"{short}_policy").fill_null(False))
        judged.append(short)
    if not judged:
        return out
    # Runs of the agent on other tasks are no measure of what this task needed: against them a
    # run whose every step made progress and that finished is no runaway (run_progress). Asked only
    # of the runs over a budget set by such runs (a limit lifted can only spare a run over it): the
    # progress test reads every span of the runs it is given, and most runs are over no budget.
    out = out.collect().lazy()
    over = pl.lit(False)
    for short in judged:
        total = pl.col("_tok" if short == "tok" else "_cost")
        over = over | (pl.col(f"{short}_by_agent").fill_null(False) & (total > pl.col(f"{short}_limit")).fill_null(False))
    asked = _run_totals(ctx).join(out, on="run_id").filter(over).select("run_id").collect()
    healthy = progressing_runs(ctx, asked).with_columns(pl.lit(True).alias("_healthy"))
    out = out.join(healthy, on="run_id", how="left")
    for short in judged:
        unjudged = pl.col(f"{short}_by_agent").fill_null(False) & pl.col("_healthy").fill_null(False)
        out = out.with_columns(pl.when(unjudged).then(None).otherwise(pl.col(f"{short}_limit")).alias(f"{short}_limit"))
    return out.drop("_healthy", *[f"{short}_by_agent" for short in judged])


def _run_totals(ctx: Context) -> pl.LazyFrame:
    """``run_id, _tok, _cost``: each run's tokens (input + output) and cost, a missing figure as 0."""
    return ctx.runs.lazy().select(
        "run_id",
        (pl.col("input_tokens").fill_null(0) + pl.col("output_tokens").fill_null(0)).alias("_tok"),
        pl.col("cost_usd").fill_null(0.0).alias("_cost"),
    )


@register
class BudgetExceeded(Detector):
    name = "budget_exceeded"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "medium"
    thresholds = (
        Threshold("max_tokens_per_run", 0, "A run's token budget (0: not set; the fleet's applies).",
                  "an integer >= 0 (0 disables)", lambda v: v >= 0, table="budgets"),
        Threshold("max_cost_usd_per_run", 0.0, "A run's dollar budget (0: not set; the fleet's applies).",
                  "a number >= 0 (0 disables)", lambda v: v >= 0, (int, float), table="budgets"),
        # Fleet-relative budgets were added after the first release: files without them take these.
        Threshold("fleet_factor", 5.0, "Over this many times the median of comparable runs is over budget.",
                  "a factor >= 1, or 0 to turn fleet budgets off", lambda v: v == 0 or v >= 1, (int, float),
                  table="budgets", required=False),
        Threshold("fleet_min_runs", 2, "Comparable runs that recorded the figure, at least.",
                  "an integer >= 1", lambda v: v >= 1, table="budgets", required=False),
        Threshold("fleet_min_task_runs", 1,
                  "Other runs given the same task (whitespace aside) that recorded the figure, at least.",
                  "an integer >= 1", lambda v: v >= 1, table="budgets", required=False),
        Threshold("fleet_floor_tokens", 100_000, "Fewer tokens than this are never over the fleet's budget.",
                  "an integer >= 0", lambda v: v >= 0, table="budgets", required=False),
        Threshold("fleet_floor_cost_usd", 1.0, "Fewer dollars than this are never over the fleet's budget.",
                  "a number >= 0", lambda v: v >= 0, (int, float), table="budgets", required=False),
        Threshold("fleet_spread_k", 3.0,
                  "Against runs of the same agent (not the same task), a run must also pass the others' "
                  "third quartile + this many interquartile ranges, on the log scale (Tukey's far-out fence).",
                  "a number >= 0 (0: no spread test)", lambda v: v >= 0, (int, float), table="budgets",
                  required=False),
    )
    strength = "strong"
    description = (
        "The run's tokens (input + output) or cost exceed a budget: the policy's "
        "budgets.max_tokens_per_run / max_cost_usd_per_run where set, else budgets.fleet_factor x "
        "the median of comparable runs in the same classification (same task, at least "
        "budgets.fleet_min_task_runs of them, else same agent, at least budgets.fleet_min_runs; never below the floor; against runs that share only the agent, a run "
        "that finished with an answer and whose every step made progress, no error, no repeated call, output or "
        "request (every model call's request recorded), is "
        "not judged: other tasks say nothing of what this one needed). None is shipped as a fixed "
        "number. Also when the log says a limit the run was given stopped it (a LiteLLM max_budget, "
        "max_turns, max_steps, a recursion_limit), unless a loop in the run used the turns or steps "
        "up (a loop detector or handoff_ping_pong found it: the loop's story, told once). A spend budget "
        "refusal the run went past (a model or tool call after it, and the run reported success) did not "
        "stop it: LiteLLM's budgets are a key's, user's or team's, spent across runs; the handled or "
        "hidden error is another rule's story. Nor a turn or step limit that stopped one part the run "
        "then redid (the same agent made the same call again, a sub-agent or agent-as-tool dispatched "
        "again, and it succeeded). Decisive is the span where the running total "
        "crossed the budget, or where the limit was raised."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        limits = _budgets(ctx)
        names = limits.collect_schema().names()
        tokens = pl.col("input_tokens").fill_null(0) + pl.col("output_tokens").fill_null(0)
        cost = pl.col("cost_usd").fill_null(0.0)
        # Running totals only for the runs whose totals are over a budget (usually few).
        totals = _run_totals(ctx)
        spenders = (
            totals.join(limits, on="run_id")
            .filter(
                (pl.col("_tok") > pl.col("tok_limit")).fill_null(False)
                | (pl.col("_cost") > pl.col("cost_limit")).fill_null(False)
            )
            .with_columns(
                (pl.col("_tok") > pl.col("tok_limit")).fill_null(False).alias("_run_over_tok"),
                (pl.col("_cost") > pl.col("cost_limit")).fill_null(False).alias("_run_over_cost"),
            )
            .drop("_tok", "_cost")
        )
        s = (
            ctx.spans.lazy()
            .join(spenders, on="run_id", how="inner")
            .sort("run_id", "seq")
            .with_columns(
                tokens.cum_sum().over("run_id").alias("cum_tokens"),
                cost.cum_sum().over("run_id").alias("cum_cost"),
            )
        )
        over_tok = (pl.col("cum_tokens") > pl.col("tok_limit")).fill_null(False)
        over_cost = (pl.col("cum_cost") > pl.col("cost_limit")).fill_null(False)
        # The crossing: where the running total passed the budget the run is judged over (for a fleet
        # budget raised to the fleet's spread, the fleet's budget before the raise: ``*_at``).
        at = {k: pl.coalesce(f"{k}_at", f"{k}_limit") if f"{k}_at" in names else pl.col(f"{k}_limit") for k in ("tok", "cost")}
        crossed = (pl.col("_run_over_tok") & (pl.col("cum_tokens") > at["tok"]).fill_null(False)) | (
            pl.col("_run_over_cost") & (pl.col("cum_cost") > at["cost"]).fill_null(False)
        )
        per_run = (
            s.with_columns(over_tok.alias("over_tok"), over_cost.alias("over_cost"))
            .group_by("run_id")
            .agg(
                pl.col("cum_tokens").max().alias("tokens"),
                pl.col("cum_cost").max().alias("cost"),
                pl.col("span_id").filter(crossed).first().alias("cross_id"),
                pl.col("kind").filter(crossed).first().alias("kind"),
                pl.col("call").filter(crossed).first().alias("call"),
                pl.col("t").filter(crossed).first().alias("t"),
                pl.col("over_tok").any(),
                pl.col("over_cost").any(),
                pl.col("tok_why").first(),
                pl.col("cost_why").first(),
                pl.col("tok_limit").first(),
                pl.col("cost_limit").first(),
                pl.col("tok_policy").first(),
                pl.col("cost_policy").first(),
            )
            .filter(pl.col("cross_id").is_not_null())
        )
        spent = pl.concat_str(
            [
                pl.when(pl.col("over_tok")).then(
                    pl.format(
                        "{} tokens against a budget of {} ({})",
                        pl.col("tokens"),
                        pl.col("tok_limit").round(0).cast(pl.Int64),
                        pl.col("tok_why"),
                    )
                ),
                pl.when(pl.col("over_cost")).then(
                    pl.format(
                        "${} against a budget of ${} ({})",
                        num(pl.col("cost"), 2),
                        num(pl.col("cost_limit"), 2),
                        pl.col("cost_why"),
                    )
                ),
            ],
            separator=" and ",
            ignore_nulls=True,
        )
        # A budget the policy states is strong evidence; one inferred from other runs is weak.
        stated = (pl.col("over_tok") & pl.col("tok_policy").fill_null(False)) | (
            pl.col("over_cost") & pl.col("cost_policy").fill_null(False)
        )
        spend = per_run.select(
            finding(
                "run_id",
                pl.concat_list("cross_id"),
                "cross_id",
                pl.format(
                    "the run used {}, crossing it at {} {} at {}",
                    spent,
                    pl.col("kind"),
                    txt(pl.col("call")),
                    hms("t"),
                ),
                pl.when(stated).then(pl.lit("strong")).otherwise(pl.lit("weak")),
            )
        )
        stops = (
            limit_stops(ctx)
            .join(_budget_stop_gone_past(ctx), on="run_id", how="anti")
            .join(limit_stops_redone(ctx), on="run_id", how="anti")
        )
        # A run that embedded its corpus again after searching it spent where the re-embedding is
        # (re_embedded_corpus, decisive at the first repeat): one story, told once; a stated budget stays.
        re_embedded = ReEmbeddedCorpus().detect(ctx).select("run_id").unique().with_columns(pl.lit(True).alias("_re"))
        spend = (
            spend.join(re_embedded, on="run_id", how="left")
            .filter(~(pl.col("_re").fill_null(False) & (pl.col("strength") == "weak")))
            .drop("_re")
        )
        return pl.concat([loop_spend_told_once(ctx, spend), stops], how="vertical_relaxed")


def _budget_stop_gone_past(ctx: Context) -> pl.LazyFrame:
    """``run_id`` of the runs a spend budget refused a call in and did not stop: the caller caught
    the refusal and the run went on (a model or tool call started after the first refusal had
    ended) and ended reporting success. The LiteLLM proxy's budgets are a virtual key's, a user's, a
    team's, an end customer's or the proxy's own, spent across every call made with them and reset
    by budget_duration (LiteLLM docs, proxy/budgets.md "Budgets ... at different levels"; the
    refusal is BudgetExceededError, "Budget has been exceeded! Current cost: x, Max budget: y"):
    such a refusal met by a run that carries on is an error that run handled or hid (silent_failure,
    missing_fallback tell it), not the run stopped by its own budget. A refusal the run ended on (the
    error reaching its root, nothing called after it), or a run that then reported failure, stays;
    a turn or step limit in the same run keeps the run's stop as it was."""
    s = ctx.spans.lazy()
    if "budget_stop" not in ctx.spans.columns or "step_limit" not in ctx.spans.columns:
        return pl.LazyFrame(schema={"run_id": pl.String})
    first = (
        s.filter(pl.col("budget_stop"))
        .group_by("run_id")
        .agg(pl.coalesce("end_time", "t").min().alias("_b_end"), pl.col("seq").min().alias("_b_seq"))
    )
    step_limited = s.filter(pl.col("step_limit")).select("run_id").unique()
    later = (
        s.filter(pl.col("kind").is_in(["llm", "tool"]))
        .select("run_id", "t", "seq")
        .join(first, on="run_id")
        .filter((pl.col("t") >= pl.col("_b_end")).fill_null(pl.col("seq") > pl.col("_b_seq")))
        .select("run_id")
        .unique()
    )
    ended_well = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success").select("run_id")
    return later.join(ended_well, on="run_id", how="semi").join(step_limited, on="run_id", how="anti")


def limit_stops_redone(ctx: Context) -> pl.LazyFrame:
    """``run_id`` of the runs whose every turn or step limit stop was redone: after the stopped span
    ended, the same agent made the same call (same kind and call: the sub-agent run again, the
    agent-as-tool called again; a smolagents managed agent told apart by the name its manager gave
    it, conventions.delegation AGENT_WHO, not by its class) and it succeeded; and no spend budget
    stopped the run. The OpenAI
    Agents SDK runs an ``Agent.as_tool`` sub-agent as a nested ``Runner.run`` with its own max_turns;
    its ``MaxTurnsExceeded`` goes through the tool's ``failure_error_function`` (by default
    ``default_tool_error_function``, src/agents/tool.py: "An error occurred while running the tool.
    Please try again. Error: ...") back to the calling model as the tool's result, and the caller
    may dispatch it again. A limit that stopped one attempt the run then made good stopped a part,
    not the run: no budget_exceeded (whether the error was handled is the error rules' story)."""
    s = ctx.spans.lazy()
    if "budget_stop" not in ctx.spans.columns or "step_limit" not in ctx.spans.columns:
        return pl.LazyFrame(schema={"run_id": pl.String})
    # Who ran: the name a smolagents manager gave its managed agent where the span names only the
    # class (conventions.delegation AGENT_WHO), else the agent.
    stops = s.filter(pl.col("step_limit") & ~pl.col("budget_stop")).select(
        "run_id", "span_id", "kind", AGENT_WHO.alias("_who"), "call", pl.coalesce("end_time", "t").alias("_stop_end")
    )
    redone = (
        s.filter(pl.col("succeeded"))
        .select("run_id", "kind", AGENT_WHO.alias("_who"), "call", pl.col("t").alias("_again"))
        .join(stops, on=["run_id", "kind", "_who", "call"], nulls_equal=True)
        .filter(pl.col("_again") >= pl.col("_stop_end"))
        .select("run_id", "span_id")
        .unique()
    )
    left = stops.join(redone, on=["run_id", "span_id"], how="anti").select("run_id")
    spend = s.filter(pl.col("budget_stop")).select("run_id")
    return redone.select("run_id").unique().join(pl.concat([left, spend]).unique(), on="run_id", how="anti")
