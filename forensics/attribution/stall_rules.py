"""Attribution rules for a Magentic-One team that stopped making progress: ``orchestrator_stall`` (see
:mod:`forensics.attribution`): where a stall the ledgers report began, and who began it.
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import _no_rows, _page_url, _pick
from forensics.attribution.ledger_rules import _judged

#: A web surfer's action on a named target (MultimodalWebSurfer's "I typed 'X' into 'Y'.", "I typed 'X'
#: into the browser search bar.", "I clicked 'X'."), not a scroll or a wait.
_TARGETED_ACT = r"^I (?:typed|clicked|selected|hovered over) '"


#: A web surfer's search (MultimodalWebSurfer's "I typed 'Q' into '0 characters out of 2000'." in the
#: search box, or "I typed 'Q' into the browser search bar."; not the address bar, a visit): group 1 the query.
_TYPED_SEARCH = r"^I typed '(.+?)' into (?:'[^'\n]*'|the browser search bar)\."

#: A FileSurfer view of a local file that does not exist (RequestsMarkdownBrowser: "Address:
#: file:///p" then, after the header, "## Error 404" and "File not found: /p"): group 1 the path.
_MISSING_FILE = r"(?s)^Address: file://(/\S+)\n.*\bFile not found: "


def _episode_starts(s: pl.DataFrame) -> pl.DataFrame:
    """``run_id, j_at, ep_step, ep_agent``: for each worker step, the first step of its episode: the
    unbroken run of that worker's outputs (no other worker between) on the same page (a web
    surfer's screenshot URL; none for other workers), with that first step's owner (a terminal's
    run is its code's author at the code)."""
    w = s.filter(pl.col("worker")).select(
        "_rk",
        "run_id",
        "step",
        "agent",
        _page_url().alias("url"),
        "owner_step",
        "owner_agent",
        "instructed",
        pl.col("output").fill_null("").str.split("\n").list.first().alias("_act"),
    )
    brk = (pl.col("agent") != pl.col("agent").shift(1).over("_rk")).fill_null(True) | (
        pl.col("url").fill_null("") != pl.col("url").shift(1).over("_rk").fill_null("")
    )
    start = pl.when(brk).then(pl.col("step")).forward_fill().over("_rk")
    w = w.with_columns(_start=start)
    # An episode opened by a click or visit the orchestrator asked for (``instructed``) put the
    # surfer where it was told to be: its first own action there (the episode's next step, when that
    # is another action: the same click again is the instruction retried) is blamed.
    second = (
        w.filter(pl.col("step") > pl.col("_start"))
        .sort("run_id", "step")
        .group_by("run_id", "_start")
        .agg(pl.col("step").first().alias("_next"), pl.col("_act").first().alias("_act2"))
    )
    opened_as_told = w.filter(pl.col("instructed") & (pl.col("step") == pl.col("_start"))).select(
        "run_id", "_start", "_act"
    )
    moved = (
        opened_as_told.join(second, on=["run_id", "_start"])
        .filter(pl.col("_act2") != pl.col("_act"))
        .select("run_id", "_start", "_next")
    )
    w = w.join(moved, on=["run_id", "_start"], how="left").with_columns(_start=pl.coalesce("_next", "_start"))
    owners = w.select("run_id", pl.col("step").alias("_start"), "owner_step", "owner_agent")
    return (
        w.select("run_id", pl.col("step").alias("j_at"), "_start")
        .join(owners, on=["run_id", "_start"], how="left")
        .select(
            "run_id", "j_at", pl.col("owner_step").alias("ep_step"), pl.col("owner_agent").alias("ep_agent")
        )
    )


def _stalls(s: pl.DataFrame) -> pl.DataFrame:
    """The stall the run never got out of: in a run whose last ledger says it is in a loop or not
    progressing, the first ledger of that final streak (after the last ledger reporting progress and
    the last replan). A stall followed by progress or a replan was recovered from. The worker it
    judged got stuck in an episode (its unbroken outputs on one page): the episode's first step, the
    action that put it there, is blamed."""
    if s.get_column("ledger_progress").null_count() == s.height:
        return _pick(_no_rows(s), "orchestrator_stall", 0)  # no ledger at all
    judged = _judged(s).with_columns(
        _stalled=pl.col("ledger_in_loop").fill_null(False) | (pl.col("ledger_progress") == False),  # noqa: E712
    )
    last = (
        judged.sort("run_id", "step")
        .group_by("run_id", maintain_order=True)
        .agg(
            pl.col("_stalled").last().alias("_ends_stalled"),
            pl.col("ledger_satisfied").fill_null(False).last().alias("_ends_satisfied"),
            pl.when(~pl.col("_stalled")).then(pl.col("step")).max().fill_null(-1).alias("_last_ok"),
        )
    )
    streak = (
        judged.join(last, on="run_id")
        .filter(
            pl.col("_ends_stalled")
            & ~pl.col("_ends_satisfied")
            & pl.col("_stalled")
            & (pl.col("step") > pl.col("_last_ok"))
            & (pl.col("step") > pl.col("last_replan"))
            & pl.col("j_step").is_not_null()
        )
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    streak_runs = streak.select("run_id")
    stuck = s.join(streak_runs, on="run_id", how="semi")
    streak = streak.join(_episode_starts(stuck), on=["run_id", "j_at"], how="left")
    # The action the worker got stuck on, done word for word on the same page before (before the
    # last replan too: the replan reset the team's history, not what the worker does there): the
    # stall began at its first time. Only a targeted action (MultimodalWebSurfer's "I typed 'X' into
    # 'Y'." / "I clicked 'X'."): a scroll repeats by nature.
    acts = (
        stuck.filter(pl.col("worker") & pl.col("observation"))
        .select(
            "run_id",
            "step",
            "agent",
            _page_url().alias("_url"),
            pl.col("output").fill_null("").str.split("\n").list.first().alias("_act"),
        )
        .filter(pl.col("_act").str.contains(_TARGETED_ACT))
        .with_columns(_first=pl.col("step").min().over("run_id", "agent", "_url", "_act"))
        .filter(pl.col("_first") < pl.col("step"))
        .select("run_id", pl.col("step").alias("ep_step"), "_first")
    )
    streak = (
        streak.join(acts, on=["run_id", "ep_step"], how="left")
        .with_columns(ep_step=pl.coalesce("_first", "ep_step"))
        .drop("_first")
    )
    streak = _scrolled_as_told(stuck, streak)
    what = (
        pl.when(pl.col("ledger_in_loop").fill_null(False))
        .then(pl.lit("in a loop"))
        .otherwise(pl.lit("not making progress"))
    )
    since = (
        pl.when(pl.col("ep_agent").fill_null(pl.col("j_agent")) != pl.col("j_agent"))
        .then(
            pl.format(", which did as the instruction the ledger at step {} wrote told it", pl.col("ep_step"))
        )
        .when(pl.col("ep_step").fill_null(pl.col("j_step")) != pl.col("j_step"))
        .then(pl.format(", stuck since its step {} on the same page", pl.col("ep_step")))
        .otherwise(pl.lit(""))
    )
    return _pick(
        streak.with_columns(
            decisive_agent=pl.coalesce("ep_agent", "j_agent"),
            decisive_step=pl.coalesce("ep_step", "j_step"),
            attribution_evidence=pl.format(
                "step {}: the orchestrator's ledger says the run is {} and it never recovered, judging {}'s step {}{}",
                pl.col("step"),
                what,
                pl.col("j_agent"),
                pl.col("j_at"),
                since,
            ),
        ),
        "orchestrator_stall",
        0,
    )


def _scrolled_as_told(stuck: pl.DataFrame, streak: pl.DataFrame) -> pl.DataFrame:
    """A stall that began with what the orchestrator's latest instruction to the worker told it to do:
    a scroll it asked for (the ``Orchestrator (-> X)`` says "scroll", the surfer's action is "I
    scrolled ..."), a search whose query it quoted word for word ("Please search for 'Q'", the
    surfer's "I typed 'Q' into '...'.": ``_TYPED_SEARCH``) when the stalled ledger judged that search
    itself (a surfer that went on acting on the results page made of it its own), or a file it named by its path that does not exist (the FileSurfer's view of that
    address is RequestsMarkdownBrowser's "Error 404": "Address: file:///p" ... "File not found: /p",
    autogen_magentic_one/agents/file_surfer/file_surfer.py, markdown_browser): the worker did as it
    was told, so the stall began with the instruction: the ledger that wrote it (its
    ``instruction_or_question``) is blamed, as for an instruction that contradicts the task."""
    text = pl.col("output").fill_null("")
    told = stuck.filter(
        (pl.col("kind") == "handoff")
        & (
            text.str.contains(r"(?i)\bscroll")
            | text.str.contains("/", literal=True)
            | text.str.contains(r"['\"\u2018\u201c]")
        )
    ).select(
        "run_id", pl.col("step").alias("_h"), pl.col("handoff_to").alias("ep_agent"), text.alias("_said")
    )
    if told.height == 0:
        return streak
    missing = pl.col("_act").str.extract(_MISSING_FILE, 1)
    query = pl.col("_act").str.extract(_TYPED_SEARCH, 1)
    # A dictated search only while the stalled ledger judged that search itself: a surfer that stayed
    # on the results page and acted there (scrolled past the result it needed) made of it its own.
    searched = query.is_not_null() & (pl.col("j_at") == pl.col("ep_step"))
    scrolled = (
        streak.select("run_id", "ep_step", "ep_agent", "j_at")
        .join(
            stuck.select("run_id", pl.col("step").alias("ep_step"), text.alias("_act")),
            on=["run_id", "ep_step"],
        )
        .filter(pl.col("_act").str.starts_with("I scrolled ") | missing.is_not_null() | searched)
        .select("run_id", "ep_step", "ep_agent", missing.alias("_path"), query.str.to_lowercase().alias("_query"))
    )
    # The last handoff to that surfer before its scroll (any handoff, to see it was the latest).
    handoffs = stuck.filter(pl.col("kind") == "handoff").select(
        "run_id", pl.col("step").alias("_h"), pl.col("handoff_to").alias("ep_agent")
    )
    latest = (
        scrolled.join(handoffs, on=["run_id", "ep_agent"])
        .filter(pl.col("_h") < pl.col("ep_step"))
        .sort("run_id", "_h")
        .unique("run_id", keep="last")
        .join(told, on=["run_id", "_h", "ep_agent"])
        .with_columns(_said_lc=pl.col("_said").str.to_lowercase().str.replace_all(r"[\u2018\u2019\u201c\u201d]", "'"))
        .filter(
            pl.when(pl.col("_path").is_not_null())
            .then(pl.col("_said").str.contains(pl.col("_path"), literal=True))
            # The query typed is the one the instruction quoted, word for word: the search was its choice.
            .when(pl.col("_query").is_not_null())
            .then(
                pl.col("_said_lc").str.contains("'" + pl.col("_query") + "'", literal=True)
                | pl.col("_said_lc").str.contains('"' + pl.col("_query") + '"', literal=True)
            )
            .otherwise(pl.col("_said").str.contains(r"(?i)\bscroll"))
        )
    )
    ledgers = stuck.filter(pl.col("ledger_progress").is_not_null()).select(
        "run_id", pl.col("step").alias("_l"), pl.col("agent").alias("_la")
    )
    writer = (
        latest.join(ledgers, on="run_id")
        .filter(pl.col("_l") < pl.col("_h"))
        .sort("run_id", "_l")
        .unique("run_id", keep="last")
        .select("run_id", "_l", "_la")
    )
    return (
        streak.join(writer, on="run_id", how="left")
        .with_columns(
            ep_step=pl.coalesce("_l", "ep_step"),
            ep_agent=pl.when(pl.col("_l").is_not_null()).then(pl.col("_la")).otherwise(pl.col("ep_agent")),
        )
        .drop("_l", "_la")
    )
