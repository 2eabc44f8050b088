"""A value written in another notation is the same value: the forms the answer rules read as held.

A Magentic-One answer is written afresh by ``_prepare_final_answer`` from the whole conversation
(``ORCHESTRATOR_GET_FINAL_ANSWER``, autogen-magentic-one ``agents/orchestrator_prompts.py``: "Based on
the information gathered, provide the final answer to the original request."), in the form the
request asks: a date a page printed as "June 20, 2025" comes back as "2025-06-20" for a request that
asks for YYYY-MM-DD. Its figures 2025 and 20 were held; its month 06 was held as the month's name. ``month_numbers`` gives, for a step's text, the number of each
month named next to a day ("June 20", "20 June", "Jun. 20th"), so a restated date is not read as a
figure the answer composed. A capitalised month name without a day next to it ("in May") is not a
date and gives nothing.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: Month names (full or the usual three or four letters), capitalised as a date writes them.
_MONTH_WORDS: Final = {
    "January": 1, "February": 2, "March": 3, "April": 4, "May": 5, "June": 6, "July": 7,
    "August": 8, "September": 9, "October": 10, "November": 11, "December": 12,
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Sept": 9,
    "Oct": 10, "Nov": 11, "Dec": 12,
}  # fmt: skip
_MONTH = "(?:" + "|".join(sorted(_MONTH_WORDS, key=len, reverse=True)) + r")\b\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?\b"
#: A month named next to a day: "June 20", "Jun. 20th", "20 June" (the month word is the capture).
_DATED_MONTH: Final = rf"\b({_MONTH})\s+{_DAY}|\b{_DAY}\s+(?:of\s+)?({_MONTH})"


def month_numbers(text: pl.Expr) -> pl.Expr:
    """The numbers (as strings: "6") of the months ``text`` names next to a day, a list per row."""
    word = pl.coalesce(
        pl.element().str.extract(_DATED_MONTH, 1), pl.element().str.extract(_DATED_MONTH, 2)
    ).str.strip_chars_end(".")
    return text.str.extract_all(_DATED_MONTH).list.eval(
        word.replace_strict(_MONTH_WORDS, default=None, return_dtype=pl.Int64).cast(pl.String)
    )
