"""Answer tracing: ``final_answer_origin``, the first step that held the run's stated final answer
(see :mod:`forensics.attribution`).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.attribution.common import (
    _ANY_NUMBER,
    _DECIMALS_ASKED,
    _FINAL_ANSWER,
    _NUMBER_WORDS,
    _ROW_LABEL,
    _SATISFIED_REASON,
    _SEARCH_PAGE,
    _VIEWPORT_REPORT,
    _WHOLE_ASKED,
    _hedged,
    _holders,
    _no_rows,
    _numbers,
    _page_url,
    _pick,
    _taken_up,
)
from forensics.attribution.value_forms import (
    ROUNDING_MODE,
    month_numbers,
    restated_in_units,
    tens_asked,
    tens_roundings,
    zero_padded,
)


def _final_answer_origin(s: pl.DataFrame) -> pl.DataFrame:
    text = pl.col("output").fill_null("")
    answers = (
        s.filter(text.str.contains(_FINAL_ANSWER))
        .with_columns(_answer=text.str.extract(_FINAL_ANSWER, 1).str.strip_chars(" .\"'*").str.to_lowercase())
        .filter(pl.col("_answer").str.len_chars() > 0)
        .sort("run_id", "step")
        .unique("run_id", keep="last")
        .select("run_id", "_answer", pl.col("step").alias("_final_step"))
    )
    if answers.height == 0:
        return _pick(_no_rows(s), "final_answer_origin", 3)
    hits = (
        s.join(answers, on="run_id")
        .filter(
            (pl.col("step") < pl.col("_final_step"))
            & (pl.col("step") > 0)
            & ~pl.col("human")
            & ~pl.col("meta")
            & ~pl.col("plan_msg")
            & text.str.to_lowercase().str.contains(
                pl.concat_str(pl.lit(r"(^|\W)"), pl.col("_answer").str.escape_regex(), pl.lit(r"($|\W)"))
            )
        )
        .with_columns(_search=_page_url().fill_null("").str.contains(_SEARCH_PAGE), _hedge=_hedged())
    )
    # A hedged step holds the answer only as a comment on a figure an earlier unhedged step that is
    # no results page already held ("approximately 7.68" after a page showed 7.68): a figure read,
    # not estimated; before that, a hedge gives no answer.
    found = pl.when(~pl.col("_hedge") & ~pl.col("_search")).then(pl.col("step")).min().over("run_id")
    hits = hits.filter(~pl.col("_hedge") | (pl.col("step") > found).fill_null(False)).drop("_hedge")
    # A number is held where a number of the text is that number: not inside a longer one (a version,
    # openpyxl-3.1.5, holds no 5), nor as the row labels pandas prints down a frame's left edge
    # (DataFrame.to_string: " 5      Finn ..."), which number the rows, not what they count, nor in a
    # browser's report of its viewport ("Showing page 1 of 2.", common._VIEWPORT_REPORT), as
    # accepted_wrong_answer reads them.
    numeric = pl.col("_answer").str.contains(r"^\d[\d,.]*$")
    held = (
        text.str.replace_all(_ROW_LABEL, "\n")
        .str.replace_all(_VIEWPORT_REPORT, " ")
        .str.replace_all("_", " ", literal=True)
        .str.extract_all(_ANY_NUMBER)
        .list.eval(pl.element().str.replace_all(",", "", literal=True))
        .list.contains(pl.col("_answer").str.replace_all(",", "", literal=True))
    )
    hits = hits.filter(~numeric | held)
    hits = _taken_up(hits)
    return _pick(
        hits.with_columns(
            decisive_agent=pl.col("owner_agent"),
            decisive_step=pl.col("owner_step"),
            attribution_evidence=pl.format(
                "step {}: the final answer '{}' (step {}) first appears here, from {}",
                pl.col("step"),
                pl.col("_answer"),
                pl.col("_final_step"),
                pl.col("owner_agent"),
            ),
        ),
        "final_answer_origin",
        3,
    )


def _final_answer_composed(s: pl.DataFrame) -> pl.DataFrame:
    """The run's answer message (Magentic-One's ``Orchestrator (final answer)``, written by
    ``_prepare_final_answer`` from the transcript, or a ``FINAL ANSWER:`` line) states a number that
    no earlier step held: the answer computed it itself (a mean of figures nobody averaged), or
    rounded an earlier figure to another precision than the request asks ("one decimal place",
    "nearest whole minute"). A rounding to the asked precision, or any rounding when the request
    asks for none, is the answer's to make and not evidence. The answer step is blamed; it wins over
    the traces of where the figures came from (``VALUE_TRACES``), which were taken up correctly."""
    final = s.filter(pl.col("final_msg")).sort("run_id", "step").unique("run_id", keep="last")
    if final.height == 0:
        return _pick(_no_rows(s), "final_answer_composed", 3)
    text = pl.col("output").fill_null("")
    value = pl.coalesce(text.str.extract(_FINAL_ANSWER, 1), text)
    stated = (
        final.select("run_id", pl.col("step").alias("_final"), value.str.extract_all(_ANY_NUMBER).alias("_n"))
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.replace_all(",", ""))
        .unique()
    )
    earlier = (
        s.join(final.select("run_id", pl.col("step").alias("_final")), on="run_id")
        .filter(pl.col("step") < pl.col("_final"))
        .select(
            "run_id",
            "step",
            # A month named next to a day holds its number (a page's "June 20, 2025" is "2025-06-20").
            pl.concat_list(
                pl.col("output").fill_null("").str.replace_all("_", " ").str.extract_all(_ANY_NUMBER),
                month_numbers(pl.col("output").fill_null("")),
            ).alias("_e"),
        )
        .explode("_e")
        .drop_nulls("_e")
        .select("run_id", pl.col("_e").str.replace_all(",", ""))
        .unique()
    )
    as_float = pl.col("_n").cast(pl.Float64, strict=False)
    # Held earlier by value, not spelling ("4 March" from "2021-03-04", "12.50" from "12.5").
    novel = (
        stated.with_columns(_key=as_float)
        .drop_nulls("_key")
        .join(
            earlier.select("run_id", pl.col("_e").cast(pl.Float64, strict=False).alias("_key")).drop_nulls(
                "_key"
            ),
            on=["run_id", "_key"],
            how="anti",
        )
        .drop("_key")
    )
    if novel.height == 0:
        return _pick(_no_rows(s), "final_answer_composed", 3)
    decimals = pl.col("_n").str.extract(r"\.(\d+)$", 1).str.len_chars().fill_null(0)
    novel = novel.with_columns(_d=decimals, _v=as_float)
    # A rounding of an earlier figure (same value at the answer's own precision).
    rounded = (
        novel.join(
            earlier.with_columns(_x=pl.col("_e").cast(pl.Float64, strict=False)).drop_nulls("_x"), on="run_id"
        )
        .filter(
            (
                (pl.col("_x") * (10.0 ** pl.col("_d"))).round(0, mode=ROUNDING_MODE) / (10.0 ** pl.col("_d"))
                - pl.col("_v")
            ).abs()
            < 1e-9
        )
        .select("run_id", "_n")
        .unique()
        .with_columns(_rounded=pl.lit(True))
    )
    # An earlier figure in another unit of ten's powers (1800 g as 1.8 kg, 0.45 as 45 %): restated.
    scales = pl.DataFrame({"_f": [1e-6, 1e-3, 1e-2, 1e-1, 10.0, 100.0, 1e3, 1e6]})
    scaled = (
        novel.join(
            earlier.with_columns(_x=pl.col("_e").cast(pl.Float64, strict=False)).drop_nulls("_x"), on="run_id"
        )
        .join(scales, how="cross")
        .filter(
            (pl.col("_x") * pl.col("_f") - pl.col("_v")).abs()
            <= 1e-9 * pl.col("_v").abs().clip(lower_bound=1.0)
        )
        .select("run_id", "_n")
        .unique()
    )
    novel = novel.join(scaled, on=["run_id", "_n"], how="anti")
    # A rounding to the power of ten the request asks ("nearest 1000 hours": 26000 for 26328.8) is the
    # answer's to make, as a rounding to its decimals is.
    to_tens = tens_roundings(
        novel.select("run_id", "_n"), earlier.with_columns(step=pl.lit(0), _n=pl.col("_e")), tens_asked(s)
    )
    novel = novel.join(to_tens.select("run_id", "_n").unique(), on=["run_id", "_n"], how="anti")
    # A figure the answer restates beside itself in the request's unit ("26,000 hours (26 thousand
    # hours)"): held as its twin is.
    twins = stated.join(novel.select("run_id", "_n"), on=["run_id", "_n"], how="anti")
    novel = novel.join(
        restated_in_units(novel.select("run_id", "_n"), twins), on=["run_id", "_n"], how="anti"
    )
    task = s.filter(pl.col("step") == 0).select("run_id", pl.col("output").fill_null("").alias("_task"))
    asked = task.select(
        "run_id",
        pl.col("_task")
        .str.extract(_DECIMALS_ASKED, 1)
        .str.to_lowercase()
        .replace_strict(_NUMBER_WORDS, default=None, return_dtype=pl.Int64)
        .alias("_asked"),
        pl.col("_task").str.contains(_WHOLE_ASKED).alias("_whole"),
    ).with_columns(
        _asked=pl.when(pl.col("_asked").is_null() & pl.col("_whole")).then(0).otherwise(pl.col("_asked"))
    )
    judged = (
        novel.join(rounded, on=["run_id", "_n"], how="left")
        .join(asked, on="run_id", how="left")
        .filter(
            ~pl.col("_rounded").fill_null(False)
            | (pl.col("_asked").is_not_null() & (pl.col("_asked") != pl.col("_d")))
        )
        .sort("run_id", "_n")
        .unique("run_id", keep="first")
        .join(final.select("run_id", "step", "agent"), on="run_id")
    )
    how = (
        pl.when(pl.col("_rounded").fill_null(False))
        .then(
            pl.format(
                "rounds an earlier figure to {} decimals where the request asks for {}",
                pl.col("_d"),
                pl.col("_asked"),
            )
        )
        .otherwise(pl.lit("was computed in the answer itself"))
    )
    return _pick(
        judged.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {}'s answer states {}, which no earlier step held: it {}",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_n"),
                how,
            ),
        ),
        "final_answer_composed",
        3,
    )


#: How near an answer's figure may be to the accepted one and still be its restatement ("about 39,000"
#: for 38,750; a rounding), relative to the accepted figure, also after a change of unit by ten's powers.
_RESTATED = 0.05
_UNITS: Final = (1e-6, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e6)


def _final_answer_departs(s: pl.DataFrame) -> pl.DataFrame:
    """The run's answer message (``Orchestrator (final answer)``: ``_prepare_final_answer`` writes it with ``ORCHESTRATOR_GET_FINAL_ANSWER``
    afresh from the whole transcript, after the ledger declared the request satisfied) states figures
    the accepting ledger did not: the last ledger before it that answered ``is_request_satisfied:
    true`` states a figure in its reason, the answer states none of the reason's figures (nor one
    within ``_RESTATED`` of them, in any unit of ten's powers) and states one of its own. Figures of
    the request are left out of both. The team's accepted figure was lost in the answer: the answer
    step is blamed, ahead of where either figure came from (``VALUE_TRACES``)."""
    final = s.filter(pl.col("final_msg")).sort("run_id", "step").unique("run_id", keep="last")
    if final.height == 0 or s.get_column("ledger_satisfied").null_count() == s.height:
        return _pick(_no_rows(s), "final_answer_departs", 3)
    at = final.select("run_id", pl.col("step").alias("_final"), pl.col("agent").alias("_who"))
    ledger = (
        s.join(at, on="run_id")
        .filter(pl.col("ledger_satisfied").fill_null(False) & (pl.col("step") < pl.col("_final")))
        .sort("run_id", "step")
        .unique("run_id", keep="last")
    )
    if ledger.height == 0:
        return _pick(_no_rows(s), "final_answer_departs", 3)
    text = pl.col("output").fill_null("")
    task = _numbers(s.filter(pl.col("step") == 0)).select("run_id", "_n")
    said = _numbers(
        final.join(ledger.select("run_id"), on="run_id", how="semi"),
        pl.coalesce(text.str.extract(_FINAL_ANSWER, 1), text),
    )
    reason = _numbers(ledger, text.str.extract(_SATISFIED_REASON, 1).fill_null(""))
    said, reason = (
        f.join(task, on=["run_id", "_n"], how="anti")
        .with_columns(_v=pl.col("_n").cast(pl.Float64, strict=False))
        .drop_nulls("_v")
        for f in (said, reason)
    )
    units = pl.DataFrame({"_u": list(_UNITS)})
    kept = (
        said.join(reason.select("run_id", pl.col("_v").alias("_r")), on="run_id")
        .join(units, how="cross")
        .filter(
            (pl.col("_v") - pl.col("_r") * pl.col("_u")).abs()
            <= _RESTATED * (pl.col("_r") * pl.col("_u")).abs()
        )
        .select("run_id")
        .unique()
    )
    departed = (
        said.join(reason.select("run_id").unique(), on="run_id", how="semi")
        .join(kept, on="run_id", how="anti")
        .sort("run_id", "_v")
        .unique("run_id", keep="first")
        .join(at, on="run_id")
        .join(
            reason.sort("run_id", "_v")
            .unique("run_id", keep="first")
            .select("run_id", pl.col("_n").alias("_acc")),
            on="run_id",
        )
        .join(ledger.select("run_id", pl.col("step").alias("_ledger")), on="run_id")
    )
    return _pick(
        departed.with_columns(
            decisive_agent=pl.col("_who"),
            decisive_step=pl.col("_final"),
            attribution_evidence=pl.format(
                "step {}: {}'s answer states {}, while the ledger that declared the request satisfied (step {}) "
                "stated {}: the accepted figure was lost in the answer",
                pl.col("_final"),
                pl.col("_who"),
                pl.col("_n"),
                pl.col("_ledger"),
                pl.col("_acc"),
            ),
        ),
        "final_answer_departs",
        3,
    )


#: Code that only evaluates figures (assignments, arithmetic, print): no function, loop, branch,
#: context, file read or aggregate of its own (a sum, a count, a maximum over a collection: which
#: statistic to take is the code's choice), so its result is the figures it was given, combined as asked.
_CODE_LOGIC = (
    r"(?m)^\s*(?:def|for|while|if|with|class|try|async)\b|\bopen\(|\bread_\w+\(|\.read\(|\blambda\b"
    r"|\b(?:sum|len|max|min|sorted|mean|median|mode|fmean|average|count)\("
)
#: A number in code that is no constant of the code's own: a digit, or a power of ten (1, 10, 0.01).
_TRIVIAL_CONSTANT = r"^(?:\d|10*|0?\.0*1)$"
#: The body of a code fence.
_FENCED = r"(?s)```[A-Za-z0-9_+-]*\n(.*?)```"


def _computed_from_given(s: pl.DataFrame) -> pl.DataFrame:
    """The run's answer is a terminal's result of plain code (figures assigned and combined, printed:
    nothing read, filtered or looped over, ``_CODE_LOGIC``) over a figure the orchestrator's last
    instruction to the code's author handed it and another agent reported (not in the request): the
    code computed what it was handed (the Coder writes the script the
    orchestrator's instruction spells out, the ComputerTerminal runs it: autogen_magentic_one's
    coder.py), so the answer is as wrong as the figure was. The figure is traced like an answer, to the
    first step that took it up (:func:`_taken_up`: past a results page, a page opened as told or a
    further view of a page, to the reader's own words). Code with logic of its own stays its
    author's (a filter, a loop, a function: the code may compute the wrong thing). Code handed a figure
    that no worker had given (the orchestrator's own: a replan's fact sheet promoting its guess to a
    verified figure) traces nothing: the orchestrator's figure, not a worker's reading, is the suspect."""
    final = s.filter(pl.col("final_msg")).sort("run_id", "step").unique("run_id", keep="last")
    if final.height == 0:
        return _pick(_no_rows(s), "computed_from_given", 4)
    text = pl.col("output").fill_null("")
    value = pl.coalesce(text.str.extract(_FINAL_ANSWER, 1), text)
    answer = _numbers(final, value).select("run_id", "_n")
    ends = final.select("run_id", pl.col("step").alias("_final"))
    # The terminal results (a tool step run by a message's code) before the answer that hold its figure.
    results = s.join(ends, on="run_id").filter(
        pl.col("is_tool")
        & ~pl.col("failed")
        & (pl.col("owner_step") != pl.col("step"))
        & (pl.col("step") < pl.col("_final"))
    )
    if results.height == 0:
        return _pick(_no_rows(s), "computed_from_given", 4)
    printed = _numbers(results)
    # The answer may write the printed figure with the trailing zeros the request's decimals ask for.
    padded = zero_padded(answer, printed).select("run_id", "step")
    held = (
        pl.concat([printed.join(answer, on=["run_id", "_n"], how="semi").select("run_id", "step"), padded])
        .join(results.select("run_id", "step", "owner_step", "owner_agent"), on=["run_id", "step"])
        .sort("run_id", "step")
        .unique("run_id", keep="first")
        .select("run_id", pl.col("owner_step").alias("_code"), pl.col("owner_agent").alias("_author"))
    )
    code = (
        s.join(held, on="run_id")
        .filter(pl.col("step") == pl.col("_code"))
        .with_columns(_body=text.str.extract_all(_FENCED).list.join("\n"))
        .filter(~pl.col("_body").str.contains(_CODE_LOGIC))
    )
    if code.height == 0:
        return _pick(_no_rows(s), "computed_from_given", 4)
    body = code.select("run_id", "step", pl.col("_body").str.replace_all(r"```[A-Za-z0-9_+-]*", ""))
    task = _numbers(s.filter(pl.col("step") == 0))
    # A constant of the code's own (a conversion factor no earlier step held: 1.6 km to the mile) is
    # the code's contribution, which may be wrong: such code stays its author's. A digit (a rounding's
    # places) or a power of ten (a percentage, a unit's prefix) is no such constant.
    before = _numbers(
        s.join(code.select("run_id", "_code"), on="run_id").filter(pl.col("step") < pl.col("_code"))
    ).select("run_id", "_n")
    own = (
        _numbers(body, pl.col("_body"))
        .filter(~pl.col("_n").str.contains(_TRIVIAL_CONSTANT))
        .join(before, on=["run_id", "_n"], how="anti")
        .select("run_id")
        .unique()
    )
    code = code.join(own, on="run_id", how="anti")
    body = body.join(own, on="run_id", how="anti")
    if code.height == 0:
        return _pick(_no_rows(s), "computed_from_given", 4)
    # The figures it was handed: in the code and in the orchestrator's last instruction to its author.
    told = (
        s.join(code.select("run_id", "_code", "_author"), on="run_id")
        .filter(
            (pl.col("kind") == "handoff")
            & (pl.col("handoff_to") == pl.col("_author"))
            & (pl.col("step") < pl.col("_code"))
        )
        .sort("run_id", "step")
        .unique("run_id", keep="last")
    )
    figures = (
        _numbers(body, pl.col("_body"))
        .select("run_id", "_n")
        .join(_numbers(told).select("run_id", "_n"), on=["run_id", "_n"], how="semi")
        .join(task.select("run_id", "_n"), on=["run_id", "_n"], how="anti")
    )
    # Where another agent reported the figure before the code: a worker's step, not a plan or a hedge.
    earlier = s.join(code.select("run_id", "_code", "_author"), on="run_id").filter(
        (pl.col("step") > 0)
        & (pl.col("step") < pl.col("_code"))
        & pl.col("worker")
        & (pl.col("owner_agent") != pl.col("_author"))
        & ~pl.col("plan_msg")
        & ~_hedged()
    )
    hits = _holders(_numbers(earlier).join(figures, on=["run_id", "_n"], how="semi"), earlier)
    # A handed figure no worker had given before the code (only the orchestrator's plan or
    # instruction held it: a replan's fact sheet promoting its own guess to a verified figure) is the
    # orchestrator's, not a reading to trace: the worker's other figure is no suspect, and the plan or
    # instruction rules say where the orphan came from.
    workers = s.join(code.select("run_id", "_code"), on="run_id").filter(
        (pl.col("step") > 0) & (pl.col("step") < pl.col("_code")) & pl.col("worker") & ~pl.col("plan_msg")
    )
    orphaned = figures.join(_numbers(workers).select("run_id", "_n"), on=["run_id", "_n"], how="anti")
    hits = hits.join(orphaned.select("run_id").unique(), on="run_id", how="anti")
    if hits.height == 0:
        return _pick(_no_rows(s), "computed_from_given", 4)
    origin = _suspect_figure(hits, earlier).join(code.select("run_id", "_code", "_author"), on="run_id")
    return _pick(
        origin.with_columns(
            decisive_agent=pl.col("owner_agent"),
            decisive_step=pl.col("owner_step"),
            attribution_evidence=pl.format(
                "step {}: {}'s plain code (step {}) computed the answer from {}, which {} reported here",
                pl.col("step"),
                pl.col("_author"),
                pl.col("_code"),
                pl.col("_n"),
                pl.col("owner_agent"),
            ),
        ),
        "computed_from_given",
        4,
    )


def _suspect_figure(hits: pl.DataFrame, earlier: pl.DataFrame) -> pl.DataFrame:
    """Of the figures the code was handed (``hits``: the worker steps holding each, ``_holders``), each
    traced to where it was taken up (:func:`_taken_up`), one per run: a figure taken up in a worker's
    own words (its report, no observation: no page, file view or terminal output) was read by that
    worker, who may have misread it, and is the suspect ahead of a figure a view only showed; else
    the earliest."""
    seen = earlier.select("run_id", "step", (pl.col("observation") | pl.col("is_tool")).alias("_shown"))
    return (
        _taken_up(hits.with_columns(_k=pl.concat_str("run_id", pl.lit("\x00"), "_n")), key="_k")
        .join(seen, on=["run_id", "step"], how="left")
        .sort("run_id", pl.col("_shown").fill_null(False), "step")
        .unique("run_id", keep="first")
        .drop("_k", "_shown")
    )


#: Magentic-One's base orchestrator ends the run when a worker's broadcast asks to halt (the Coder's
#: "TERMINATE": ``request_halt``), logging "(termination condition)" "<source> requested halt."
#: (autogen_magentic_one/agents/base_orchestrator.py): that broadcast is the run's answer.
_HALTED = r"^(\S+) requested halt\.\s*$"


def _halted_answer_origin(s: pl.DataFrame) -> pl.DataFrame:
    """The run ended on a worker's request to halt (``_HALTED``): its last message before it is the
    run's answer. A figure of it that the request does not give is traced to the first earlier step
    that held it (a terminal's output counts for its code's author; past a results page, a page opened
    as told or a further view, as :func:`_taken_up`); a figure no earlier step held was stated by the
    halting message itself, which is blamed."""
    text = pl.col("output").fill_null("")
    # A literal scan first (most span tables hold no halt): the pattern on those rows only.
    halts = s.filter(text.str.contains(" requested halt.", literal=True))
    if halts.height == 0:
        return _pick(_no_rows(s), "halted_answer_origin", 3)
    halts = halts.filter(text.str.contains(_HALTED)).select(
        "run_id", pl.col("step").alias("_t"), text.str.extract(_HALTED, 1).alias("_x")
    )
    if halts.height == 0:
        return _pick(_no_rows(s), "halted_answer_origin", 3)
    answer = (
        s.join(halts, on="run_id")
        .filter((pl.col("agent") == pl.col("_x")) & (pl.col("step") < pl.col("_t")) & pl.col("worker"))
        .sort("run_id", "step")
        .unique("run_id", keep="last")
        .select("run_id", "step", "agent", "output")
    )
    if answer.height == 0:
        return _pick(_no_rows(s), "halted_answer_origin", 3)
    task = _numbers(s.filter(pl.col("step") == 0)).select("run_id", "_n")
    figures = (
        _numbers(answer)
        .select("run_id", "_n")
        .join(task, on=["run_id", "_n"], how="anti")
        .join(answer.select("run_id", pl.col("step").alias("_a"), pl.col("agent").alias("_x")), on="run_id")
    )
    earlier = s.join(answer.select("run_id", pl.col("step").alias("_a")), on="run_id").filter(
        (pl.col("step") > 0)
        & (pl.col("step") < pl.col("_a"))
        & ~pl.col("human")
        & ~pl.col("meta")
        & ~pl.col("plan_msg")
        & ~_hedged()
    )
    hits = _holders(_numbers(earlier).join(figures, on=["run_id", "_n"]), earlier)
    traced = _taken_up(hits).with_columns(
        decisive_agent=pl.col("owner_agent"),
        decisive_step=pl.col("owner_step"),
        attribution_evidence=pl.format(
            "step {}: the run ended on {}'s request to halt (step {}); its answer's {} first appears here, from {}",
            pl.col("step"),
            pl.col("_x"),
            pl.col("_a"),
            pl.col("_n"),
            pl.col("owner_agent"),
        ),
    )
    stated = (
        figures.join(hits.select("run_id").unique(), on="run_id", how="anti")
        .unique("run_id", keep="first")
        .with_columns(
            decisive_agent=pl.col("_x"),
            decisive_step=pl.col("_a"),
            attribution_evidence=pl.format(
                "step {}: the run ended on {}'s request to halt; its answer's {} was held by no earlier step",
                pl.col("_a"),
                pl.col("_x"),
                pl.col("_n"),
            ),
        )
    )
    return pl.concat(
        [_pick(traced, "halted_answer_origin", 3), _pick(stated, "halted_answer_origin", 3)], how="vertical"
    )
