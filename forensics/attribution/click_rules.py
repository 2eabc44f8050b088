"""Attribution rule over a web surfer's click: ``clicked_another_period`` (see
:mod:`forensics.attribution`).

autogen-magentic-one's MultimodalWebSurfer reports a click by the target's accessible name, "I
clicked '<aria name>'." (``agents/multimodal_web_surfer/multimodal_web_surfer.py`` ``_execute_tool``,
``click``): on a MediaWiki history page a revision's link is named by its timestamp ("14:02, 3 March
2024"), on an archive by its date. A click whose target names only years that neither the
instruction it answered nor the request names, while both name one, took the worker to a source for
another period than the one it was sent to: the click is blamed, ahead of where a figure of that
page was later traced (the figures may be read right; the page was the wrong one).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.attribution.common import _blame_row, _no_rows, _pick, _years
from forensics.attribution.instruction_rules import _outside, _task, _told

#: The surfer's click report: the target's accessible name.
_CLICKED: Final = r"^\s*I clicked '([^'\n]+)'\."


def _clicked_another_period(s: pl.DataFrame) -> pl.DataFrame:
    text = pl.col("output").fill_null("")
    clicks = s.filter(pl.col("worker") & text.str.contains(_CLICKED)).select(
        "run_id", "step", "agent", _years(text.str.extract(_CLICKED, 1)).alias("_cy")
    )
    clicks = clicks.filter(pl.col("_cy").list.len() > 0)
    if clicks.height == 0:
        return _pick(_no_rows(s), "clicked_another_period", 5)
    told = _told(s).select(
        "run_id", pl.col("handoff_to").alias("agent"), pl.col("step").alias("_i"), _years(text).alias("_iy")
    )
    latest = (
        clicks.join(told, on=["run_id", "agent"])
        .filter(pl.col("_i") < pl.col("step"))
        .sort("run_id", "step", "_i")
        .unique(["run_id", "step"], keep="last")
        .join(_task(s), on="run_id")
        .with_columns(_ty=_years(pl.col("_task")))
    )
    if latest.height == 0:
        return _pick(_no_rows(s), "clicked_another_period", 5)
    # Outside the request's years (and any span it names) and naming none of the instruction's,
    # which names one.
    hits = latest.filter(
        _outside(latest, pl.col("_cy"), pl.col("_ty"))
        & (pl.col("_iy").list.len() > 0)
        & (pl.col("_cy").list.set_intersection(pl.col("_iy")).list.len() == 0)
    )
    hits = hits.sort("run_id", "step").unique("run_id", keep="first")
    return _blame_row(
        hits,
        "clicked_another_period",
        5,
        pl.format(
            "step {}: {} clicked a target dated {} while the instruction at step {} and the request name {}",
            pl.col("step"),
            pl.col("agent"),
            pl.col("_cy").list.join(", "),
            pl.col("_i"),
            pl.col("_iy").list.join(", "),
        ),
    )
