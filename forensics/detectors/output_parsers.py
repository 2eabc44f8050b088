"""A LangChain output parser that could not read the model's answer is a failed model step."""

from __future__ import annotations

import polars as pl


def parse_failure() -> pl.Expr:
    """A LangChain output parser that could not read the model's answer (OutputParserException,
    langchain_core/exceptions.py; troubleshooting OUTPUT_PARSING_FAILURE), where it was raised (not
    the chains it travelled up through): the model step's result was unusable, a failed call of that
    step whatever kind its span has (a parser run, a chain). LangChain's ways on from it are a retry
    (RetryOutputParser, with_retry) or a fixing parser (OutputFixingParser), read as any call's are."""
    raised = pl.col("error_type").str.contains(r"(?:^|\.)OutputParserException$").fill_null(False)
    return raised & ~pl.col("has_failed_child").fill_null(False)
