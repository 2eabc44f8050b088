"""Search queries: the words a search tool was asked, kept for the rules that compare them.

``prepare`` keeps a tool's arguments without their whitespace (``args``: the same call re-serialised
is the same call), which joins the words of a query together. A search tool's query is the one
argument whose words matter to a rule (``requery_same_results``: the same question asked in other
words), so it is read here, before the raw input is dropped: smolagents' search tools and
open_deep_research's text browser take it as ``query`` (``src/smolagents/default_tools.py``:
``DuckDuckGoSearchTool``, ``GoogleSearchTool``, ``inputs = {"query": ...}``;
``examples/open_deep_research/scripts/text_web_browser.py``: ``SearchInformationTool``, ``query``
and ``filter_year``); the OpenInference instrumentation writes the call's bound arguments as the
tool span's ``input.value`` (``{"args": [...], "kwargs": {"query": ...}}``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, on_rows, published, register

#: The query argument's text, JSON-escaped characters and all (``\u00f8`` stays as written: the
#: words of two queries are compared with each other, escaped alike).
_QUERY: Final = rf"{Q}(?:query|search_query|search_term|q){Q}\s*:\s*{Q}((?:[^\"\\]|\\[^\"])*)"


def _extract() -> list[pl.Expr]:
    # Only tool spans' inputs are read (taken out first: on_rows evaluates its mask twice, and a
    # literal scan in it read every span's input twice), and of those only the ones naming a query
    # go through the regex (extract skips the nulls).
    query = on_rows(
        pl.col("kind") == "tool",
        pl.col("input"),
        lambda e: pl.when(e.str.contains("query", literal=True)).then(e).str.extract(_QUERY, 1).str.to_lowercase(),
    )
    return [query.alias("_cv_search_query")]


register(
    Convention(
        name="search",
        signals=(
            Signal(
                "a search tool's query argument ({\"query\": ...} in the tool span's input)",
                "smolagents, open_deep_research (OpenInference instrumentation)",
                "src/smolagents/default_tools.py (DuckDuckGoSearchTool, GoogleSearchTool: inputs query); "
                "examples/open_deep_research/scripts/text_web_browser.py (SearchInformationTool: query, filter_year); "
                "openinference-instrumentation-smolagents _wrappers.py (_ToolCallWrapper: input.value)",
                "search_query (lower-cased, words kept apart)",
            ),
        ),
        extract=_extract,
        status=published("_cv_search_query", "search_query"),
        columns={"search_query": "the query a search tool was given, lower-cased with its spacing (tools only), else null"},
    )
)
