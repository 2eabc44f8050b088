"""Attribution rules that read a Magentic-One orchestrator's ledgers and plans: ``accepted_wrong_answer``, ``unverified_accepted`` and ``plan_unbacked_fact`` (see :mod:`forensics.attribution`)."""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import (
    _ANY_NUMBER,
    _APPROX,
    _ASSUME,
    _CALENDAR,
    _ESTIMATE,
    _FACT_NAME,
    _FINAL_ANSWER,
    _GIVEN_SECTION,
    _GUESS_SECTION,
    _PARTIAL,
    _PLAN_CITED,
    _PLAN_SECTION,
    _SATISFIED_REASON,
    _SEARCH_PAGE,
    _STANDALONE_NUMBER,
    _hedged,
    _holders,
    _no_rows,
    _numbers,
    _page_url,
    _pick,
    _taken_up,
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
    one, not a plan; for a name, not a search results page, which lists names among others); without
    one, the judged worker message.

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
    approx = (
        accepted.select(
            "run_id",
            pl.when(pl.col("accepts"))
            .then(pl.col("_reason").fill_null("").str.extract_all(_ESTIMATE))
            .otherwise(pl.col("_reason").fill_null("").str.extract_all(_APPROX))
            .alias("_n"),
        )
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.extract(_ANY_NUMBER, 0).str.replace_all(",", ""))
        .join(_answer_numbers(s), on=["run_id", "_n"], how="semi")
        .select("run_id")
        .unique()
        .with_columns(_approx=pl.lit(True))
    )
    accepted = (
        accepted.join(hedged, on=["run_id", "j_at"], how="left")
        .join(approx, on="run_id", how="left")
        .with_columns(_j_hedged=pl.col("_j_hedged").fill_null(False) | pl.col("_approx").fill_null(False))
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
    said = s.filter((pl.col("step") > 0) & ~pl.col("human") & ~pl.col("hedged") & ~pl.col("plan_msg"))
    # A worker's "None of the aircraft ..." holds the 0 a ledger states ("so the answer is 0").
    zero = said.filter(pl.col("output").fill_null("").str.contains(_ZERO_WORD)).select(
        "run_id", "step", pl.lit("0").alias("_n")
    )
    seen = pl.concat([_numbers(said), zero], how="vertical").unique()
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
    name_hits = (
        names.join(steps_text, on="run_id")
        .filter(pl.col("_text").str.contains(pl.col("_n"), literal=True))
        .select("run_id", "_ledger", "_n", "step")
    )
    number_hits = stated.join(seen, on=["run_id", "_n"]).select("run_id", "_ledger", "_n", "step")
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
        .unique("run_id", keep="first")
        .select("run_id", pl.col("_n").alias("_own"))
    )
    rest = rest.join(origin, on="run_id", how="left").join(own, on="run_id", how="left")
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
                    attribution_evidence=pl.when(pl.col("_own").is_not_null())
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


def _plan_unbacked_facts(s: pl.DataFrame) -> pl.DataFrame:
    """A plan that acts on a fact nobody established: an orchestrator plan (Magentic-One's "Initial
    plan:" / "New plan:") whose given-or-verified facts or plan bullets hold a number of two digits
    or more that neither the task nor any earlier message held (a fact sheet inventing a "given"
    fact, or a replan replacing a learned fact with a guess). The plan is the decisive step."""
    plans = s.filter(pl.col("plan_msg") & ~pl.col("human"))
    if plans.height == 0:
        return _pick(_no_rows(s), "plan_unbacked_fact", 5)
    text = pl.col("output").fill_null("")
    acted = pl.concat_str(
        text.str.extract(_GIVEN_SECTION, 1).fill_null(""),
        pl.lit("\n"),
        text.str.extract(_PLAN_SECTION, 1).fill_null(""),
    )
    claimed = (
        plans.select("run_id", "step", acted.str.extract_all(_STANDALONE_NUMBER).alias("_n"))
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.replace_all(r"[^\d.]", "").str.strip_chars("."))
        .filter(pl.col("_n").str.len_chars() >= 2)
        .unique()
    )
    first_seen = _numbers(s).group_by("run_id", "_n").agg(pl.col("step").min().alias("_first"))
    novel = (
        claimed.join(first_seen, on=["run_id", "_n"])
        .filter(pl.col("_first") == pl.col("step"))
        .group_by("run_id", "step")
        .agg(pl.col("_n").sort().str.join(", ").alias("_facts"))
        .sort("run_id", "step")
        .unique("run_id", keep="first")
        .join(s.select("run_id", "step", "agent"), on=["run_id", "step"])
    )
    return _pick(
        novel.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {}'s plan acts on {} that neither the task nor any earlier message held",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_facts"),
            ),
        ),
        "plan_unbacked_fact",
        5,
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


def _answer_numbers(s: pl.DataFrame) -> pl.DataFrame:
    """``run_id, _n``: every number of the run's last answer message (a ``FINAL ANSWER:`` line's
    value, else the whole ``Orchestrator (final answer)`` message), commas dropped."""
    text = pl.col("output").fill_null("")
    last = s.filter(pl.col("final_msg")).sort("run_id", "step").unique("run_id", keep="last")
    value = pl.coalesce(text.str.extract(_FINAL_ANSWER, 1), text)
    return _numbers(last, value).select("run_id", "_n")


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
    return _pick(
        hits.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("_plan"),
            attribution_evidence=pl.format(
                "step {}: the ledger at step {} rests a claim on {}'s plan, whose fact sheet states it without "
                "the request or any finding behind it",
                pl.col("_plan"),
                pl.col("_ledger"),
                pl.col("agent"),
            ),
        ),
        "plan_relied_on",
        5,
    )


def _replan_dropped(s: pl.DataFrame) -> pl.DataFrame:
    """A replan that dropped what the team had learned: Magentic-One's replan resets every agent's
    history and rebroadcasts only the new plan (``_select_next_agent``: ``self._chat_history =
    [self._chat_history[0]]``), so a fact that is not in the new plan is gone for the team. A name
    (a capitalised word inside a sentence, ``_FACT_NAME``) that a worker's step first reported (not the
    request), that the orchestrator then acted on (a later ledger or instruction of its names it) and
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
    names = (
        s.select(
            "run_id",
            "step",
            "worker",
            "orchestrator",
            "plan_msg",
            pl.col("output")
            .fill_null("")
            .str.extract_all(_FACT_NAME)
            .list.eval(pl.element().str.slice(2))
            .alias("_n"),
        )
        .explode("_n")
        .drop_nulls("_n")
        .filter(~pl.col("_n").str.contains(_CALENDAR))
        .unique()
    )
    task = s.filter(pl.col("step") == 0).select("run_id", pl.col("output").fill_null("").alias("_task"))
    agents = s.select("run_id", pl.col("agent").alias("_n")).drop_nulls().unique()
    first = (
        names.filter(pl.col("step") > 0)
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
    return _pick(
        dropped.with_columns(
            decisive_agent=pl.col("_ra"),
            decisive_step=pl.col("_r"),
            attribution_evidence=pl.format(
                "step {}: the new plan no longer names '{}', which a worker reported at step {} and the "
                "orchestrator acted on at step {}; the team answered by the new plan",
                pl.col("_r"),
                pl.col("_n"),
                pl.col("_f"),
                pl.col("_used"),
            ),
        ),
        "replan_dropped_fact",
        5,
    )
