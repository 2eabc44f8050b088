"""Attribution rules that read a Magentic-One orchestrator's plans: ``plan_unbacked_fact``, ``plan_relied_on``, ``replan_dropped_fact`` and the values a plan assumed (see :mod:`forensics.attribution`)."""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import (
    _ASSUME,
    _CALENDAR,
    _FACT_NAME,
    _GIVEN_SECTION,
    _GUESS_SECTION,
    _PLAN_CITED,
    _PLAN_SECTION,
    _STANDALONE_NUMBER,
    _WRITTEN_DATE,
    _blame_row,
    _no_rows,
    _numbers,
    _pick,
    _years,
)
from forensics.attribution.value_forms import is_restated, restated_dates, restated_figures


def _plan_unbacked_facts(s: pl.DataFrame) -> pl.DataFrame:
    """A plan that acts on a fact nobody established: an orchestrator plan (Magentic-One's "Initial
    plan:" / "New plan:") whose given-or-verified facts or plan bullets hold a number of two digits
    or more that neither the task nor any earlier message held (a fact sheet inventing a "given"
    fact, or a replan replacing a learned fact with a guess), nor is a quantity of the task restated
    in another unit or the length of a month it names (value_forms.restated_figures) or a date of the task written in numbers
    (value_forms.restated_dates), nor the year of a date written with its month's name
    (``_WRITTEN_DATE``: when a source was published dates it, it is no given the team computes with).
    The plan is the decisive step."""
    plans = s.filter(pl.col("plan_msg") & ~pl.col("human"))
    if plans.height == 0:
        return _pick(_no_rows(s), "plan_unbacked_fact", 5)
    text = pl.col("output").fill_null("")
    # A date written with its month's name ("published 6 February 2024") dates a source; its year is
    # no figure the plan acts on (a bare "released in 2011" still is).
    acted = pl.concat_str(
        text.str.extract(_GIVEN_SECTION, 1).fill_null(""),
        pl.lit("\n"),
        text.str.extract(_PLAN_SECTION, 1).fill_null(""),
    ).str.replace_all(_WRITTEN_DATE, "")
    claimed = (
        plans.select("run_id", "step", acted.str.extract_all(_STANDALONE_NUMBER).alias("_n"))
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.replace_all(r"[^\d.]", "").str.strip_chars("."))
        .filter(pl.col("_n").str.len_chars() >= 2)
        .unique()
    )
    first_seen = _numbers(s).group_by("run_id", "_n").agg(pl.col("step").min().alias("_first"))
    # A quantity of the request restated in another unit ("a 45-minute break" as 0.75 h, "1:05.00" as
    # 65.00 s, "the 10th" as rank 10) is given, not invented.
    given = restated_figures(s.filter(pl.col("step") == 0), pl.col("output"))
    novel = (
        is_restated(claimed.join(first_seen, on=["run_id", "_n"]), given)
        .join(restated_dates(s.filter(pl.col("step") == 0), pl.col("output")), on=["run_id", "_n"], how="anti")
        .filter((pl.col("_first") == pl.col("step")) & ~pl.col("_restated"))
        .group_by("run_id", "step")
        .agg(pl.col("_n").sort().str.join(", ").alias("_facts"))
        .sort("run_id", "step")
        .unique("run_id", keep="first")
        .join(s.select("run_id", "step", "agent"), on=["run_id", "step"])
    )
    return _blame_row(
        novel,
        "plan_unbacked_fact",
        5,
        pl.format(
            "step {}: {}'s plan acts on {} that neither the task nor any earlier message held",
            pl.col("step"),
            pl.col("agent"),
            pl.col("_facts"),
        ),
    )


def _assumed_values(s: pl.DataFrame) -> pl.DataFrame:
    """The orchestrator telling a worker to assume or guess a value (Magentic-One's ``Orchestrator
    (-> X)`` instruction, read from the ledger's ``instruction_or_question``): the team improvised
    instead of establishing it; the decisive step is the ledger that first gave that instruction."""
    ledger_at = (
        pl.when(pl.col("ledger_progress").is_not_null()).then(pl.col("step")).forward_fill().over("_rk")
    )
    told = (
        s.with_columns(_ledger_at=ledger_at)
        .filter(
            (pl.col("kind") == "handoff").fill_null(False)
            & pl.col("orchestrator")
            & pl.col("output").fill_null("").str.contains(_ASSUME)
            & (pl.col("step") > pl.col("last_replan"))
        )
        .sort("run_id", "step")
        .unique("run_id", keep="first")
        .with_columns(decisive_step=pl.coalesce("_ledger_at", "step"))
    )
    return _pick(
        told.with_columns(
            decisive_agent=pl.col("agent"),
            attribution_evidence=pl.format(
                "step {}: {} told the team to assume a value instead of establishing it",
                pl.col("decisive_step"),
                pl.col("agent"),
            ),
        ),
        "unverified_accepted",
        4,
    )


def _plan_relied_on(s: pl.DataFrame) -> pl.DataFrame:
    """A plan's unverified fact the team acted on: an orchestrator ledger whose reason rests a claim on
    the plan or its fact sheet ("Per the fact sheet, the recipe quantity is for one loaf") where that
    claim is a line of the plan's given-or-verified facts or educated guesses (two of its words of
    four letters or more in one line) that says something the request does not (a word of that line
    is not in the request). Magentic-One's ledger prompt sees the plan and facts (orchestrator.py
    ``_update_facts_and_plan`` / ORCHESTRATOR_LEDGER_PROMPT); a ledger citing them for a fact
    took it from the plan, not from a worker's finding. The plan (the latest before that ledger) is
    blamed: the earliest step whose assumption made the failure inevitable."""
    text = pl.col("output").fill_null("")
    plans = s.filter(pl.col("plan_msg") & ~pl.col("human"))
    if plans.height == 0:
        return _pick(_no_rows(s), "plan_relied_on", 5)
    ledgers = s.filter(pl.col("ledger_progress").is_not_null())
    ledgers = ledgers.filter(text.str.contains(_PLAN_CITED))
    if ledgers.height == 0:
        return _pick(_no_rows(s), "plan_relied_on", 5)
    words = r"[a-z]{4,}"
    cited = (
        ledgers.select(
            "run_id", pl.col("step").alias("_ledger"), text.str.extract_all(_PLAN_CITED).alias("_c")
        )
        .explode("_c")
        .drop_nulls("_c")
        .with_columns(pl.col("_c").str.replace(_PLAN_CITED, "${1}").str.to_lowercase().str.extract_all(words))
        .explode("_c")
        .drop_nulls("_c")
        .unique()
    )
    task = s.filter(pl.col("step") == 0).select("run_id", text.str.to_lowercase().alias("_task"))
    lines = (
        plans.select(
            "run_id",
            pl.col("step").alias("_plan"),
            pl.concat_str(
                text.str.extract(_GIVEN_SECTION, 1).fill_null(""),
                pl.lit("\n"),
                text.str.extract(_GUESS_SECTION, 1).fill_null(""),
            )
            .str.to_lowercase()
            .str.split("\n")
            .alias("_line"),
        )
        .explode("_line")
        .filter(pl.col("_line").str.contains(words))
        .with_row_index("_li")
    )
    # A line that says something the request does not: one of its words is not in the request.
    new = (
        lines.join(task, on="run_id")
        .select("_li", "_task", pl.col("_line").str.extract_all(words).alias("_w"))
        .explode("_w")
        .drop_nulls("_w")
        .filter(~pl.col("_task").str.contains(pl.col("_w"), literal=True))
        .select("_li")
        .unique()
    )
    lines = lines.join(new, on="_li", how="semi")
    hits = (
        cited.join(lines, on="run_id")
        .filter(
            (pl.col("_plan") < pl.col("_ledger")) & pl.col("_line").str.contains(pl.col("_c"), literal=True)
        )
        .group_by("run_id", "_ledger", "_plan", "_li")
        .agg(pl.len().alias("_k"))
        .filter(pl.col("_k") >= 2)
    )
    # The plan in force at that ledger: the latest before it.
    hits = (
        hits.with_columns(_latest=pl.col("_plan").max().over("run_id", "_ledger"))
        .filter(pl.col("_plan") == pl.col("_latest"))
        .sort("run_id", "_ledger")
        .unique("run_id", keep="first")
        .join(
            s.select("run_id", pl.col("step").alias("_plan"), "agent", "last_replan"), on=["run_id", "_plan"]
        )
        .filter(pl.col("_plan") >= pl.col("last_replan"))
    )
    return _blame_row(
        hits,
        "plan_relied_on",
        5,
        pl.format(
            "step {}: the ledger at step {} rests a claim on {}'s plan, whose fact sheet states it without "
            "the request or any finding behind it",
            pl.col("_plan"),
            pl.col("_ledger"),
            pl.col("agent"),
        ),
        step="_plan",
    )


def _replan_dropped(s: pl.DataFrame) -> pl.DataFrame:
    """A replan that dropped what the team had learned: Magentic-One's replan resets every agent's
    history and rebroadcasts only the new plan (``_select_next_agent``: ``self._chat_history =
    [self._chat_history[0]]``), so a fact that is not in the new plan is gone for the team. A name
    (a capitalised word inside a sentence, ``_FACT_NAME``) that a worker's step first reported (not the
    request; a plan that only guessed it before does not count), that the orchestrator then acted on (a later ledger or instruction of its names it) and
    that the last "New plan:" no longer names, in a run whose answer was accepted after that replan
    (the team answered by the new plan): the replan is blamed."""
    if not bool(s.get_column("replan").any()):
        return _pick(_no_rows(s), "replan_dropped_fact", 5)
    replans = s.filter(pl.col("replan") & (pl.col("step") == pl.col("last_replan"))).select(
        "run_id",
        pl.col("step").alias("_r"),
        pl.col("agent").alias("_ra"),
        pl.col("output").fill_null("").alias("_plan"),
    )
    answered = (
        s.join(replans, on="run_id")
        .filter(
            (pl.col("step") > pl.col("_r"))
            & (pl.col("ledger_satisfied").fill_null(False) | pl.col("final_msg"))
        )
        .select("run_id")
        .unique()
    )
    replans = replans.join(answered, on="run_id", how="semi")
    if replans.height == 0:
        return _pick(_no_rows(s), "replan_dropped_fact", 5)
    s = (
        s.join(replans, on="run_id", how="semi")
        .join(replans, on="run_id")
        .filter(pl.col("step") < pl.col("_r"))
    )
    names = _names(s.select("run_id", "step", "worker", "orchestrator", "plan_msg", "output"), pl.col("output")).unique()
    task = s.filter(pl.col("step") == 0).select("run_id", pl.col("output").fill_null("").alias("_task"))
    agents = s.select("run_id", pl.col("agent").alias("_n")).drop_nulls().unique()
    # A plan's educated guess is not learned (ORCHESTRATOR_CLOSED_BOOK_PROMPT: "EDUCATED GUESSES"): a
    # name the first plan guessed and a worker then reported is the worker's finding all the same.
    first = (
        names.filter((pl.col("step") > 0) & ~pl.col("plan_msg"))
        .sort("run_id", "step")
        .group_by("run_id", "_n")
        .agg(pl.col("step").first().alias("_f"), pl.col("worker").first().alias("_w"))
        .filter(pl.col("_w"))
        .join(agents, on=["run_id", "_n"], how="anti")
        .join(task, on="run_id")
        .filter(~pl.col("_task").str.contains(pl.col("_n"), literal=True))
    )
    acted = (
        names.filter(pl.col("orchestrator") & ~pl.col("plan_msg"))
        .join(first, on=["run_id", "_n"])
        .filter(pl.col("step") > pl.col("_f"))
        .group_by("run_id", "_n")
        .agg(pl.col("step").min().alias("_used"), pl.col("_f").first())
    )
    dropped = (
        acted.join(replans, on="run_id")
        .filter(~pl.col("_plan").str.contains(pl.col("_n"), literal=True))
        .sort("run_id", "_f", "_n")
        .unique("run_id", keep="first")
    )
    learned = dropped.with_columns(
        attribution_evidence=pl.format(
            "step {}: the new plan no longer names '{}', which a worker reported at step {} and the "
            "orchestrator acted on at step {}; the team answered by the new plan",
            pl.col("_r"),
            pl.col("_n"),
            pl.col("_f"),
            pl.col("_used"),
        ),
    ).select("run_id", "_r", "_ra", "attribution_evidence")
    given = _dropped_givens(s, task, replans).join(learned.select("run_id"), on="run_id", how="anti")
    return _pick(
        pl.concat([learned, given], how="vertical").with_columns(
            decisive_agent=pl.col("_ra"), decisive_step=pl.col("_r")
        ),
        "replan_dropped_fact",
        5,
    )


def _names(frame: pl.DataFrame, text: pl.Expr) -> pl.DataFrame:
    """``frame`` (less ``output``) with ``_n``, one row per name ``text`` holds (``_FACT_NAME``: a
    capitalised word inside a sentence; a month or a weekday dates a fact and is none)."""
    return (
        frame.with_columns(
            text.fill_null("").str.extract_all(_FACT_NAME).list.eval(pl.element().str.slice(2)).alias("_n")
        )
        .drop("output")
        .explode("_n")
        .drop_nulls("_n")
        .filter(~pl.col("_n").str.contains(_CALENDAR))
    )


def _dropped_givens(s: pl.DataFrame, task: pl.DataFrame, replans: pl.DataFrame) -> pl.DataFrame:
    """``run_id, _r, _ra, attribution_evidence``: a name of the request (``_FACT_NAME``: "held in Room
    B") that an earlier plan's given-or-verified facts stated as a condition and that the last replan's
    fact sheet and plan (from "1. GIVEN OR VERIFIED FACTS" on: the request it restates above them is
    not what the team is told to do) no longer name. ORCHESTRATOR_UPDATE_FACTS_PROMPT rewrites the
    fact sheet and the replan resets every history to it: the condition is gone for the team."""
    sheet = pl.col("_plan").str.extract(r"(?s)(1\. GIVEN OR VERIFIED FACTS.*)$", 1).str.to_lowercase()
    plans = s.filter(pl.col("plan_msg")).select("run_id", "step", "output")
    given = pl.col("output").fill_null("").str.extract(_GIVEN_SECTION, 1)
    stated = (
        pl.concat([_names(plans, given), _condition_words(plans, given)])
        .join(task, on="run_id")
        .filter(pl.col("_task").str.to_lowercase().str.contains(pl.col("_n").str.to_lowercase(), literal=True))
        .select("run_id", "step", pl.col("_n").str.to_lowercase())
        .unique()
    )
    if stated.height == 0:
        return replans.head(0).select("run_id", "_r", "_ra", pl.lit("").alias("attribution_evidence"))
    return (
        stated.join(replans.with_columns(_sheet=sheet), on="run_id")
        .filter(
            (pl.col("step") < pl.col("_r"))
            & pl.col("_sheet").is_not_null()
            & ~pl.col("_sheet").str.contains(pl.col("_n"), literal=True)
        )
        .sort("run_id", "step", "_n")
        .unique("run_id", keep="first")
        .select(
            "run_id",
            "_r",
            "_ra",
            pl.format(
                "step {}: the new plan's fact sheet no longer names '{}', a condition of the request the plan "
                "of step {} stated; the team answered by the new plan",
                pl.col("_r"),
                pl.col("_n"),
                pl.col("step"),
            ).alias("attribution_evidence"),
        )
    )


#: A condition a given-or-verified fact states in a word of its own: "The bakery must be gluten-free."
#: (a lower-case word after "must be" / "has to be" / "only", ORCHESTRATOR_CLOSED_BOOK_PROMPT's given facts).
_CONDITION_WORD = r"\b(?:must be|has to be|have to be|only)\s+([a-z][a-z-]{3,})\b"


def _condition_words(frame: pl.DataFrame, text: pl.Expr) -> pl.DataFrame:
    """``frame`` (less ``output``) with ``_n``, one row per condition word ``text`` states
    (``_CONDITION_WORD``): a requirement the fact sheet wrote as a fact, not a name."""
    return (
        frame.with_columns(text.fill_null("").str.extract_all(_CONDITION_WORD).alias("_n"))
        .drop("output")
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.extract(r"([a-z][a-z-]{3,})$", 1))
        .drop_nulls("_n")
    )


#: The fact sheet's look-up section (ORCHESTRATOR_SYNTHESIZE_PROMPT's "2. FACTS TO LOOK UP").
_LOOKUP_SECTION = r"(?s)2\. FACTS TO LOOK UP(.*?)(?:\n\s*3\. FACTS TO DERIVE|$)"
#: A value asked for by recency, not by a date: "the most recent population figure".
_RECENCY = r"(?i)\b(?:most recent|latest|newest)\b"


def _plan_unpinned_year(s: pl.DataFrame) -> pl.DataFrame:
    """``plan_contradicts_task``: a plan (Magentic-One's "Initial plan:" / "New plan:"; agentchat's task
    ledger) whose facts to look up and bullets ask for the most recent (latest, newest) value and name
    none of the years the request names, while the request names a year and asks for nothing by
    recency: "According to the 2020 census, ..." looked up as "the most recent population figure".
    ORCHESTRATOR_SYNTHESIZE_PROMPT (agentchat: ORCHESTRATOR_TASK_LEDGER_FULL_PROMPT) writes the facts to
    look up and the plan every instruction follows, so the team reads whatever figure is newest; the
    plan is the decisive step. A plan that keeps the request's year ("the latest 2020 census count")
    is no such plan."""
    plans = s.filter(pl.col("plan_msg") & ~pl.col("human"))
    if plans.height == 0:
        return _pick(_no_rows(s), "plan_contradicts_task", 5)
    text = pl.col("output").fill_null("")
    task = s.filter(pl.col("step") == 0).select(
        "run_id", _years(text).alias("_asked"), text.str.contains(_RECENCY).alias("_task_recent")
    )
    asks = pl.concat_str(
        text.str.extract(_LOOKUP_SECTION, 1).fill_null(""),
        pl.lit("\n"),
        text.str.extract(_PLAN_SECTION, 1).fill_null(""),
    )
    hits = (
        plans.select("run_id", "step", "agent", asks.alias("_asks"))
        .filter(pl.col("_asks").str.contains(_RECENCY))
        .join(task, on="run_id")
        .filter(
            (pl.col("_asked").list.len() > 0)
            & ~pl.col("_task_recent")
            & (_years(pl.col("_asks")).list.set_intersection(pl.col("_asked")).list.len() == 0)
        )
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    return _blame_row(
        hits,
        "plan_contradicts_task",
        5,
        pl.format(
            "step {}: {}'s plan asks for the {} value where the request names {}",
            pl.col("step"),
            pl.col("agent"),
            pl.col("_asks").str.extract(_RECENCY, 0).str.to_lowercase(),
            pl.col("_asked").list.eval(pl.element().cast(pl.String)).list.join(", "),
        ),
    )
