"""budget_exceeded's second story: a limit the run was given stopped it (a spend budget, a turn,
step or recursion limit), as the log says, unless the run's own loop is the story (a turn or step
limit is no evidence of its own: what used the steps up is). Used by ``runaway_cost.BudgetExceeded``;
no detector of its own."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.ancestry import ancestors_of, spans_below
from forensics.detectors.base import Context, hms, txt
from forensics.detectors.findings import at_step_before_event, per_run_finding


def limit_stops(ctx: Context) -> pl.LazyFrame:
    """Runs the log says a limit they were given stopped: a spend budget (LiteLLM's max_budget,
    BudgetExceededError) or a turn/step limit (max_turns, max_steps, recursion_limit), as the
    conventions layer reads them (``budget_stop``, ``step_limit``). Decisive: where the stop was
    raised (the limit error with no limit error below it), the earliest in the run."""
    cols = ctx.spans.columns
    if "budget_stop" not in cols or "step_limit" not in cols:
        from forensics.detectors.base import empty_findings

        return empty_findings()
    stops = _stops(ctx).join(_caught_and_answered(ctx), on=["run_id", "span_id"], how="anti")
    # Likewise any loop in the run: a turn, step or recursion limit is no evidence of its own; the
    # steps went somewhere, and the loop that used them up (the same call repeated, a failing call
    # retried, the same step error again) is the story (DETECTORS.md, "A step limit is no evidence
    # of its own"). A spend budget (BudgetExceededError) is a limit on cost itself and stays.
    looped = _looped(ctx)
    if not looped.is_empty():
        stops = (
            stops.join(looped.lazy().with_columns(pl.lit(True).alias("_looped")), on="run_id", how="left")
            .filter(pl.col("budget_stop") | pl.col("_looped").is_null())
            .drop("_looped")
        )
    # Where the stop was raised: a limit error with none below it, however deep. The Agents SDK
    # marks the agent's span ("Max turns exceeded", openai-agents src/agents/run.py) and raises
    # MaxTurnsExceeded ("Max turns (n) exceeded") through every span the app opened around the run,
    # its own workflow spans between them saying nothing: an ancestor that says so is no origin.
    found = stops.select("run_key", "span_k").collect()
    raised_below = found.filter(pl.col("span_k").is_in(ancestors_of(ctx.spans, found).implode())).select("span_k")
    which = pl.when(pl.col("budget_stop")).then(pl.lit("its spend budget")).otherwise(pl.lit("its turn or step limit"))
    # A stop an event reports (no call of its own: OpenHands' agent state changed to error with the
    # controller's budget or iteration reason) was crossed by the step before it, as an overflow so
    # reported is (context_overflow); the explanation still tells the event.
    stops = stops.join(raised_below.lazy(), on="span_k", how="anti")
    stops = at_step_before_event(ctx.spans.lazy(), stops)
    return per_run_finding(
        stops,
        first=["kind", "call", "t", "error_label", "budget_stop"],
        explanation=pl.format(
            "the run was stopped by {}: {} {} failed with {} at {}",
            which,
            txt(pl.col("kind")),
            txt(pl.col("call")),
            txt(pl.col("error_label")),
            hms("t"),
        ),
        strength="strong",
    )


#: The loop detectors: each finds work repeated with nothing new, which is where a run's steps go.
#: (model_call_cycle judges only runs no step or turn limit stopped; handoff_ping_pong is read above.)
LOOP_DETECTORS: Final = (
    "repeated_action",
    "retry_storm",
    "repeated_step_error",
    "repeated_format_error",
    "repeated_handoff",
    "repeated_delegation",
    "requery_same_results",
)


def loop_spend_told_once(ctx: Context, spend: pl.LazyFrame) -> pl.LazyFrame:
    """``spend`` (budget_exceeded's findings of tokens or cost over a budget) without the ones over
    a budget inferred from the fleet (weak) in runs a turn, step or recursion limit stopped in a
    loop: the tokens went where the steps went, and the loop is the story, told once, as for the
    limit stop itself. A budget the policy states (strong) stays, as a spend stop does."""
    if "step_limit" not in ctx.spans.columns:
        return spend
    looped = _looped(ctx)
    if looped.is_empty():
        return spend
    in_loop = pl.col("run_id").is_in(looped.get_column("run_id").implode())
    return spend.filter(~(in_loop & (pl.col("strength") == "weak")))


def _stops(ctx: Context) -> pl.LazyFrame:
    """The spans saying a limit stopped the run (``budget_stop``, ``step_limit``), but in runs where
    two agents bounced the task until a turn limit: that is handoff_ping_pong's story (the missing
    way out, missing_fallback), one story, told once; and but a turn limit the run's error handler
    then answered with a final output (``handler_output``)."""
    from forensics.detectors.handoff_loop import handoff_ping_pongs

    stops = ctx.spans.lazy().filter(pl.col("budget_stop") | pl.col("step_limit"))
    stops = stops.join(handoff_ping_pongs(ctx).lazy().select("run_id"), on="run_id", how="anti")
    # A turn limit the run's error handler answered with a final output (the Agents SDK's
    # error_handlers={"max_turns": ...}: conventions handler_output after the stop) ended on the
    # path the run defined for it: no stop to report. A spend budget stays (no such handler).
    answered = (
        ctx.spans.lazy()
        .filter(pl.col("handler_output"))
        .select("run_id", pl.col("seq").alias("_h_seq"))
        .join(stops.select("run_id", "span_id", "seq", "budget_stop"), on="run_id")
        .filter((pl.col("_h_seq") > pl.col("seq")) & ~pl.col("budget_stop"))
        .select("run_id", "span_id")
        .unique()
    )
    return stops.join(answered, on=["run_id", "span_id"], how="anti")


def _caught_and_answered(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the turn, step or recursion limit stops the application caught and
    answered: the stop ended the run's outermost agent (no agent above it: the ``Runner.run`` /
    ``graph.invoke`` the application called, whose ``MaxTurnsExceeded`` / ``GraphRecursionError``
    reaches the application's own code, OpenAI Agents SDK src/agents/run.py, LangGraph
    langgraph/errors.py), and the run's final answer came after it: a span outside the stopped
    agent, ended OK, that ended after it (the application's reply, a custom span; the wrapper
    span that recorded the exception and returned), or the stopped span itself carrying the
    application's output (any-agent's trace ``final_output``, set by the application that caught
    ``AgentRunError``). The limit did its job: the run's cost stopped where it was set, and what
    the application then said is judged by the rules that read answers (swallowed_error,
    claimed_but_not_done). A stop with nothing after it ended the run in the limit, and a stop
    inside an agent (an agent-as-tool, a managed agent) is the calling agent's to redo
    (``runaway_cost.limit_stops_redone``). A spend budget is never caught so: it stays."""
    spans = ctx.spans
    turn = (
        spans.lazy()
        .filter(pl.col("step_limit") & ~pl.col("budget_stop"))
        .select("run_id", "run_key", "span_id", "span_k", "parent_k", "end_time")
        .collect()
    )
    if turn.is_empty():
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String})
    agents = spans.filter(pl.col("kind") == "agent").get_column("span_k")
    # Inside an agent: its parent is one, or has one anywhere above it.
    parents = turn.select("run_key", pl.col("parent_k").alias("span_k")).drop_nulls().unique()
    under = pl.concat([agents, spans_below(spans, parents, agents)]).implode()
    outer = turn.filter(~pl.col("parent_k").is_in(under).fill_null(False))
    final = ctx.runs.lazy().select("run_id", "final_span_id", "final_t", "final_output").join(
        spans.lazy().select(
            "run_id", pl.col("span_id").alias("final_span_id"), pl.col("failed").alias("_final_failed")
        ).unique(subset=["run_id", "final_span_id"]),
        on=["run_id", "final_span_id"],
        how="left",
    )
    answered = (pl.col("final_output").str.strip_chars().str.len_chars() > 0).fill_null(False)
    itself = pl.col("final_span_id") == pl.col("span_id")
    after = ~pl.col("_final_failed").fill_null(True) & (pl.col("final_t") > pl.col("end_time")).fill_null(False)
    return outer.lazy().join(final, on="run_id").filter(answered & (itself | after)).select("run_id", "span_id")


def _looped(ctx: Context) -> pl.DataFrame:
    """``run_id``: the runs a turn, step or recursion limit stopped in a loop (found once; read by
    the limit stops and by the spend findings). Stopped: a span says so (``step_limit``), or the
    run used all the steps it was given (runs.step_limit_hit: smolagents' max_steps reached, whose
    final answer is written from memory with no error raised)."""
    stopped = pl.concat(
        [
            _stops(ctx).filter(~pl.col("budget_stop")).select("run_id"),
            ctx.runs.lazy().filter(pl.col("step_limit_hit").fill_null(False)).select("run_id"),
        ]
    )
    return ctx.once("limit_stops.looped", lambda: _loop_runs(ctx, stopped))


def _loop_runs(ctx: Context, stopped: pl.LazyFrame) -> pl.DataFrame:
    """The runs stopped by a turn, step or recursion limit (``stopped``: their ids) in which a loop
    detector fired (none: an empty frame). The loop detectors run on those runs alone (all of them
    are run-scoped), so the night's cost does not double."""
    from forensics.detectors.registry import get, names

    ids = stopped.select(pl.col("run_id").unique()).collect()
    if ids.is_empty():
        return pl.DataFrame(schema={"run_id": pl.String})
    sub = Context(
        spans=ctx.spans.join(ids, on="run_id", how="semi"),
        runs=ctx.runs.join(ids, on="run_id", how="semi"),
        policy=ctx.policy,
    )
    known = set(names())
    found = [get(n)().detect(sub).select("run_id") for n in LOOP_DETECTORS if n in known]
    if not found:
        return pl.DataFrame(schema={"run_id": pl.String})
    return pl.concat(found).unique().collect()
