"""Attribution rules that compare what the team did with what the request asked:
``instruction_contradicts_task`` (an orchestrator instruction asking for another year or another
statistic than the request, or sending a request about an attached file to the web) and
``source_contradicts_task`` (a worker reading a source for another year than the request names,
whose figures the team then used), ``instruction_unbacked_figure`` (an orchestrator instruction
handing a worker a figure nobody held, which the worker used) and ``task_unasked_figure`` (an AG2
manager's task description stating a figure the request does not). See :mod:`forensics.attribution`.

Magentic-One's ``LedgerOrchestrator`` writes each instruction twice: in the ledger's
``instruction_or_question`` and as the ``Orchestrator (-> X)`` message the worker receives
(``autogen_magentic_one/agents/orchestrator.py``); the message is the instruction the team acts on,
so it is the step blamed. Its team gives local files to the ``FileSurfer`` and the web to the
``WebSurfer`` (``agents/file_surfer``, ``agents/multimodal_web_surfer``).
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import (
    _ATTACHED,
    _FACT_NAME,
    _FACT_NUMBER,
    _FILE_AGENT,
    _PLAN_SECTION,
    _SEARCH_PAGE,
    _STATISTIC_PARTS,
    _STATISTICS,
    _WEB_AGENT,
    _blame_row,
    _day_kinds,
    _no_rows,
    _numbers,
    _page_url,
    _pick,
    _years,
)
from forensics.attribution.period_rules import read_by_later_code, surfer_chosen_files
from forensics.attribution.value_forms import restated_dates


def _task(s: pl.DataFrame) -> pl.DataFrame:
    """``run_id, _task``: each run's request (its first step)."""
    return s.filter(pl.col("step") == 0).select("run_id", pl.col("output").fill_null("").alias("_task"))


def _told(s: pl.DataFrame) -> pl.DataFrame:
    """The orchestrator's instructions (handoffs of the agent keeping the ledger) after the last replan."""
    return s.filter(
        (pl.col("kind") == "handoff").fill_null(False)
        & pl.col("orchestrator")
        & (pl.col("step") > pl.col("last_replan"))
    )


def _outside(frame: pl.DataFrame, years: pl.Expr, asked: pl.Expr) -> pl.Series:
    """Per row of ``frame``: ``years`` (a list) is not empty, the request's ``asked`` years are not
    empty, and none of ``years`` is one the request names or lies within the span it names
    ("between 2000 and 2009" asks about 2005 too)."""
    rows = frame.select(
        years.cast(pl.List(pl.Int32)).alias("_y"),
        asked.cast(pl.List(pl.Int32)).list.min().alias("_lo"),
        asked.cast(pl.List(pl.Int32)).list.max().alias("_hi"),
    ).with_row_index("_i")
    inside = (
        rows.explode("_y")
        .group_by("_i")
        .agg(pl.col("_y").is_between(pl.col("_lo"), pl.col("_hi")).fill_null(False).any().alias("_in"))
    )
    out = rows.join(inside, on="_i", how="left").sort("_i")
    return (
        (out.get_column("_y").list.len() > 0)
        & out.get_column("_lo").is_not_null()
        & ~out.get_column("_in").fill_null(False)
    )


def _instruction_conflicts(s: pl.DataFrame) -> pl.DataFrame:
    """The first orchestrator instruction (a handoff of the agent keeping the ledger, after the last
    replan) that contradicts the request: it names only years the request neither names nor spans,
    while the request names one; or it asks for a statistic of another family than the request's (an average
    for a median) and not the request's; or it names only another kind of day (``_day_kinds``: a
    Saturday for a request about a weekday) than the request, while the request names one; or, as the run's first instruction, it sends a request
    about an attached file to the web surfer while the team has a file surfer nobody asked yet (before a
    replan too, when no step of the run ever asked the file surfer: the replan kept the file on the web)."""
    text = pl.col("output").fill_null("")
    task = pl.col("_task")
    handoff = (pl.col("kind") == "handoff").fill_null(False) & pl.col("orchestrator")
    first_handoff = pl.when(handoff).then(pl.col("step")).min().over("_rk")
    # The run's first instruction, before a replan too: an attached file it sent to the web stays
    # there when the replan keeps the web surfer on it (see ``to_web``).
    told = pl.concat([_told(s), s.filter(handoff & (pl.col("step") == first_handoff))]).unique(
        ["run_id", "step"], keep="first", maintain_order=True
    )
    if told.height == 0:
        return _pick(_no_rows(s), "instruction_contradicts_task", 4)
    file_agent_seen = (
        pl.when(pl.col("agent") == _FILE_AGENT).then(pl.col("step")).min().over("_rk").fill_null(1 << 40)
    )
    team_has_files = pl.col("output").fill_null("").str.contains(_FILE_AGENT, literal=True).any().over("_rk")
    # The ledger that wrote the instruction (``instruction_or_question``; the ``Orchestrator (-> X)``
    # message repeats it): the first place the decision appears, the step blamed; and whether it
    # judged the team stuck (``is_progress_being_made: false``).
    ledger_at = (
        pl.when(pl.col("ledger_progress").is_not_null()).then(pl.col("step")).forward_fill().over("_rk")
    )
    stuck = (
        pl.when(pl.col("ledger_progress").is_not_null())
        .then(~pl.col("ledger_progress"))
        .forward_fill()
        .over("_rk")
    )
    marks = s.select(
        "run_id",
        "step",
        (pl.col("step") > pl.col("last_replan")).alias("_current"),
        first_handoff.alias("_first"),
        file_agent_seen.alias("_fs"),
        team_has_files.alias("_team"),
        ledger_at.alias("_ledger_at"),
        stuck.fill_null(False).alias("_stuck"),
    )
    cand = told.join(_task(s), on="run_id").join(marks, on=["run_id", "step"])
    # The request's subject named in the instruction: a capitalised name (inside a sentence) the
    # request holds too.
    named = (
        cand.select(
            "run_id",
            "step",
            "_task",
            text.str.extract_all(_FACT_NAME).list.eval(pl.element().str.slice(2)).alias("_name"),
        )
        .explode("_name")
        .drop_nulls("_name")
        .filter(pl.col("_task").str.contains(pl.col("_name"), literal=True))
        .select("run_id", "step")
        .unique()
        .with_columns(_subject=pl.lit(True))
    )
    cand = cand.join(named, on=["run_id", "step"], how="left").with_columns(
        pl.col("_subject").fill_null(False)
    )
    cand = cand.with_columns(_year_off=_outside(cand, _years(text), _years(task)))
    wrong_year = pl.col("_year_off") & pl.col("_current")
    # Another kind of day than the request's: the request asks about a weekday (or a Sunday) and the
    # instruction names only a Saturday (a timetable's services differ by kind of day).
    said_days, asked_days = _day_kinds(text), _day_kinds(task)
    wrong_day = (
        pl.col("_current")
        & (said_days.list.len() > 0)
        & (asked_days.list.len() > 0)
        & (said_days.list.set_intersection(asked_days).list.len() == 0)
    )
    fams = list(_STATISTICS.items())

    def part_of_task(family: str) -> pl.Expr:
        # the request's statistic is computed through this one (a mean through a sum)
        return pl.any_horizontal(
            pl.lit(False),
            *(task.str.contains(_STATISTICS[w]) for w, parts in _STATISTIC_PARTS.items() if family in parts),
        )

    other_stat = pl.any_horizontal(
        text.str.contains(p) & ~task.str.contains(p) & ~part_of_task(f) for f, p in fams
    )
    lost_stat = pl.any_horizontal(task.str.contains(p) & ~text.str.contains(p) for _, p in fams)
    wrong_stat = other_stat & lost_stat & pl.col("_current")
    # A request about an attached file sent to the web: as the run's first instruction while the
    # team's FileSurfer was not asked yet; or, once the team was stuck on the file (the ledger that
    # wrote it judged no progress), an instruction handing the request's subject to the web surfer:
    # another source stood in for the file the request is about. A first instruction before the last
    # replan counts only when no step of the run ever asked the FileSurfer: the replan kept the file
    # on the web, so the first routing was never undone.
    never_filed = pl.col("_fs") == (1 << 40)
    to_web = (
        task.str.contains(_ATTACHED)
        & (pl.col("handoff_to") == _WEB_AGENT).fill_null(False)
        & pl.col("_team")
        & (
            (
                (pl.col("step") == pl.col("_first"))
                & (pl.col("_fs") > pl.col("step"))
                & (pl.col("_current") | never_filed)
            )
            | (pl.col("_stuck") & pl.col("_subject") & pl.col("_current"))
        )
    )
    why = (
        pl.when(wrong_year)
        .then(pl.lit("names another year than the request"))
        .when(wrong_stat)
        .then(pl.lit("asks for another statistic than the request"))
        .when(wrong_day)
        .then(pl.lit("names another kind of day than the request"))
        .otherwise(pl.lit("sends a request about an attached file to the web"))
    )
    hits = (
        cand.filter(wrong_year | wrong_stat | wrong_day | to_web)
        .with_columns(_why=why, _to_web=to_web & ~wrong_year & ~wrong_stat & ~wrong_day)
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    return _at_ledger(_planned_for_web(hits, s), "instruction_contradicts_task")


def _planned_for_web(hits: pl.DataFrame, s: pl.DataFrame) -> pl.DataFrame:
    """``hits`` with the attached-file-to-the-web ones (``_to_web``) moved to the plan that already
    gave the work to the web surfer: the plan in force (the latest "Initial plan:" / task ledger before
    the instruction) whose bullets (``_PLAN_SECTION``: "Here is the plan to follow as best as
    possible:") name the WebSurfer and not the FileSurfer. ORCHESTRATOR_SYNTHESIZE_PROMPT (agentchat:
    ORCHESTRATOR_TASK_LEDGER_FULL_PROMPT) writes that plan, and each ledger's instruction follows it:
    the plan is the first place the decision appears. A plan naming no worker, or the FileSurfer
    too, left the choice to the ledger, which stays blamed."""
    plans = s.filter(pl.col("plan_msg")).select(
        "run_id",
        pl.col("step").alias("_plan_at"),
        pl.col("output").fill_null("").str.extract(_PLAN_SECTION, 1).fill_null("").alias("_bullets"),
    )
    if plans.height == 0 or not bool(hits.get_column("_to_web").any()):
        return hits.drop("_to_web")
    planned = (
        hits.filter(pl.col("_to_web"))
        .select("run_id", "step")
        .join(plans, on="run_id")
        .filter(pl.col("_plan_at") < pl.col("step"))
        .sort("run_id", "_plan_at")
        .unique("run_id", keep="last")
        .filter(
            pl.col("_bullets").str.contains(_WEB_AGENT, literal=True)
            & ~pl.col("_bullets").str.contains(_FILE_AGENT, literal=True)
        )
        .select("run_id", "_plan_at")
    )
    return (
        hits.join(planned, on="run_id", how="left")
        .with_columns(
            _ledger_at=pl.coalesce("_plan_at", "_ledger_at"),
            _why=pl.when(pl.col("_plan_at").is_not_null())
            .then(pl.format("{}, as the plan (step {}) gave it the work", pl.col("_why"), pl.col("_plan_at")))
            .otherwise(pl.col("_why")),
        )
        .drop("_plan_at", "_to_web")
    )


def _source_contradicts_task(s: pl.DataFrame) -> pl.DataFrame:
    """A worker's observation (a surfer's page or file view) that names only years the request does
    not, while the request names one, and whose figures a later step used (a number of three digits
    or more from it, not a year, appears again in a later step that is not a page view): the team
    took its data from a source for another period. The observing step is blamed."""
    obs = s.filter(pl.col("worker") & pl.col("observation") & ~pl.col("is_tool"))
    if obs.height == 0:
        return _pick(_no_rows(s), "source_contradicts_task", 5)
    task = _task(s)
    cand = obs.join(task, on="run_id")
    cand = cand.filter(_outside(cand, _years(pl.col("output")), _years(pl.col("_task"))))
    if cand.height == 0:
        return _pick(_no_rows(s), "source_contradicts_task", 5)
    figures = (
        cand.select(
            "run_id",
            pl.col("step").alias("_obs"),
            pl.col("output").fill_null("").str.extract_all(_FACT_NUMBER).alias("_n"),
            _years(pl.col("output")).alias("_y"),
        )
        .explode("_n")
        .drop_nulls("_n")
        .filter(~pl.col("_y").list.contains(pl.col("_n")))
        .select("run_id", "_obs", "_n")
        .unique()
    )
    # Used: stated again by a step that is not itself a page view (code, a worker's or the
    # orchestrator's words, the answer); figures of three digits or more (a view's boilerplate, such
    # as "The viewport shows 38% of the webpage", repeats on every page).
    figures = figures.filter(pl.col("_n").str.replace_all(r"\D", "").str.len_chars() >= 3)
    later = (
        s.join(cand.select("run_id").unique(), on="run_id", how="semi")
        .filter(~pl.col("observation"))
        .select("run_id", "step", pl.col("output").fill_null("").str.extract_all(_FACT_NUMBER).alias("_n"))
        .explode("_n")
        .drop_nulls("_n")
        .unique()
    )
    used = (
        figures.join(later, on=["run_id", "_n"])
        .filter(pl.col("step") > pl.col("_obs"))
        .select("run_id", pl.col("_obs").alias("step"))
        .unique()
    )
    # Or used whole: a file the FileSurfer chose itself (its view's address names the other year)
    # that later code read by its path; the script's figures are computed, not copied from the view.
    used = pl.concat([used, read_by_later_code(s, surfer_chosen_files(cand))]).unique()
    hits = (
        cand.join(used, on=["run_id", "step"], how="semi")
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    return _blame_row(
        hits,
        "source_contradicts_task",
        5,
        pl.format(
            "step {}: {} read a source for another year than the request names, and the team used its figures",
            pl.col("step"),
            pl.col("agent"),
        ),
    )


#: An AG2 CaptainAgent nested chat's first message: the request ("# General Task") and the
#: manager's restatement of it ("## Task description" under "# Task and suggestions from manager"),
#: the template of autogen agentchat/contrib/captainagent (seek_experts_help's task and suggestions).
_GENERAL_TASK = r"(?s)# General Task\s*\n(.*?)\n# Task and suggestions from manager"
_TASK_DESCRIPTION = r"(?s)# Task and suggestions from manager\s*\n## Task description\s*\n(.*?)(?:\n##|$)"


def _task_unasked_figures(s: pl.DataFrame) -> pl.DataFrame:
    """The run's first message restates the request as the manager's task description, and that
    description states a figure (a number of two digits or more, commas dropped) the request does
    not: a premise ("verify the highest price, which was found to be $5,200,000") the team was
    handed as given, to confirm rather than to find. Step 0's owner is blamed: the manager's premise
    is in the task statement, as a Magentic-One plan's invented given is in the plan
    (plan_unbacked_fact). A description that only restates the request's figures is none."""
    text = pl.col("output").fill_null("")

    def figures(part: pl.Expr) -> pl.Expr:
        # A path or URL's digits (an attachment's id, a page's) are no figure: such words are dropped.
        words = part.str.replace_all(r"\S*[/\\]\S*", "")
        return words.str.extract_all(_FACT_NUMBER).list.eval(
            pl.element().str.replace_all(",", "", literal=True)
        )

    first = (
        s.filter((pl.col("step") == 0) & text.str.contains("# General Task", literal=True))
        .with_columns(
            _asked=figures(text.str.extract(_GENERAL_TASK, 1).fill_null("")),
            _told=figures(text.str.extract(_TASK_DESCRIPTION, 1).fill_null("")),
        )
        .with_columns(_new=pl.col("_told").list.set_difference("_asked"))
        .filter(pl.col("_new").list.len() > 0)
    )
    return _blame_row(
        first,
        "task_unasked_figure",
        4,
        pl.format(
            "step 0: the manager's task description given to {} states {} that the request does not",
            pl.col("owner_agent"),
            pl.col("_new").list.join(", "),
        ),
        agent="owner_agent",
    )


#: A figure in an instruction that is no fact of its own: a year (the year rules read those) or a
#: power of ten (a page count, a percentage).
_NO_FIGURE = r"^(?:(?:19|20)\d\d|10*)$"


def _instruction_unbacked_figures(s: pl.DataFrame) -> pl.DataFrame:
    """The first orchestrator instruction (after the last replan) that hands a worker a figure (two
    digits or more, not a year) that neither the request nor any earlier message of the team held
    (the plan's included; the ledgers', which write the instruction, not; a URL's digits are no
    figure; nor a search results page, once a worker had gone on from it: the snippet was passed over),
    and that later code used: the orchestrator mis-copied or invented the figure the worker then
    computed with
    (``LedgerOrchestrator`` writes the ``instruction_or_question``, the Coder's code takes it as given:
    autogen_magentic_one/agents/orchestrator.py, coder.py). The ledger that wrote it is blamed."""
    told = _told(s)
    if told.height == 0:
        return _pick(_no_rows(s), "instruction_unbacked_figure", 4)

    def figures(frame: pl.DataFrame) -> pl.DataFrame:
        # Two digits or more (a single digit is a count of steps, a rounding's places), by value.
        return (
            _numbers(frame)
            .filter(pl.col("_n").str.contains(r"\d\D*\d"))
            .with_columns(_v=pl.col("_n").cast(pl.Float64, strict=False))
            .drop_nulls("_v")
        )

    # A URL's digits are an address, not a figure handed to compute with.
    bare = told.with_columns(pl.col("output").fill_null("").str.replace_all(r"\S+://\S+", " "))
    handed = figures(bare).filter(~pl.col("_n").str.contains(_NO_FIGURE))
    if handed.height == 0:
        return _pick(_no_rows(s), "instruction_unbacked_figure", 4)
    runs = handed.select("run_id").unique()
    team = s.join(runs, on="run_id", how="semi")
    handed = handed.join(_restated_date_parts(bare, team), on=["run_id", "step", "_n"], how="anti")
    # A search engine's results page lists a figure among other snippets (MultimodalWebSurfer's
    # web_search opens https://www.bing.com/search?q=...): handing it on is taking it up as the
    # latest finding, but not once a worker has since gone on to another step (the surfer opened
    # the source and read it): a snippet handed on over that reading was mis-copied.
    listed = _page_url().fill_null("").str.contains(_SEARCH_PAGE)
    said = (
        figures(team.filter(~pl.col("meta") | (pl.col("step") == 0)))
        .join(team.select("run_id", "step", _listed=listed), on=["run_id", "step"])
        .select("run_id", pl.col("step").alias("_at"), "_v", "_listed")
    )
    last_worker = (
        told.select("run_id", "step")
        .join(team.filter(pl.col("worker")).select("run_id", pl.col("step").alias("_w")), on="run_id")
        .filter(pl.col("_w") < pl.col("step"))
        .group_by("run_id", "step")
        .agg(pl.col("_w").max().alias("_last"))
    )
    held = (
        handed.join(said, on=["run_id", "_v"])
        .join(last_worker, on=["run_id", "step"], how="left")
        .filter((pl.col("_at") < pl.col("step")) & (~pl.col("_listed") | (pl.col("_at") == pl.col("_last"))))
        .select("run_id", "step", "_v")
    )
    # The code may write a percentage the instruction handed ("at an annual rate of 4.14%") as the
    # fraction it computes with (annual_rate = 0.0414): that is the same figure, used.
    code = figures(team.filter(pl.col("worker") & pl.col("has_code"))).select(
        "run_id", pl.col("step").alias("_u"), "_v"
    )
    as_fraction = code.with_columns((pl.col("_v") * 100).round(9).alias("_v"))
    used = (
        pl.concat(
            [
                handed.join(code, on=["run_id", "_v"]),
                _percents(handed, bare)
                .with_columns(pl.col("_v").round(9))
                .join(as_fraction, on=["run_id", "_v"]),
            ],
            how="diagonal",
        )
        .filter(pl.col("_u") > pl.col("step"))
        .select("run_id", "step", pl.col("_n").cast(pl.Float64, strict=False).alias("_v"))
    )
    ledger_at = (
        pl.when(pl.col("ledger_progress").is_not_null()).then(pl.col("step")).forward_fill().over("_rk")
    )
    marks = s.join(runs, on="run_id", how="semi").select("run_id", "step", ledger_at.alias("_ledger_at"))
    hits = (
        handed.join(held, on=["run_id", "step", "_v"], how="anti")
        .join(used.unique(), on=["run_id", "step", "_v"], how="semi")
        .join(told.select("run_id", "step", "agent", "handoff_to"), on=["run_id", "step"])
        .join(marks, on=["run_id", "step"], how="left")
        .sort("run_id", "step", "_n")
        .unique("run_id", keep="first")
    )
    why = pl.format(
        "hands it {}, which neither the request nor any earlier message held; {}'s code then used it",
        pl.col("_n"),
        pl.col("handoff_to"),
    )
    return _at_ledger(hits.with_columns(_why=why), "instruction_unbacked_figure")


def _percents(handed: pl.DataFrame, told: pl.DataFrame) -> pl.DataFrame:
    """``handed``'s rows whose instruction (``told``'s text) writes the figure as a percentage
    ("4.14%", "4.14 percent")."""
    pattern = pl.lit(r"(?:^|[^\d.])") + pl.col("_n").str.replace_all(".", r"\.", literal=True) + pl.lit(
        r"\s*(?:%|percent\b)"
    )
    return (
        handed.join(told.select("run_id", "step", pl.col("output").fill_null("").alias("_text")), on=["run_id", "step"])
        .filter(pl.col("_text").str.contains(pattern))
        .drop("_text")
    )


#: A date written in numbers: 1941-12-22, 22.12.1941, 12/22/1941.
_NUMERIC_DATE = r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b"


def _restated_date_parts(told: pl.DataFrame, team: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step, _n``: the numbers of each date an instruction (``told``) writes in numbers
    ("born 1941-12-22") that restates a date the request or a worker wrote with its month's name
    ("22 December 1941"): the month's 12 is no figure the orchestrator invented; the ledger writes
    the instruction from the transcript in the form the code needs. A date nobody named stays figures."""
    said = team.filter(~pl.col("meta") | (pl.col("step") == 0))
    named = restated_dates(said, pl.col("output"))
    if named.height == 0:
        return told.head(0).select("run_id", "step", pl.lit("").alias("_n"))
    dates = (
        told.select("run_id", "step", pl.col("output").fill_null("").str.extract_all(_NUMERIC_DATE).alias("output"))
        .explode("output")
        .drop_nulls("output")
        .with_columns(_n=pl.col("output").str.replace_all(r"[^\d.]", ""))
        .join(named, on=["run_id", "_n"], how="semi")
        .drop("_n")
    )
    return _numbers(dates).select("run_id", "step", "_n").unique()


def _at_ledger(hits: pl.DataFrame, rule: str) -> pl.DataFrame:
    """An instruction rule's rows (``agent``, ``step``, ``handoff_to``, ``_ledger_at``, ``_why``): the
    ledger that wrote the instruction is blamed (else the message), with ``_why`` as the evidence."""
    return _blame_row(
        hits,
        rule,
        4,
        pl.format(
            "step {}: {}'s instruction to {} (step {}) {}",
            pl.coalesce("_ledger_at", "step"),
            pl.col("agent"),
            pl.col("handoff_to"),
            pl.col("step"),
            pl.col("_why"),
        ),
        step=pl.coalesce("_ledger_at", "step"),
    )
