"""``source_contradicts_task`` for a file named for its period: a FileSurfer's view of a file whose
name states a date range ("pos_export_2023-01-01_2023-12-31.xlsx", an export's usual name) that does
not cover the date range the request states ("from 1 July 2022 to 30 June 2023"), a file the surfer
chose itself (no instruction or request named its path), whose data later code read (the code names
the file): the team took its figures from a source for another period (see
:mod:`forensics.attribution`; the years-only form is ``instruction_rules._source_contradicts_task``).

Magentic-One's FileSurfer opens the path its model chose (autogen-magentic-one
``agents/file_surfer/file_surfer.py`` ``open_local_file``; autogen-ext ``_file_surfer.py``
``open_path``) and answers with the markdown browser's view headed by that path; the Coder's script
then reads the file by its path (``agents/coder.py``).
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import _no_rows, _pick
from forensics.attribution.steps import _FILE_VIEW, _FILE_VIEW_PREFIXES
from forensics.attribution.value_forms import iso_dates


def _ranges(frame: pl.DataFrame, text: pl.Expr, lo: str, hi: str) -> pl.DataFrame:
    """``run_id, step, lo, hi``: the first and last date ``text`` states, for rows stating two or more."""
    return (
        iso_dates(frame.select("run_id", "step", text.alias("_t")), pl.col("_t"))
        .group_by("run_id", "step")
        .agg(pl.col("_iso").min().alias(lo), pl.col("_iso").max().alias(hi), pl.col("_iso").n_unique().alias("_k"))
        .filter(pl.col("_k") >= 2)
        .drop("_k")
    )


def read_by_later_code(s: pl.DataFrame, views: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step`` of the ``views`` (file views with their ``_file`` name) whose file a later
    worker's code names: the Coder's script reads the file by its path (``agents/coder.py``)."""
    code = s.filter(pl.col("worker") & pl.col("has_code")).select("run_id", pl.col("step").alias("_c"), "output")
    return (
        views.select("run_id", "step", "_file")
        .join(code, on="run_id")
        .filter((pl.col("_c") > pl.col("step")) & pl.col("output").fill_null("").str.contains(pl.col("_file"), literal=True))
        .select("run_id", "step")
        .unique()
    )


def surfer_chosen_files(views: pl.DataFrame) -> pl.DataFrame:
    """The FileSurfer views among ``views`` of a file the surfer chose itself (no instruction or
    request named its path: not ``instructed``), with the path (``_path``) and file name (``_file``)."""
    text = pl.col("output").fill_null("")
    return (
        views.filter(
            pl.col("worker")
            & ~pl.col("instructed")
            & pl.any_horizontal(text.str.starts_with(p) for p in _FILE_VIEW_PREFIXES)
        )
        .with_columns(_path=text.str.extract(_FILE_VIEW, 1))
        .filter(pl.col("_path").is_not_null())
        .with_columns(_file=pl.col("_path").str.extract(r"([^/]+)$", 1))
    )


def _source_period(s: pl.DataFrame) -> pl.DataFrame:
    """The first FileSurfer view, chosen by the surfer (not ``instructed``), of a file whose name
    states a date range that does not cover the request's, whose file later code named: that view."""
    text = pl.col("output").fill_null("")
    named = surfer_chosen_files(s)
    if named.height == 0:
        return _pick(_no_rows(s), "source_contradicts_task", 5)
    asked = _ranges(s.filter(pl.col("step") == 0), text, "_alo", "_ahi").drop("step")
    period = _ranges(named, pl.col("_file"), "_flo", "_fhi")
    other = (
        named.join(period, on=["run_id", "step"])
        .join(asked, on="run_id")
        .filter((pl.col("_flo") > pl.col("_alo")) | (pl.col("_fhi") < pl.col("_ahi")))
    )
    if other.height == 0:
        return _pick(_no_rows(s), "source_contradicts_task", 5)
    used = read_by_later_code(s, other)
    hits = other.join(used, on=["run_id", "step"], how="semi").sort("run_id", "step").unique("run_id", keep="first")
    return _pick(
        hits.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} opened {}, a file for {} to {}, which does not cover the request's {} to {}; "
                "later code read it",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_file"),
                pl.col("_flo"),
                pl.col("_fhi"),
                pl.col("_alo"),
                pl.col("_ahi"),
            ),
        ),
        "source_contradicts_task",
        5,
    )
