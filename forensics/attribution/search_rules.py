"""``unrefined_search``: a Magentic-One web surfer that answered instruction after instruction with the
same search (see :mod:`forensics.attribution`).

The MultimodalWebSurfer's ``web_search`` tool types the query the model chose into the search box and
reports "I typed 'Q' into '...'." (autogen-magentic-one ``agents/multimodal_web_surfer/
multimodal_web_surfer.py``; autogen-ext's ``_multimodal_web_surfer.py`` "I typed 'Q' into the browser
search bar."): the query is the surfer's, the instruction only asks. Each round the orchestrator
writes a new ``instruction_or_question`` (``Orchestrator (-> WebSurfer)``; agentchat: its instruction
message), so a surfer that types the same query for every new request never refined its search.
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import _blame_row, _no_rows, _pick
from forensics.attribution.stall_rules import _TYPED_SEARCH

#: How many different instructions a surfer answered with one query before that query is its loop:
#: one retry is fair (the ledger may rephrase a request the search already answered), three is not.
UNREFINED_MIN_INSTRUCTIONS = 3


def _unrefined_searches(s: pl.DataFrame) -> pl.DataFrame:
    """The first time a surfer typed a query (``_TYPED_SEARCH``) that it then typed again, word for
    word, in answer to ``UNREFINED_MIN_INSTRUCTIONS`` or more different instructions, none of which
    quoted that query (a dictated query is the orchestrator's choice: stall_rules). The instruction a
    step answers is the orchestrator's latest message before it (a handoff, or agentchat's instruction
    message; not a plan, a ledger or a note), across a replan too: the replan reset the histories,
    and the surfer typed the same query again. The first typing is blamed: the search the run's pages
    came from, never refined."""
    text = pl.col("output").fill_null("")
    typed = text.str.starts_with("I typed '")
    if not bool(s.select(typed.any()).item()):
        return _pick(_no_rows(s), "unrefined_search", 3)
    instruction = (pl.col("kind") == "handoff").fill_null(False) | (
        pl.col("orchestrator") & ~pl.col("plan_msg") & ~pl.col("meta") & ~pl.col("final_msg")
    )
    marked = s.with_columns(
        _told=pl.when(instruction).then(text).forward_fill().over("_rk"),
        _query=pl.when(typed).then(text.str.extract(_TYPED_SEARCH, 1)),
    )
    searches = marked.filter(pl.col("worker") & pl.col("_query").is_not_null() & pl.col("_told").is_not_null())
    unasked = searches.filter(
        ~pl.col("_told").str.to_lowercase().str.contains(pl.col("_query").str.to_lowercase(), literal=True)
    )
    loops = (
        unasked.group_by("run_id", "agent", "_query")
        .agg(pl.col("_told").n_unique().alias("_asks"), pl.col("step").min().alias("_first"), pl.len().alias("_times"))
        .filter(pl.col("_asks") >= UNREFINED_MIN_INSTRUCTIONS)
        .sort("run_id", "_first")
        .unique("run_id", keep="first")
    )
    return _blame_row(
        loops,
        "unrefined_search",
        3,
        pl.format(
            "step {}: {} typed '{}', and typed it again word for word for {} different instructions ({} times in all): its search was never refined",
            pl.col("_first"),
            pl.col("agent"),
            pl.col("_query"),
            pl.col("_asks"),
            pl.col("_times"),
        ),
        step="_first",
    )
