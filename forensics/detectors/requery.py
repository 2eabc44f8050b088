"""context_collapse: the same search asked again in new words, and the same results each time.

``repeated_action`` finds a query re-sent as it was (re-cased, re-punctuated, re-ordered: the
same letters). An agent that lost its thread also asks the question it has already asked in other
words: open_deep_research's ``web_search`` (``scripts/text_web_browser.py``,
``SearchInformationTool``; smolagents' ``DuckDuckGoSearchTool``/``GoogleSearchTool``,
``src/smolagents/default_tools.py``) echoes the query in its header ("Address: google: <query>",
"A Google search for '<query>' found N results") and then lists the results as links. When three
differently worded searches come back with the very same links, in the same order, the rewording
brought nothing new and the agent went on asking: the results it already had were not taken in.
Reworded, not another question: each query shares at least half of its words (of the shorter
one, three letters or more) with the first; a stub search that answers different questions with
one page is not one question asked again.

What the results are is read from their links (the addresses in the output, in order): the echo
of the query differs from call to call, the result list does not. A search that found nothing
(no link) is no result list: trying other words after an empty search is the way
out of it, not a loop.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.agent_runs import managed_run_of
from forensics.detectors.base import Context, Detector, finding, hms, txt
from forensics.detectors.context_collapse import RESULT_LINK as _LINK
from forensics.detectors.context_collapse import SEARCH_TOOL as _SEARCH_TOOL
from forensics.detectors.registry import register
from forensics.detectors.tool_calls import tool_calls


@register
class RequerySameResults(Detector):
    name = "requery_same_results"
    failure_class = "context_collapse"
    scope = "run"
    severity = "medium"
    strength = "weak"
    description = (
        "The same agent ran a search tool repeat_count+ times with differently worded queries (each "
        "sharing at least half its words with the first; not the same normalised arguments: that is "
        "repeated_action's) and got the very same result list each "
        "time (the same links, in the same order; a search that found nothing is not a result list): the rewording brought nothing "
        "new and the agent kept asking. Within one agent run: each call of a managed agent starts afresh, and "
        "its searches in several delegated runs are its manager's asking again."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        n = ctx.policy.repeat_count
        searches = (
            tool_calls(ctx)
            .lazy()
            .filter(pl.col("succeeded") & pl.col("call").str.contains(_SEARCH_TOOL).fill_null(False))
            # Within one memory, as repeated_action (managed_run_of): each call of a managed agent
            # starts afresh, and the same search in several delegations is its manager's asking
            # again (repeated_delegation, repeated_sub_agent_calls), not a thread the delegate lost.
            # (Only searches made at least twice by one agent can repeat: those are looked up.)
            .filter(pl.len().over("run_key", "agent", "call") >= 2)
            .pipe(lambda rows: managed_run_of(ctx, rows))
            .filter(pl.col("search_query").is_not_null())
            .filter(pl.col("output").is_not_null() & ~pl.col("error_shaped"))
            .with_columns(pl.col("output").str.extract_all(_LINK).alias("links"))
            .filter(pl.col("links").list.len() >= 1)
            .with_columns(pl.col("links").list.join("\n").alias("result_key"))
        )
        key = ["run_key", "memory", "agent", "call", "result_key"]
        # Reworded: each query shares at least half of its words (the shorter query's) with the
        # first query of the series; different questions that a stub search answers alike are not
        # one question asked again.
        # The query's words as the tool was given them (conventions.search: ``args`` has no spacing).
        words = pl.col("search_query").str.extract_all(r"\w{3,}").list.unique()
        first_words = pl.col("words").sort_by("seq").first().over(key)
        reworded = (
            searches.with_columns(words.alias("words"))
            .filter(pl.col("words").list.len() > 0)
            .with_columns(first_words.alias("first_words"))
            .filter(pl.col("words").list.set_intersection(pl.col("first_words")).list.len()
                    >= 0.5 * pl.min_horizontal(pl.col("words").list.len(), pl.col("first_words").list.len()))
            .drop("first_words")
        )
        per_group = (
            reworded.sort("run_key", "seq")
            .group_by(key)
            .agg(
                pl.col("run_id").first(),
                pl.col("span_id").alias("ids"),
                pl.col("seq").first().alias("first_seq"),
                pl.col("t").first(),
                pl.col("t").last().alias("last_t"),
                pl.col("call_args").n_unique().alias("wordings"),
                pl.col("links").first().list.len().alias("n_links"),
                pl.len().alias("n"),
            )
            .filter((pl.col("n") >= n) & (pl.col("wordings") >= 2))
        )
        per_run = (
            per_group.sort("run_key", "first_seq")
            .group_by("run_key")
            .agg(pl.all().first())
        )
        return per_run.select(
            finding(
                "run_id",
                pl.col("ids"),
                # The first re-worded search, which ignored the first one's results (docs/DETECTORS.md,
                # "Which span is decisive": a loop's first repeat).
                pl.col("ids").list.get(1, null_on_oob=True),
                pl.format(
                    "agent {} ran {} {} times from {} to {} in {} different wordings and got the same {} results "
                    "each time: the rewording brought nothing new",
                    txt(pl.col("agent"), "(no agent)"),
                    txt(pl.col("call")),
                    pl.col("n"),
                    hms("t"),
                    hms("last_t"),
                    pl.col("wordings"),
                    pl.col("n_links"),
                ),
            )
        )
