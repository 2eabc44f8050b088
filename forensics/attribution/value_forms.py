"""A value written in another notation is the same value: the forms the answer rules read as held.

A Magentic-One answer is written afresh by ``_prepare_final_answer`` from the whole conversation
(``ORCHESTRATOR_GET_FINAL_ANSWER``, autogen-magentic-one ``agents/orchestrator_prompts.py``: "Based on
the information gathered, provide the final answer to the original request."), in the form the
request asks: a date a page printed as "June 20, 2025" comes back as "2025-06-20" for a request that
asks for YYYY-MM-DD. Its figures 2025 and 20 were held; its month 06 was held as the month's name. ``month_numbers`` gives, for a step's text, the number of each
month named next to a day ("June 20", "20 June", "Jun. 20th"), so a restated date is not read as a
figure the answer composed. A capitalised month name without a day next to it ("in May") is not a
date and gives nothing.

A plan restates the request's quantities in the unit its steps compute with (``ORCHESTRATOR_SYNTHESIZE_PROMPT``'s
fact sheet and plan: "a 45-minute break" is 0.75 h in "length / 3.2 + 0.75"; a time of "1:05.00" is
65.00 s): ``restated_figures`` gives, for a text, the figures it holds and their restatements in another
unit of time or of ten's powers, and the length of each month it names ("the daily mean for August
2023" is a mean over 31 days), so such a figure is not read as one the plan invented. A plan also
writes the request's date in the numbers a form or a timetable takes ("Saturday 14 September 2024"
searched "on 14.09.2024"): ``restated_dates`` gives those numeric forms of each date the request names
with its month's name.

The final answer also rounds a figure a worker read to the precision the request asks ("Round to one
decimal place": a page's 122.3874 days comes back as "about 122.4"): ``roundings`` finds, for stated
figures, the earlier figures they round, so the rounded figure is traced to the step that held it
and its "about" is read as the rounding's, not as a value nobody established.
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

#: How a held figure is rounded to the precision a stated figure has: halves away from zero, the
#: rounding a request means ("to the nearest whole point", "halves rounded up"). Polars' default
#: (and Python's ``round()``) rounds halves to even: a Coder's ``round(234.5)`` prints 234, which is
#: not the held 234.5 rounded as asked but a new figure its code computed, traced to that code.
ROUNDING_MODE: Final = "half_away_from_zero"


def month_numbers(text: pl.Expr) -> pl.Expr:
    """The numbers (as strings: "6") of the months ``text`` names next to a day, a list per row."""
    word = pl.coalesce(
        pl.element().str.extract(_DATED_MONTH, 1), pl.element().str.extract(_DATED_MONTH, 2)
    ).str.strip_chars_end(".")
    return text.str.extract_all(_DATED_MONTH).list.eval(
        word.replace_strict(_MONTH_WORDS, default=None, return_dtype=pl.Int64).cast(pl.String)
    )


#: A year next to a dated month ("14 September 2024", "September 14, 2024").
_DATED_YEAR: Final = rf"(?:{_DATED_MONTH})\s*,?\s*((?:19|20)\d\d)\b"


def _named_dates(frame: pl.DataFrame, text: pl.Expr) -> pl.DataFrame:
    """``frame``'s other columns, ``_d`` (the date as written), ``_m``, ``_day`` (ints) and ``_y`` (a
    string): each date ``text`` writes with its month's name, one row each."""
    whole = text.fill_null("").str.extract_all(_DATED_YEAR)
    return (
        frame.with_columns(whole.alias("_d"))
        .explode("_d")
        .drop_nulls("_d")
        .with_columns(
            _m=month_numbers(pl.col("_d")).list.first().cast(pl.Int64),
            _day=pl.col("_d").str.extract(r"\b(\d{1,2})(?:st|nd|rd|th)?\b(?:\s|,|$)", 1).cast(pl.Int64),
            _y=pl.col("_d").str.extract(r"((?:19|20)\d\d)\b", 1),
        )
        .drop_nulls(["_m", "_day", "_y"])
    )


def iso_dates(frame: pl.DataFrame, text: pl.Expr) -> pl.DataFrame:
    """``frame``'s other columns and ``_iso``: each date ``text`` writes with its month's name ("1 July
    2022") or as year-month-day ("2022-07-01"), as ``YYYY-MM-DD`` (which sorts as the dates do)."""
    named = _named_dates(frame, text).select(
        pl.exclude("_d", "_m", "_day", "_y"),
        pl.concat_str(
            pl.col("_y"),
            pl.lit("-"),
            pl.col("_m").cast(pl.String).str.zfill(2),
            pl.lit("-"),
            pl.col("_day").cast(pl.String).str.zfill(2),
        ).alias("_iso"),
    )
    written = (
        # "_" joins words, not digits: a date inside a file name (export_2023-01-01_2023-12-31.xlsx) is one.
        frame.with_columns(
            text.fill_null("")
            .str.replace_all("_", " ", literal=True)
            .str.extract_all(r"\b(?:19|20)\d\d-[01]\d-[0-3]\d\b")
            .alias("_iso")
        )
        .explode("_iso")
        .drop_nulls("_iso")
    )
    return pl.concat([named, written.select(named.columns)], how="vertical")


def restated_dates(frame: pl.DataFrame, text: pl.Expr) -> pl.DataFrame:
    """``run_id, _n``: the numeric forms of each date ``text`` writes with its month's name ("14
    September 2024"): day.month.year, day/month/year, month/day/year (two-digit month and day or
    not) and year-month-day, as the text of a number the rules extract ("14.09.2024")."""
    dates = _named_dates(frame, text)
    two = pl.col("_day").cast(pl.String).str.zfill(2), pl.col("_m").cast(pl.String).str.zfill(2)
    one = pl.col("_day").cast(pl.String), pl.col("_m").cast(pl.String)
    forms = [
        pl.concat_str(d, pl.lit(sep), m, pl.lit(sep), pl.col("_y"))
        for d, m in (two, one)
        for sep in (".", "/")
    ] + [pl.concat_str(m, pl.lit("/"), d, pl.lit("/"), pl.col("_y")) for d, m in (two, one)]
    forms.append(pl.concat_str(pl.col("_y"), pl.lit("-"), two[1], pl.lit("-"), two[0]))
    return (
        dates.select("run_id", pl.concat_list(forms).alias("_n"))
        .explode("_n")
        .with_columns(pl.col("_n").str.replace_all(r"[^\d.]", ""))
        .unique()
    )


#: Unit factors a quantity is restated by: time (seconds, minutes, hours, days, weeks) and ten's powers.
_UNIT_FACTORS: Final = (
    60.0, 1 / 60, 3600.0, 1 / 3600, 24.0, 1 / 24, 1440.0, 1 / 1440, 7.0, 1 / 7,
    10.0, 0.1, 100.0, 0.01, 1000.0, 0.001,
)  # fmt: skip
#: A number with an ordinal suffix ("10th", "3rd"): it names that number.
_ORDINAL = r"\b(\d+)(?:st|nd|rd|th)\b"
#: A time written with a colon ("1:05.00", "2:30"): minutes and seconds (or hours and minutes).
_CLOCK = r"\b(\d{1,2}):([0-5]\d(?:\.\d+)?)\b"


#: The days of each month (February: both a common and a leap year's): a request naming the month
#: ("the mean of August 2023's daily counts") gives its length; a plan stating "31 days" restates it.
_MONTH_DAYS: Final = {
    "January": "31", "February": "28,29", "March": "31", "April": "30", "May": "31", "June": "30",
    "July": "31", "August": "31", "September": "30", "October": "31", "November": "30", "December": "31",
}  # fmt: skip


def _month_lengths(src: pl.Expr) -> pl.Expr:
    """The day counts (as strings) of each month ``src`` names (capitalised, in full), a list per row."""
    months = r"\b(" + "|".join(_MONTH_DAYS) + r")\b"
    return (
        src.str.extract_all(months)
        .list.eval(
            pl.element().replace_strict(_MONTH_DAYS, default=None, return_dtype=pl.String).str.split(",")
        )
        .list.eval(pl.element().explode())
    )


#: A strict bound a request states ("first lit earlier than 1850", "weighing more than 20 kg"): the
#: number after a word that excludes it. A plan's fact sheet restates it as the inclusive bound next to
#: it ("1849 or earlier", "21 kg or more"): ``_BELOW`` bounds give n - 1, ``_ABOVE`` bounds n + 1.
_BELOW = r"(?i)\b(?:earlier than|before|prior to|less than|fewer than|under|below)\s+(\d+)\b"
_ABOVE = r"(?i)\b(?:later than|after|more than|greater than|over|above|exceeding)\s+(\d+)\b"


def _inclusive_bounds(src: pl.Expr) -> pl.Expr:
    """The inclusive neighbours (as strings) of the strict bounds ``src`` states, a list per row."""

    def shifted(pattern: str, by: int) -> pl.Expr:
        return src.str.extract_all(pattern).list.eval(
            (pl.element().str.extract(pattern, 1).cast(pl.Int64, strict=False) + by).cast(pl.String)
        )

    return shifted(_BELOW, -1).list.concat(shifted(_ABOVE, 1))


def restated_figures(frame: pl.DataFrame, text: pl.Expr) -> pl.DataFrame:
    """``run_id, _v``: the values (floats) ``text`` holds per row of ``frame`` (a ``run_id`` column):
    its plain numbers, the day counts of the months it names ("August": 31, ``_MONTH_DAYS``), its
    ordinals' numbers ("10th": 10), its colon times as one unit ("1:05.00": 65.0), the inclusive
    neighbour of each strict bound ("earlier than 1850": 1849, ``_inclusive_bounds``), and each of
    them times every ``_UNIT_FACTORS`` factor."""
    src = text.fill_null("")
    plain = (
        src.str.replace_all(",", "")
        .str.extract_all(r"\d+(?:\.\d+)?")
        .list.concat(_month_lengths(src))
        .list.concat(_inclusive_bounds(src))
    )
    ordinal = src.str.extract_all(_ORDINAL).list.eval(pl.element().str.extract(r"(\d+)", 1))
    clock = src.str.extract_all(_CLOCK).list.eval(
        (
            pl.element().str.extract(_CLOCK, 1).cast(pl.Float64) * 60
            + pl.element().str.extract(_CLOCK, 2).cast(pl.Float64)
        ).cast(pl.String)
    )
    values = (
        frame.select("run_id", plain.list.concat(ordinal).list.concat(clock).alias("_v"))
        .explode("_v")
        .drop_nulls("_v")
        .select("run_id", pl.col("_v").cast(pl.Float64, strict=False))
        .drop_nulls("_v")
        .unique()
    )
    factors = pl.DataFrame({"_f": [1.0, *_UNIT_FACTORS]})
    return (
        values.join(factors, how="cross").select("run_id", (pl.col("_v") * pl.col("_f")).alias("_v")).unique()
    )


def is_restated(figures: pl.DataFrame, restated: pl.DataFrame) -> pl.DataFrame:
    """``figures`` (``run_id``, ``_n``: a number as text) joined with ``_restated``: whether ``_n`` is
    one of ``restated``'s values (within a relative 1e-9)."""
    keyed = figures.with_row_index("_ri").with_columns(_x=pl.col("_n").cast(pl.Float64, strict=False))
    hit = (
        keyed.drop_nulls("_x")
        .join(restated, on="run_id")
        .filter((pl.col("_x") - pl.col("_v")).abs() <= 1e-9 * pl.col("_x").abs().clip(lower_bound=1.0))
        .select("_ri")
        .unique()
        .with_columns(_restated=pl.lit(True))
    )
    return (
        keyed.join(hit, on="_ri", how="left")
        .with_columns(pl.col("_restated").fill_null(False))
        .drop("_ri", "_x")
    )


def _decimal_pairs(stated: pl.DataFrame, held: pl.DataFrame, when: pl.Expr) -> pl.DataFrame:
    """``stated`` (``run_id``, ``_n``, ...) joined with ``held`` (``run_id``, ``step``, ``_n``) where
    ``when`` holds over ``_v``/``_d`` (the stated value and its decimals) and ``_x``/``_xd`` (the held)."""
    places = pl.col("_n").str.extract(r"\.(\d+)$", 1).str.len_chars().fill_null(0)
    figures = stated.with_columns(_d=places, _v=pl.col("_n").cast(pl.Float64, strict=False)).drop_nulls("_v")
    other = held.select(
        "run_id",
        "step",
        pl.col("_n").cast(pl.Float64, strict=False).alias("_x"),
        places.alias("_xd"),
    ).drop_nulls("_x")
    return figures.join(other, on="run_id").filter(when).drop("_d", "_v", "_x", "_xd")


def roundings(stated: pl.DataFrame, held: pl.DataFrame) -> pl.DataFrame:
    """``stated`` (``run_id``, ``_n`` and any other columns) joined with the rows of ``held``
    (``run_id``, ``step``, ``_n``: figures steps held) whose figure ``stated``'s rounds: it has more
    decimals than the stated figure and rounds to it at the stated figure's decimals (27844.1 to 27844,
    122.3874 to 122.4). A figure held as it is stated is no rounding of it."""
    scale = 10.0 ** pl.col("_d")
    return _decimal_pairs(
        stated,
        held,
        (pl.col("_xd") > pl.col("_d"))
        & (((pl.col("_x") * scale).round(0, mode=ROUNDING_MODE) / scale - pl.col("_v")).abs() < 1e-9),
    )


#: A request asking to round to a power of ten ("Round to the nearest 1000 hours", "to the nearest
#: thousand"): group 1 the power, in digits or in words.
_TENS_ASKED = r"(?i)\bnearest\s+(10+|1,000(?:,000)?|ten|hundred|thousand|million)\b"
_TENS_WORDS: Final = {"ten": 10.0, "hundred": 100.0, "thousand": 1e3, "million": 1e6}


def tens_asked(s: pl.DataFrame) -> pl.DataFrame:
    """``run_id, _p``: the power of ten the request (step 0) asks its answer rounded to (``_TENS_ASKED``)."""
    asked = (
        pl.col("output").fill_null("").str.extract(_TENS_ASKED, 1).str.to_lowercase().str.replace_all(",", "")
    )
    return (
        s.filter(pl.col("step") == 0)
        .select(
            "run_id",
            pl.coalesce(
                asked.replace_strict(_TENS_WORDS, default=None, return_dtype=pl.Float64),
                asked.cast(pl.Float64, strict=False),
            ).alias("_p"),
        )
        .drop_nulls("_p")
    )


def tens_roundings(stated: pl.DataFrame, held: pl.DataFrame, asked: pl.DataFrame) -> pl.DataFrame:
    """``stated`` (``run_id``, ``_n`` and any other columns) joined with the rows of ``held``
    (``run_id``, ``step``, ``_n``) whose figure ``stated``'s rounds to the power of ten the request
    asks (``asked``: ``run_id, _p``; "Round to the nearest 1000 hours": 27439.3 to 27000). A figure
    held as it is stated is no rounding of it; only a run whose request asks such a rounding has any."""
    return (
        stated.with_columns(_v=pl.col("_n").cast(pl.Float64, strict=False))
        .drop_nulls("_v")
        .join(asked, on="run_id")
        .join(
            held.select("run_id", "step", pl.col("_n").cast(pl.Float64, strict=False).alias("_x")).drop_nulls(
                "_x"
            ),
            on="run_id",
        )
        .filter(
            (pl.col("_x") != pl.col("_v"))
            & (
                (
                    (pl.col("_x") / pl.col("_p")).round(0, mode=ROUNDING_MODE) * pl.col("_p") - pl.col("_v")
                ).abs()
                < 1e-6
            )
        )
        .drop("_v", "_p", "_x")
    )


#: The units of ten's powers a figure is restated in ("27 thousand" for 27,000; 0.45 as 45 %).
_TEN_POWERS: Final = (1e-6, 1e-3, 1e-2, 1e-1, 10.0, 100.0, 1e3, 1e6)


def restated_in_units(stated: pl.DataFrame, hits: pl.DataFrame) -> pl.DataFrame:
    """``run_id, _n``: the figures of ``stated`` that restate a figure of ``hits`` (``run_id, _n``: a
    figure held, or stated beside it) in another unit of ten's powers: "27,000 hours (27 thousand
    hours)" for a request asking "how many thousand hours". The answer wrote the held figure in the
    request's unit; it composed nothing."""
    held = (
        hits.select("run_id", pl.col("_n").cast(pl.Float64, strict=False).alias("_h")).drop_nulls().unique()
    )
    units = pl.DataFrame({"_u": list(_TEN_POWERS)})
    return (
        stated.select("run_id", "_n", pl.col("_n").cast(pl.Float64, strict=False).alias("_v"))
        .drop_nulls("_v")
        .join(held, on="run_id")
        .join(units, how="cross")
        .filter(
            (pl.col("_v") - pl.col("_h") * pl.col("_u")).abs()
            <= 1e-9 * pl.col("_v").abs().clip(lower_bound=1.0)
        )
        .select("run_id", "_n")
        .unique()
    )


def zero_padded(stated: pl.DataFrame, held: pl.DataFrame) -> pl.DataFrame:
    """``stated`` (``run_id``, ``_n`` and any other columns) joined with the rows of ``held``
    (``run_id``, ``step``, ``_n``) whose figure ``stated``'s writes with trailing zeros: the same value
    with fewer decimals (1.1 for 1.10). Python prints a float without them (``print(round(x, 2))``
    shows 1.1), and the answer writes the figure to the decimals the request asks ("Round to two
    decimal places": 1.10): the padded figure is held where the plain one was."""
    return _decimal_pairs(
        stated, held, (pl.col("_xd") < pl.col("_d")) & ((pl.col("_x") - pl.col("_v")).abs() < 1e-9)
    )
