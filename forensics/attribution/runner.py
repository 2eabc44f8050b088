"""The runner: ``attribute`` runs the evidence rules, keeps the earliest step each run's rules name, and
tries the fallback rules in order for the runs no evidence rule named (see :mod:`forensics.attribution`).
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl

from forensics.attribution.answers import (
    _computed_from_given,
    _final_answer_composed,
    _final_answer_departs,
    _final_answer_origin,
    _halted_answer_origin,
)
from forensics.attribution.claim_rules import _claimed_access
from forensics.attribution.click_rules import _clicked_another_period
from forensics.attribution.common import _OBSERVATIONS, _PLAN_OPENINGS, REPEAT_MIN_CHARS
from forensics.attribution.download_rules import _unread_downloads
from forensics.attribution.fallback import _first_response, _orchestrator_plan, _unbacked_claims
from forensics.attribution.handoff_rules import _repeated_instructions, _replan_repeats, _unanswered
from forensics.attribution.instruction_rules import (
    _instruction_conflicts,
    _instruction_unbacked_figures,
    _source_contradicts_task,
    _task_unasked_figures,
)
from forensics.attribution.ledger_rules import _accepted_answers
from forensics.attribution.path_rules import _miscopied_paths
from forensics.attribution.period_rules import _source_period
from forensics.attribution.plan_rules import (
    _assumed_values,
    _plan_relied_on,
    _plan_unbacked_facts,
    _plan_unpinned_year,
    _replan_dropped,
)
from forensics.attribution.search_rules import _unrefined_searches
from forensics.attribution.stall_rules import _stalls
from forensics.attribution.steps import _steps
from forensics.attribution.tool_rules import (
    _EMPTY_RUN,
    _repeats,
    _stale_outputs,
    _task_is_tool_error,
    _tool_errors,
)
from forensics.attribution.view_rules import _partial_file_view

#: Columns of ``attribute``'s result.
ATTRIBUTION_COLUMNS: Final = (
    "run_id",
    "decisive_agent",
    "decisive_step",
    "decisive_span_id",
    "attribution_rule",
    "attribution_evidence",
)
#: Evidence rules; the earliest step among those that fire wins.
EVIDENCE_RULES: Final = (
    "orchestrator_stall",
    "unanswered_instruction",
    "repeated_instruction",
    "replan_repeated_instruction",
    "task_is_tool_error",
    "tool_error",
    "miscopied_path",
    "repeated_action",
    "unrefined_search",
    "stale_output",
    "claimed_access",
    "final_answer_origin",
    "halted_answer_origin",
    "final_answer_composed",
    "final_answer_departs",
    "computed_from_given",
    "accepted_wrong_answer",
    "unverified_accepted",
    "plan_unbacked_fact",
    "plan_contradicts_task",
    "plan_relied_on",
    "replan_dropped_fact",
    "instruction_contradicts_task",
    "instruction_unbacked_figure",
    "source_contradicts_task",
    "partial_file_view",
    "task_unasked_figure",
    "unread_download",
    "clicked_another_period",
)
#: Evidence rules that say where a value came from; an ``unverified_accepted`` of the same run wins
#: over them (see ``_attribute``).
VALUE_TRACES: Final = (
    "final_answer_origin",
    "halted_answer_origin",
    "accepted_wrong_answer",
    "source_contradicts_task",
    "partial_file_view",
    "computed_from_given",
)
#: Fallback rules, tried in this order.
FALLBACK_RULES: Final = ("unbacked_claim", "orchestrator_plan", "first_response")


def attribute(spans: Any, runs: Any = None) -> pl.DataFrame:
    """One row per run: ``run_id, decisive_agent, decisive_step, decisive_span_id,
    attribution_rule, attribution_evidence``.

    ``spans``: the span table (Arrow, polars, or a LoadResult). ``runs``: optional run ids (a
    list, Series or a frame with ``run_id``) to attribute; by default every run in ``spans``.
    """
    from forensics.classify import _as_spans

    return _attribute(_as_spans(spans), runs)


def _attribute(df: pl.DataFrame, runs: Any = None, evidence_only: Any = None) -> pl.DataFrame:
    """``attribute`` over a span frame already in SPAN_SCHEMA types (classify's).

    ``evidence_only``: run ids that already have a decisive step from a detector's finding: such a
    run (unless it keeps an orchestrator's ledger) is named only by an evidence rule (a fallback
    rule is a prior, weaker than a finding), and one that holds nothing an evidence rule reads
    (:func:`_may_hold_evidence`) is skipped before any per-step work."""
    if runs is not None:
        wanted = _run_ids(runs)
        df = df.filter(pl.col("run_id").is_in(wanted.implode()))
    settled = None
    if evidence_only is not None and df.height > 0:
        # An orchestrated run (it keeps a progress ledger: Magentic-One) is the transcript these
        # rules were built for: its fallback (the orchestrator's plan) stays ahead of a plumbing
        # finding's span, which named the wrong agent on Who&When's Magentic-One runs (issue 13).
        ledgered = df.filter(pl.col("output").str.contains("is_in_loop", literal=True).fill_null(False))
        settled = _run_ids(evidence_only)
        settled = settled.filter(~settled.is_in(ledgered.get_column("run_id").implode()))
        hopeless = (
            df.select(pl.col("run_id").unique())
            .filter(pl.col("run_id").is_in(settled.implode()))
            .join(_may_hold_evidence(df), on="run_id", how="anti")
        )
        if hopeless.height > 0:
            df = df.filter(~pl.col("run_id").is_in(hopeless.get_column("run_id").implode()))
    if df.height == 0:
        return _empty()
    steps = _steps(df)
    repeated = _repeated_instructions(steps)
    origins = _final_answer_origin(steps)
    evidence = pl.concat(
        [
            _stalls(steps),
            _unanswered(steps),
            repeated.drop("_worker"),
            _replan_repeats(steps),
            _task_is_tool_error(steps),
            _tool_errors(steps),
            _miscopied_paths(steps),
            _repeats(steps),
            _unrefined_searches(steps),
            _stale_outputs(steps),
            _claimed_access(steps),
            origins,
            _halted_answer_origin(steps),
            _final_answer_composed(steps),
            _final_answer_departs(steps),
            _computed_from_given(steps),
            _accepted_answers(steps),
            _plan_unbacked_facts(steps),
            _plan_unpinned_year(steps),
            _plan_relied_on(steps),
            _replan_dropped(steps),
            _assumed_values(steps),
            _instruction_conflicts(steps),
            _instruction_unbacked_figures(steps),
            _source_contradicts_task(steps),
            _source_period(steps),
            _partial_file_view(steps),
            _task_unasked_figures(steps),
            _unread_downloads(steps, origins),
            _clicked_another_period(steps),
        ],
        how="vertical",
    )
    # Where a value came from (the answer traces, a source for another period) does not decide a
    # run whose orchestrator accepted that value knowing it was not established: the acceptance did.
    # Nor a run whose answer itself composed or misrounded the figure it states, nor one whose
    # orchestrator asked for something the request did not (the figures may be right: the question
    # put to them was not; nor where a surfer clicked through to another period's page), nor one whose terminal handed back an earlier script's result as the new
    # code's (the traced figure was right for the code that printed it).
    knowing = (
        _relayed_sources(evidence)
        .filter(
            pl.col("attribution_rule").is_in(
                [
                    "unverified_accepted",
                    "final_answer_composed",
                    "final_answer_departs",
                    "instruction_contradicts_task",
                    "instruction_unbacked_figure",
                    "stale_output",
                    "clicked_another_period",
                ]
            )
        )
        .select("run_id")
        .unique()
    )
    if knowing.height > 0:
        traced = pl.col("attribution_rule").is_in(list(VALUE_TRACES)) & pl.col("run_id").is_in(
            knowing.get_column("run_id").implode()
        )
        evidence = evidence.filter(~traced)
    # A worker's repeat or stall that answered the orchestrator's word-for-word repeated instruction
    # is the orchestrator's loop (it kept sending what it knew came back unchanged), not the worker's.
    # (Not so a replan's repeat: a worker stuck by its own doing before the replan was first.)
    fed = repeated.select("run_id", "_worker")
    if fed.height > 0:
        evidence = (
            evidence.join(fed, on="run_id", how="left")
            .filter(
                ~(
                    pl.col("attribution_rule").is_in(["orchestrator_stall", "repeated_action"])
                    & (pl.col("decisive_agent") == pl.col("_worker")).fill_null(False)
                )
            )
            .drop("_worker")
        )
    chosen_evidence = evidence.sort("run_id", "decisive_step", "_rank").unique("run_id", keep="first")
    # The fallback rules only for the runs no evidence rule named.
    rest = steps.join(chosen_evidence.select("run_id"), on="run_id", how="anti")
    if settled is not None:
        rest = rest.filter(~pl.col("run_id").is_in(settled.implode()))
    fallback = pl.concat(
        [_unbacked_claims(rest), _orchestrator_plan(rest), _first_response(rest)], how="vertical"
    )
    chosen_fallback = fallback.sort("run_id", "_rank", "decisive_step").unique("run_id", keep="first")
    chosen = pl.concat([chosen_evidence, chosen_fallback], how="vertical")
    span_ids = steps.select(
        "run_id", pl.col("step").alias("decisive_step"), pl.col("span_id").alias("decisive_span_id")
    )
    return (
        chosen.join(span_ids, on=["run_id", "decisive_step"], how="left")
        .select(ATTRIBUTION_COLUMNS)
        .sort("run_id")
    )


def _relayed_sources(evidence: pl.DataFrame) -> pl.DataFrame:
    """``evidence`` without the ``instruction_contradicts_task`` rows that a worker's source for
    another year came before (``source_contradicts_task`` at an earlier step of the run): the
    instruction named the year the worker's file or page had brought in, so it relayed the source's
    period rather than asking for another, and does not overrule it."""
    source = (
        evidence.filter(pl.col("attribution_rule") == "source_contradicts_task")
        .group_by("run_id")
        .agg(pl.col("decisive_step").min().alias("_source"))
    )
    if source.height == 0:
        return evidence
    return (
        evidence.join(source, on="run_id", how="left")
        .filter(
            ~(
                (pl.col("attribution_rule") == "instruction_contradicts_task")
                & (pl.col("_source") < pl.col("decisive_step")).fill_null(False)
            )
        )
        .drop("_source")
    )


def _may_hold_evidence(df: pl.DataFrame) -> pl.DataFrame:
    """``run_id`` of the runs an evidence rule could name: a failed step or a run that printed
    nothing (tool_error), a failure report (task_is_tool_error), an AG2 manager's task description (task_unasked_figure), a
    Magentic-One ledger, plan, final answer or page view (the ledger, answer, plan and source rules
    read them), or one agent's output of ``REPEAT_MIN_CHARS`` or more given twice word for word
    (repeated_action). One literal scan per marker, two pattern scans and one hash per agent
    output, no ordering."""
    text = pl.col("output").fill_null("")
    markers = (
        "is_in_loop",
        "FINAL ANSWER",
        "(execution failed)",
        "# Task and suggestions from manager",
        *_PLAN_OPENINGS,
        *_OBSERVATIONS,
    )
    marked = df.filter(
        (pl.col("status") == "error").fill_null(False)
        | pl.any_horizontal(text.str.contains(m, literal=True) for m in markers)
        # A terminal run that printed nothing (tool_error).
        | text.str.contains(_EMPTY_RUN)
    ).select("run_id")
    said = df.filter(
        (pl.col("kind") == "agent").fill_null(False) & (pl.col("output").str.len_bytes() >= REPEAT_MIN_CHARS)
    ).select(
        "run_id", pl.col("agent").fill_null(pl.col("name")).alias("_a"), pl.col("output").hash(7).alias("_h")
    )
    repeated = said.filter(pl.len().over("run_id", "_a", "_h") > 1).select("run_id")
    return pl.concat([marked, repeated], how="vertical").unique()


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "run_id": pl.String,
            "decisive_agent": pl.String,
            "decisive_step": pl.Int64,
            "decisive_span_id": pl.String,
            "attribution_rule": pl.String,
            "attribution_evidence": pl.String,
        }
    )


def _run_ids(runs: Any) -> pl.Series:
    if isinstance(runs, pl.DataFrame):
        return runs.get_column("run_id").cast(pl.String)
    return pl.Series("run_id", list(runs), dtype=pl.String)
