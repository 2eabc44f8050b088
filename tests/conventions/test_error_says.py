"""conventions.registry.error_says: an error type or message matched, read on the spans that carry one."""

from __future__ import annotations

import polars as pl

from forensics.conventions.registry import error_says


def test_error_says_reads_the_type_and_the_message_with_their_own_patterns() -> None:
    spans = pl.DataFrame(
        {
            "error_type": ["pydantic_ai.exceptions.ToolRetryError", None, None, "ValueError", "ToolRetryError"],
            "error_message": [None, "ToolRetryError: bad args", None, "saw ToolRetryError", None],
        },
        schema={"error_type": pl.String, "error_message": pl.String},
    )
    said = spans.select(error_says(r"(?:^|[.:])ToolRetryError$", r"^\s*ToolRetryError\b")).to_series()
    # Fires on the type (qualified or bare) and on a message that starts with it; near misses: no
    # error at all is false, not null, and a message that only mentions it is read with the
    # message's own pattern, so it does not match.
    assert said.to_list() == [True, True, False, False, True]
    # One pattern for both.
    assert spans.select(error_says("ToolRetryError")).to_series().to_list() == [True, True, False, True, True]
