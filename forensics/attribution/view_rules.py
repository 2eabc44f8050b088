"""``partial_file_view``: a FileSurfer's view of one page of a longer file, whose figures the team then
computed with as if they were the whole file (see :mod:`forensics.attribution`).

Magentic-One's FileSurfer answers with the markdown browser's viewport, headed by where it is
(autogen-magentic-one ``agents/file_surfer/file_surfer.py``: "Address: file://...", "Viewport
position: Showing page i of n."; autogen-ext ``_file_surfer.py`` the same header): a file longer than
one viewport shows page 1 of n until the surfer pages on (``page_down``). The Coder then writes the
script the orchestrator's instruction spells out from what the team has seen (``agents/coder.py``):
a script that holds the view's figures as literals, and reads no file itself, computed over page i
alone. The view is blamed: the rest of the file never entered the run.
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import _no_rows, _numbers, _pick
from forensics.attribution.steps import _FILE_VIEW, _FILE_VIEW_PREFIXES

#: The FileSurfer's viewport header: group 1 the page shown, group 2 the file's pages.
_VIEWPORT_PAGE = r"Viewport position: Showing page (\d+) of (\d+)\."
#: Code that reads data itself (a file, a URL, a frame): it saw more than the view showed.
_READS = r"\bopen\(|\bread_\w+\(|\.read\(|\burlopen\(|\brequests\.get\(|\bload_workbook\(|\bPdfReader\("
#: The fewest of the view's figures the script must hold as literals to have been written from it.
PARTIAL_MIN_FIGURES = 4


def _partial_file_view(s: pl.DataFrame) -> pl.DataFrame:
    """The first FileSurfer view showing page i of n (i < n) of a file no later view of the run showed
    again (the surfer never paged on), after which the next worker message is code of another agent
    that reads no file itself and holds at least ``PARTIAL_MIN_FIGURES`` literal figures, every one of
    them a figure of that view: the script computed over one page as if it were the file."""
    text = pl.col("output").fill_null("")
    views = s.filter(pl.col("worker") & pl.any_horizontal(text.str.starts_with(p) for p in _FILE_VIEW_PREFIXES))
    if views.height == 0:
        return _pick(_no_rows(s), "partial_file_view", 5)
    views = views.with_columns(
        _path=text.str.extract(_FILE_VIEW, 1),
        _page=text.str.extract(_VIEWPORT_PAGE, 1).cast(pl.Int64, strict=False),
        _pages=text.str.extract(_VIEWPORT_PAGE, 2).cast(pl.Int64, strict=False),
    ).drop_nulls(["_path", "_page", "_pages"])
    # A file shown again later (paged on, or opened afresh) was read further.
    again = views.select("run_id", "_path", pl.col("step").alias("_later"))
    partial = (
        views.filter(pl.col("_page") < pl.col("_pages"))
        .join(again, on=["run_id", "_path"], how="left")
        .group_by("run_id", "step", "agent", "_path", "_page", "_pages")
        .agg((pl.col("_later") > pl.col("step")).any().alias("_again"))
        .filter(~pl.col("_again"))
    )
    if partial.height == 0:
        return _pick(_no_rows(s), "partial_file_view", 5)
    # The next worker message after the view.
    workers = s.filter(pl.col("worker")).select(
        "run_id", pl.col("step").alias("_c"), pl.col("agent").alias("_author"), "has_code", "output"
    )
    following = (
        partial.join(workers, on="run_id")
        .filter(pl.col("_c") > pl.col("step"))
        .sort("run_id", "step", "_c")
        .unique(["run_id", "step"], keep="first")
        .filter(
            pl.col("has_code")
            & (pl.col("_author") != pl.col("agent"))
            & ~pl.col("output").fill_null("").str.contains(_READS)
        )
    )
    if following.height == 0:
        return _pick(_no_rows(s), "partial_file_view", 5)
    literals = _numbers(following.select("run_id", pl.col("_c").alias("step"), "output"))
    shown = _numbers(s.join(following.select("run_id", "step"), on=["run_id", "step"]))
    counted = (
        literals.join(
            shown.select("run_id", "_n", pl.lit(True).alias("_shown")).unique(), on=["run_id", "_n"], how="left"
        )
        .group_by("run_id", pl.col("step").alias("_c"))
        .agg(pl.len().alias("_k"), pl.col("_shown").fill_null(False).all().alias("_all"))
        .filter(pl.col("_all") & (pl.col("_k") >= PARTIAL_MIN_FIGURES))
    )
    hits = (
        following.join(counted.select("run_id", "_c"), on=["run_id", "_c"], how="semi")
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    return _pick(
        hits.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} showed page {} of {} of {} and never paged on; {}'s code (step {}) computed "
                "over that page's figures alone",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_page"),
                pl.col("_pages"),
                pl.col("_path"),
                pl.col("_author"),
                pl.col("_c"),
            ),
        ),
        "partial_file_view",
        5,
    )
