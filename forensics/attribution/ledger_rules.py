"""Attribution rules that read a Magentic-One orchestrator's ledgers and plans: ``accepted_wrong_answer``, ``unverified_accepted`` and ``plan_unbacked_fact`` (see :mod:`forensics.attribution`)."""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import (
    _ANY_NUMBER,
    _APPROX,
    _CALENDAR,
    _ESTIMATE,
    _FACT_NAME,
    _FINAL_ANSWER,
    _PARTIAL,
    _ROW_LABEL,
    _SATISFIED_REASON,
    _SEARCH_PAGE,
    _VIEWPORT_REPORT,
    _hedged,
    _holders,
    _no_rows,
    _numbers,
    _page_url,
    _pick,
    _taken_up,
    _years,
)
from forensics.attribution.value_forms import (
    restated_in_units,
    roundings,
    tens_asked,
    tens_roundings,
    zero_padded,
)

#: A count of nothing in words ("None of the aircraft ...", "zero entries"): the 0 a ledger may state.
_ZERO_WORD = r"(?i)\b(?:none|zero)\b"


def _judged(s: pl.DataFrame, also: pl.Expr | None = None) -> pl.DataFrame:
    """The ledger rows (and the rows ``also`` keeps), each with the latest worker step before it:
    (owner step, owner agent, step) of what the orchestrator was judging."""
    kept = pl.col("ledger_progress").is_not_null() | pl.col("ledger_in_loop").is_not_null()
    return s.with_columns(
        j_step=pl.when(pl.col("worker")).then(pl.col("owner_step")).shift(1).forward_fill().over("_rk"),
        j_agent=pl.when(pl.col("worker")).then(pl.col("owner_agent")).shift(1).forward_fill().over("_rk"),
        j_at=pl.when(pl.col("worker")).then(pl.col("step")).shift(1).forward_fill().over("_rk"),
    ).filter(kept if also is None else kept | also)


def _accepted_answers(s: pl.DataFrame) -> pl.DataFrame:
    """The first ledger that declared the request satisfied accepted a wrong answer (attribution is
    asked about failed runs; it never reads their verdict). If the worker message it judged says
    itself that its value is not established (it could not find or verify it, estimates or guesses),
    accepting it was the orchestrator's mistake, at that ledger (``unverified_accepted``). Else the
    answer is traced: a number or a name (a capitalised word inside a sentence, not an agent's) the
    ledger's reason states that the request does not, at the first step that held it (not a hedged
    one, not a plan; for a name, not a search results page, which lists names among others; a name
    only when the reason states no figure of the FINAL ANSWER: beside that figure a name says where
    it was read). A reason that states no figure accepted the run's ``FINAL ANSWER:`` figure (no such
    line: the one figure of the answer message the request does not give), traced the same way.
    Without either, the judged worker message.

    Where the messages hold no ledger (agentchat's MagenticOneGroupChat logs it to its trace log
    only), the final answer message is the acceptance (``accepts``, forensics.attribution.steps) and
    its whole text stands for the ledger's reason."""
    if s.get_column("ledger_satisfied").null_count() == s.height and not bool(s.get_column("accepts").any()):
        return _pick(_no_rows(s), "accepted_wrong_answer", 4)
    judged = _judged(s, also=pl.col("accepts"))
    text = pl.col("output").fill_null("")
    accepted = (
        judged.filter(
            (pl.col("ledger_satisfied").fill_null(False) | pl.col("accepts")) & pl.col("j_step").is_not_null()
        )
        .sort("run_id", "step")
        .unique("run_id", keep="first")
        .with_columns(
            _reason=pl.when(pl.col("accepts")).then(text).otherwise(text.str.extract(_SATISFIED_REASON, 1))
        )
    )
    # Only the runs a ledger declared satisfied: their texts are read further.
    s = s.join(accepted.select("run_id"), on="run_id", how="semi").with_columns(
        hedged=_hedged(), url=_page_url()
    )
    hedged = s.select("run_id", pl.col("step").alias("j_at"), pl.col("hedged").alias("_j_hedged"))
    # The ledger's own reason may say the value is an approximation ("about 125,000 visitors"): the
    # orchestrator accepted a value it knew was not established.
    # (only an approximation of the answer itself: "64 km plus some 40 km" approximates an input).
    # (Not a rounding: "about 122.4 days" for a page's 122.3874, rounded as asked, restates a value a
    # worker established.)
    workers = _numbers(s.filter((pl.col("step") > 0) & pl.col("worker")))
    approx = (
        accepted.select(
            "run_id",
            pl.col("step").alias("_ledger"),
            pl.when(pl.col("accepts"))
            .then(pl.col("_reason").fill_null("").str.extract_all(_ESTIMATE))
            .otherwise(pl.col("_reason").fill_null("").str.extract_all(_APPROX))
            .alias("_n"),
        )
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.extract(_ANY_NUMBER, 0).str.replace_all(",", ""))
        .join(_answer_numbers(s), on=["run_id", "_n"], how="semi")
    )
    rounded = roundings(approx, workers).filter(pl.col("step") < pl.col("_ledger"))
    tens = tens_asked(s)
    # Or a rounding to the power of ten the request asks ("Round to the nearest 1000 hours": "about
    # 27,000" for the terminal's 27439.3).
    rounded = pl.concat(
        [
            rounded.select("run_id", "_n"),
            tens_roundings(approx, workers, tens)
            .filter(pl.col("step") < pl.col("_ledger"))
            .select("run_id", "_n"),
        ],
        how="vertical",
    )
    # Or an operand the orchestrator estimated itself, held by no earlier step (``_invented_estimates``).
    approx = (
        pl.concat(
            [
                approx.join(rounded.select("run_id", "_n").unique(), on=["run_id", "_n"], how="anti").select(
                    "run_id"
                ),
                _invented_estimates(accepted, s),
            ],
            how="vertical",
        )
        .unique()
        .with_columns(_approx=pl.lit(True))
    )
    # The judged message may hedge a comment on a figure already found (a Coder's plausibility check:
    # "roughly 46 trips in each direction gives 92"): where the FINAL ANSWER's figure entered at an
    # earlier worker step that did not hedge and is no results page (a terminal's output, a page the
    # surfer opened; a results page's snippet may come first), that step established it and the hedge
    # is not the value's source.
    held = (
        _final_numbers(s)
        .join(_numbers(s.filter((pl.col("step") > 0) & pl.col("worker"))), on=["run_id", "_n"])
        .join(s.select("run_id", "step", "hedged", "url"), on=["run_id", "step"])
        .filter(~pl.col("hedged") & ~pl.col("url").fill_null("").str.contains(_SEARCH_PAGE))
        .sort("run_id", "step")
        .unique("run_id", keep="first")
        .select("run_id", pl.col("step").alias("_held_at"))
    )
    accepted = (
        accepted.join(hedged, on=["run_id", "j_at"], how="left")
        .join(held, on="run_id", how="left")
        .with_columns(
            _j_hedged=pl.col("_j_hedged").fill_null(False)
            & ~(pl.col("_held_at") < pl.col("j_at")).fill_null(False)
        )
        .drop("_held_at")
        .join(approx, on="run_id", how="left")
        .with_columns(_j_hedged=pl.col("_j_hedged") | pl.col("_approx").fill_null(False))
    )
    unverified = accepted.filter(pl.col("_j_hedged"))
    rest = accepted.filter(~pl.col("_j_hedged"))
    # The numbers the ledger's reason states, less those of the task statement (step 0).
    stated = (
        rest.select(
            "run_id",
            pl.col("step").alias("_ledger"),
            pl.col("_reason").str.extract_all(_ANY_NUMBER).alias("_n"),
        )
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.replace_all(",", ""))
    )
    task_numbers = _numbers(s.filter(pl.col("step") == 0))
    stated = stated.join(task_numbers, on=["run_id", "_n"], how="anti")
    # A reason that states no figure ("FileSurfer found the maximum nitrate reading") accepted the
    # answer the run then gives: _prepare_final_answer writes it from the transcript the ledger judged
    # (autogen-magentic-one orchestrator.py), so its FINAL ANSWER figure is the value accepted;
    # with no such line, the one figure of the ``Orchestrator (final answer)`` message the request
    # does not give ("at $72 per month"); a message stating several (the answer and its inputs, "37 of
    # the 248") names no one of them as the answer. That message restates the answer in its own
    # words: a figure of it no earlier step held is final_answer_composed's to judge, not the ledger's
    # composing (``by_message``).
    by_message = (
        _answer_numbers(s)
        .join(_final_numbers(s), on="run_id", how="anti")
        .join(task_numbers, on=["run_id", "_n"], how="anti")
        .unique()
        .filter(pl.len().over("run_id") == 1)
    )
    unstated = (
        rest.select("run_id", pl.col("step").alias("_ledger"))
        .join(stated.select("run_id").unique(), on="run_id", how="anti")
        .join(pl.concat([_final_numbers(s), by_message], how="vertical"), on="run_id")
        .join(task_numbers, on=["run_id", "_n"], how="anti")
    )
    by_message = (
        by_message.join(unstated.select("run_id").unique(), on="run_id", how="semi").select("run_id").unique()
    )
    stated = _without_dating_years(pl.concat([stated, unstated], how="vertical"), s)
    # The run's own FINAL ANSWER, when the reason states it, is the one number to trace (the reason
    # also restates the inputs it was derived from, which may be right).
    final = pl.concat([_final_numbers(s), _answer_numbers(s)], how="vertical").unique()
    stated_final = stated.join(final, on=["run_id", "_n"], how="semi")
    stated = pl.concat(
        [stated_final, stated.join(stated_final.select("run_id"), on="run_id", how="anti")], how="vertical"
    )
    # The value the ledger states was first reported by a worker that said itself it was not
    # established ("... so I could not confirm which of them are state endangered"): accepting it was
    # the orchestrator's mistake, whatever worker message the ledger judged last (a page view after).
    said_first = (
        stated.join(_numbers(s.filter((pl.col("step") > 0) & pl.col("worker"))), on=["run_id", "_n"])
        .filter(pl.col("step") < pl.col("_ledger"))
        .join(s.select("run_id", "step", "hedged"), on=["run_id", "step"])
        .sort("run_id", "step")
        .unique("run_id", keep="first")
        .filter(pl.col("hedged"))
        .select("run_id")
    )
    # Or a worker said the value is only part of a larger whole ("the first 10 of 24"): the ledger took
    # a part for the whole.
    partial = _partial_counts(s.filter((pl.col("step") > 0) & pl.col("worker")))
    said_first = pl.concat(
        [
            said_first,
            stated.join(partial, on=["run_id", "_n"])
            .filter(pl.col("step") < pl.col("_ledger"))
            .select("run_id"),
        ],
        how="vertical",
    ).unique()
    if said_first.height > 0:
        unverified = pl.concat([unverified, rest.join(said_first, on="run_id", how="semi")], how="vertical")
        rest = rest.join(said_first, on="run_id", how="anti")
    # A plan restates the task and numbers its sections ("1. GIVEN OR VERIFIED FACTS"): not where an
    # answer entered (a plan that invents a fact is plan_unbacked_fact's).
    # A hedge after the answer's figure was on a page already ("approximately 147,906" for a figure
    # the surfer's page showed) comments on a figure found, not estimated: its words take it up.
    commented = (pl.col("step") > pl.col("_held_at")).fill_null(False)
    said = (
        s.join(held, on="run_id", how="left")
        .filter(
            (pl.col("step") > 0) & ~pl.col("human") & (~pl.col("hedged") | commented) & ~pl.col("plan_msg")
        )
        .drop("_held_at")
    )
    # A worker's "None of the aircraft ..." holds the 0 a ledger states ("so the answer is 0").
    zero = said.filter(pl.col("output").fill_null("").str.contains(_ZERO_WORD)).select(
        "run_id", "step", pl.lit("0").alias("_n")
    )
    # (A frame's row labels number its rows: not where a count was held, common._ROW_LABEL; nor a
    # browser's report of its viewport, "Showing page 1 of 3.", common._VIEWPORT_REPORT.)
    unlabelled = (
        pl.col("output")
        .fill_null("")
        .str.replace_all(_ROW_LABEL, "\n")
        .str.replace_all(_VIEWPORT_REPORT, " ")
    )
    seen = pl.concat([_numbers(said, unlabelled), zero], how="vertical").unique()
    # A name on a search engine's results page was only listed among others, not yet taken up
    # (MultimodalWebSurfer's web_search opens https://www.bing.com/search?q=...).
    steps_text = s.filter(
        (pl.col("step") > 0)
        & ~pl.col("human")
        & ~pl.col("hedged")
        & ~pl.col("plan_msg")
        & ~pl.col("url").fill_null("").str.contains(_SEARCH_PAGE)
    ).select("run_id", "step", pl.col("output").fill_null("").alias("_text"))
    task_text = s.filter(pl.col("step") == 0).select("run_id", pl.col("output").fill_null("").alias("_task"))
    agents = s.select("run_id", pl.col("agent").alias("_n")).drop_nulls().unique()
    names = (
        rest.select(
            "run_id",
            pl.col("step").alias("_ledger"),
            pl.col("_reason").str.extract_all(_FACT_NAME).list.eval(pl.element().str.slice(2)).alias("_n"),
        )
        .explode("_n")
        .drop_nulls("_n")
        .unique()
        # A month or a weekday dates a fact; it is not one ("in May 2018": the figure is the fact).
        .filter(~pl.col("_n").str.contains(_CALENDAR))
        .join(agents, on=["run_id", "_n"], how="anti")
        .join(task_text, on="run_id", how="left")
        .filter(~pl.col("_task").fill_null("").str.contains(pl.col("_n"), literal=True))
        .drop("_task")
    )
    # The FINAL ANSWER's figure, when the reason states it, is the answer; a name beside it says where
    # it was read ("on Google Patents"), the source the orchestrator's own instruction named.
    names = names.join(stated_final.select("run_id").unique(), on="run_id", how="anti")
    name_hits = (
        names.join(steps_text, on="run_id")
        .filter(pl.col("_text").str.contains(pl.col("_n"), literal=True))
        .select("run_id", "_ledger", "_n", "step")
    )
    # The final answer's figure rounded as the answer writes it is held where the finer figure was;
    # written with the trailing zeros the request's decimals ask for, where the plain figure was.
    number_hits = pl.concat(
        [
            stated.join(seen, on=["run_id", "_n"]),
            roundings(stated_final, seen),
            tens_roundings(stated_final, seen, tens),
            zero_padded(stated_final, seen),
        ],
        how="diagonal",
    ).select("run_id", "_ledger", "_n", "step")
    hits = _holders(
        pl.concat([number_hits, name_hits], how="vertical").filter(pl.col("step") < pl.col("_ledger")),
        s,
        pl.col("url"),
    )
    origin = _taken_up(hits).select(
        "run_id",
        pl.col("step").alias("_o_at"),
        "_n",
        pl.col("owner_step").alias("_o_step"),
        pl.col("owner_agent").alias("_o_agent"),
    )
    # The final answer the reason states that no earlier step held: the orchestrator composed it
    # itself in that ledger (a sum, a conversion, a pick among figures): its own step.
    own = (
        stated_final.join(hits.select("run_id", "_n"), on=["run_id", "_n"], how="anti")
        .join(by_message, on="run_id", how="anti")
        .join(restated_in_units(stated_final, hits), on=["run_id", "_n"], how="anti")
        .unique("run_id", keep="first")
        .select("run_id", pl.col("_n").alias("_own"))
    )
    rest = rest.join(origin, on="run_id", how="left").join(own, on="run_id", how="left")
    own = _picked_year(rest, s)
    rest = rest.drop("_own").join(own, on="run_id", how="left").with_columns(_from=pl.col("_o_at"))
    rest = rest.with_columns(
        _o_agent=pl.when(pl.col("_own").is_not_null()).then(pl.col("agent")).otherwise(pl.col("_o_agent")),
        _o_step=pl.when(pl.col("_own").is_not_null()).then(pl.col("step")).otherwise(pl.col("_o_step")),
        _o_at=pl.when(pl.col("_own").is_not_null()).then(pl.col("step")).otherwise(pl.col("_o_at")),
        _n=pl.coalesce("_own", "_n"),
    )
    traced = pl.format(
        "step {}: {} took the request as satisfied, stating {}, which first appears at step {} ({})",
        pl.col("step"),
        _ACCEPTED_BY,
        pl.col("_n"),
        pl.col("_o_at"),
        pl.col("_o_agent"),
    )
    composed = pl.format(
        "step {}: {} took the request as satisfied, stating the final answer {}, "
        "which no earlier step held: the orchestrator composed it itself",
        pl.col("step"),
        _ACCEPTED_BY,
        pl.col("_n"),
    )
    picked = pl.format(
        "step {}: {} took the request as satisfied, stating {}, one of the years step {} reported among others "
        "it leaves out: the pick among them was the orchestrator's",
        pl.col("step"),
        _ACCEPTED_BY,
        pl.col("_n"),
        pl.col("_from"),
    )
    plain = pl.format(
        "step {}: {} took the request as satisfied by {}'s step {}",
        pl.col("step"),
        _ACCEPTED_BY,
        pl.col("j_agent"),
        pl.col("j_at"),
    )
    return pl.concat(
        [
            _pick(
                rest.with_columns(
                    decisive_agent=pl.coalesce("_o_agent", "j_agent"),
                    decisive_step=pl.coalesce("_o_step", "j_step"),
                    attribution_evidence=pl.when(pl.col("_pick").fill_null(False))
                    .then(picked)
                    .when(pl.col("_own").is_not_null())
                    .then(composed)
                    .when(pl.col("_o_step").is_not_null())
                    .then(traced)
                    .otherwise(plain),
                ),
                "accepted_wrong_answer",
                4,
            ),
            _pick(
                unverified.with_columns(
                    decisive_agent=pl.col("agent"),
                    decisive_step=pl.col("step"),
                    attribution_evidence=pl.format(
                        "step {}: {} took the request as satisfied by {}'s step {}, "
                        "whose value is not established (that step, the worker that first reported the value "
                        "or the ledger's reason says so)",
                        pl.col("step"),
                        _ACCEPTED_BY,
                        pl.col("j_agent"),
                        pl.col("j_at"),
                    ),
                ),
                "unverified_accepted",
                4,
            ),
        ],
        how="vertical",
    )


def _invented_estimates(accepted: pl.DataFrame, s: pl.DataFrame) -> pl.DataFrame:
    """``run_id`` of the accepting ledgers whose reason states an approximate figure (``_APPROX``:
    "the typical size of converted mill playhouses (about 300 seats)") that neither the request nor
    any worker's step before the ledger held: an operand the orchestrator estimated itself, so the
    answer built on it was not established (ORCHESTRATOR_LEDGER_PROMPT asks whether the request
    is "fully addressed", not for a guess). An approximation of a figure a worker reported ("some
    40 km", read off the trust's page) is that worker's, traced as held."""
    ledgers = accepted.filter(~pl.col("accepts"))
    if ledgers.height == 0:
        return ledgers.select("run_id")
    estimates = (
        ledgers.select(
            "run_id",
            pl.col("step").alias("_ledger"),
            pl.col("_reason").fill_null("").str.extract_all(_APPROX).alias("_n"),
        )
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.extract(_ANY_NUMBER, 0).str.replace_all(",", ""))
    )
    figures = _numbers(s.filter(pl.col("worker") | (pl.col("step") == 0)))
    held = (
        figures.join(estimates.select("run_id", "_ledger").unique(), on="run_id")
        .filter(pl.col("step") < pl.col("_ledger"))
        .select("run_id", "_n")
        .unique()
    )
    # A rounding of a finer figure a worker held ("about 122.4 days" for 122.3874), as the request
    # asks or to its power of ten, restates that figure.
    rounded = pl.concat(
        [
            roundings(estimates, figures).filter(pl.col("step") < pl.col("_ledger")).select("run_id", "_n"),
            tens_roundings(estimates, figures, tens_asked(s))
            .filter(pl.col("step") < pl.col("_ledger"))
            .select("run_id", "_n"),
        ],
        how="vertical",
    )
    return (
        estimates.join(held, on=["run_id", "_n"], how="anti")
        .join(rounded.unique(), on=["run_id", "_n"], how="anti")
        .select("run_id")
        .unique()
    )


#: A request that asks to select one of several by order ("Which album was the band's first to ...").
_SELECTION = r"(?i)\b(?:first|earliest|last|latest|oldest|newest|youngest|most recent)\b"


def _picked_year(rest: pl.DataFrame, s: pl.DataFrame) -> pl.DataFrame:
    """``run_id, _own, _pick``: ``rest``'s composed figure (``_own``), or else (``_pick``) a year the
    accepted answer states that its origin, a worker's report in its own words (no page or file view),
    gave among other years the answer leaves out (and the request does not name), for a request that
    asks to select by order (``_SELECTION``) while the report does not use the request's word: "two
    albums reached number one: A (2000) and B (2008)". The worker reported candidates; the answer's
    pick among them was the orchestrator's (ORCHESTRATOR_GET_FINAL_ANSWER / the ledger write it from
    the transcript)."""
    task = s.filter((pl.col("step") == 0) & pl.col("output").fill_null("").str.contains(_SELECTION)).select(
        "run_id",
        _years(pl.col("output")).alias("_ty"),
        pl.col("output").str.extract(_SELECTION, 0).str.to_lowercase().alias("_sel"),
    )
    origin = s.select(
        "run_id",
        pl.col("step").alias("_o_at"),
        pl.col("output").alias("_o_text"),
        (pl.col("worker") & ~pl.col("observation") & ~pl.col("is_tool")).alias("_o_report"),
    )
    picked = (
        rest.select("run_id", "_o_at", "_n", "_own", "_reason")
        .filter(pl.col("_own").is_null() & pl.col("_n").str.contains(r"^(?:19|20)\d\d$"))
        .join(origin, on=["run_id", "_o_at"])
        .filter(pl.col("_o_report"))
        .join(task, on="run_id")
        # The report did not make the request's selection itself ("the first was ...").
        .filter(~pl.col("_o_text").str.to_lowercase().str.contains(pl.col("_sel"), literal=True))
        .with_columns(
            _others=_years(pl.col("_o_text"))
            .list.set_difference(_years(pl.col("_reason")))
            .list.set_difference(pl.col("_ty"))
        )
        .filter(pl.col("_others").list.len() > 0)
        .select("run_id", pl.col("_n").alias("_picked"))
    )
    return (
        rest.select("run_id", "_own")
        .join(picked, on="run_id", how="left")
        .select(
            "run_id",
            pl.coalesce("_own", "_picked").alias("_own"),
            pl.col("_picked").is_not_null().alias("_pick"),
        )
    )


#: A request that asks for a year (or a date): a year its answer states may be the value itself.
_ASKS_YEAR = r"(?i)\byears?\b|\bwhen\b|\bdates?\b|\bdecades?\b|\bcentur(?:y|ies)\b"


def _without_dating_years(stated: pl.DataFrame, s: pl.DataFrame) -> pl.DataFrame:
    """``stated`` (``run_id, _ledger, _n``) less the years (``_YEAR``, written plain) that stand beside
    another figure of the same acceptance, in a run whose request does not ask for a year or a date:
    "the town's 2023 budget granted the library $84,750.00" dates the budget, and the
    amount is the value accepted (``_prepare_final_answer`` restates the transcript's words around it).
    Tracing the year would blame the first page that printed the date, not where the value entered."""
    year = pl.col("_n").str.contains(r"^(?:19|20)\d\d$")
    asks = s.filter((pl.col("step") == 0) & pl.col("output").fill_null("").str.contains(_ASKS_YEAR)).select(
        "run_id"
    )
    return stated.filter(
        ~(year & (~year).any().over("run_id", "_ledger"))
        | pl.col("run_id").is_in(asks.get_column("run_id").implode())
    )


#: Who took the request as satisfied: the ledger, or (none in the messages) the final answer.
_ACCEPTED_BY = (
    pl.when(pl.col("accepts"))
    .then(pl.lit("the orchestrator's final answer"))
    .otherwise(pl.lit("the orchestrator's ledger"))
)


def _partial_counts(s: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step, _n``: the counts a step's text says are part of a larger whole (``_PARTIAL``:
    "the first 10 of 24"; the part smaller than the whole), commas dropped. A literal scan first."""
    text = pl.col("output").fill_null("")
    rows = s.filter(text.str.contains(" of ", literal=True) & text.str.contains(_PARTIAL))
    pairs = (
        rows.select("run_id", "step", text.str.extract_all(_PARTIAL).alias("_m"))
        .explode("_m")
        .drop_nulls("_m")
    )
    return (
        pairs.with_columns(
            _n=pl.col("_m").str.extract(_PARTIAL, 1).str.replace_all(",", ""),
            _w=pl.col("_m").str.extract(_PARTIAL, 2).str.replace_all(",", ""),
        )
        .filter(pl.col("_n").cast(pl.Float64, strict=False) < pl.col("_w").cast(pl.Float64, strict=False))
        .select("run_id", "step", "_n")
        .unique()
    )


def _final_numbers(s: pl.DataFrame) -> pl.DataFrame:
    """``run_id, _n``: the number the run's last ``FINAL ANSWER:`` line states, commas dropped."""
    text = pl.col("output").fill_null("")
    return (
        s.filter(text.str.contains(_FINAL_ANSWER))
        .sort("run_id", "step")
        .unique("run_id", keep="last")
        .select("run_id", text.str.extract(_FINAL_ANSWER, 1).str.extract(_ANY_NUMBER, 0).alias("_n"))
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.replace_all(",", ""))
    )


#: A name the answer message quotes in double quotes (a talk's, a book's title): a short span on one line
#: that holds a letter.
_QUOTED_NAME = r'["\u201c][^"\u201c\u201d\n]{0,80}?[A-Za-z][^"\u201c\u201d\n]{0,80}?["\u201d]'


def _answer_numbers(s: pl.DataFrame) -> pl.DataFrame:
    """``run_id, _n``: every number of the run's last answer message (a ``FINAL ANSWER:`` line's
    value, else the whole ``Orchestrator (final answer)`` message), commas dropped. A message quoting
    names ("the talks \u201cScaling dbt across 40 teams\u201d and ...") does not state the figures inside
    the quotes: they are part of a title (``_QUOTED_NAME``)."""
    text = pl.col("output").fill_null("")
    last = s.filter(pl.col("final_msg")).sort("run_id", "step").unique("run_id", keep="last")
    value = pl.coalesce(text.str.extract(_FINAL_ANSWER, 1), text.str.replace_all(_QUOTED_NAME, " "))
    return _numbers(last, value).select("run_id", "_n")
