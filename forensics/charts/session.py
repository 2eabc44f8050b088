"""``session_chart``: the runs of one session on one time axis, so restarts show.

One bar per run (in start order, one row each), coloured by its outcome: the primary failure class
when classified runs are given, else what the spans say (error, never ended, ok). Every run after
the first is a restart: a dashed rule marks where it began and the gap before it is shaded.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from forensics.charts._frames import as_frame, inline, plural
from forensics.errors import InputError


def session_chart(spans: Any, session_id: str, runs: Any = None, *, width: int = 900) -> alt.LayerChart:
    """The runs of session ``session_id`` on one UTC time axis, restarts marked."""
    frame = as_frame(spans, "spans", ("run_id", "session_id", "start_time", "end_time", "status"))
    mine = frame.filter(pl.col("session_id") == session_id)
    if mine.height == 0:
        known = frame.get_column("session_id").drop_nulls().unique(maintain_order=True).head(5).to_list()
        raise InputError(
            f"session `{session_id}` has no spans in the table",
            hint=f"pass a session id from the table, e.g. {', '.join(f'`{s}`' for s in known) or 'none: no span names a session'}.",
        )
    per_run = (
        mine.group_by("run_id")
        .agg(
            start=pl.col("start_time").min(),
            last=pl.max_horizontal(pl.col("start_time").max(), pl.col("end_time").max()),
            open=pl.col("end_time").null_count() > 0,
            errors=(pl.col("status") == "error").sum(),
            spans=pl.len(),
        )
        .sort("start")
        .with_row_index("n", offset=1)
        .with_columns(
            outcome=pl.when(pl.col("open")).then(pl.lit("never ended"))
            .when(pl.col("errors") > 0).then(pl.lit("error"))
            .otherwise(pl.lit("ok"))
        )  # fmt: skip
    )
    if runs is not None:
        classified = as_frame(runs, "runs", ("run_id", "primary_class")).select("run_id", "primary_class")
        per_run = per_run.join(classified, on="run_id", how="left").with_columns(
            outcome=pl.coalesce("primary_class", pl.when(pl.col("outcome") == "ok").then(pl.col("outcome")), "outcome")
        ).drop("primary_class")
    per_run = per_run.with_columns(
        row=pl.format("#{} {}", pl.col("n"), pl.col("run_id").str.slice(0, 16)),
        prev_end=pl.col("last").shift(1),
        restart=pl.col("n") > 1,
    )
    # A run of seconds in a session of hours is narrower than a pixel: draw every run at least
    # 0.5% of the axis wide so it shows (the tooltip keeps its true last activity).
    sliver = (per_run.get_column("last").max() - per_run.get_column("start").min()) * 0.005  # type: ignore[operator]
    per_run = per_run.with_columns(drawn_end=pl.max_horizontal("last", pl.col("start") + sliver))
    order = per_run.get_column("row").to_list()
    base = alt.Chart(inline(per_run.drop("prev_end")))
    x = alt.X("start:T", scale=alt.Scale(type="utc"), title="time (UTC)")
    bars = base.mark_bar(height={"band": 0.7}).encode(
        x=x,
        x2="drawn_end:T",
        y=alt.Y("row:N", sort=order, title=None),
        color=alt.Color("outcome:N", title="outcome"),
        tooltip=["run_id:N", "outcome:N", "spans:Q", "errors:Q", "open:N",
                 alt.Tooltip("start:T", format="%Y-%m-%d %H:%M:%S"),
                 alt.Tooltip("last:T", title="last activity")],  # fmt: skip
    )
    gaps = per_run.filter(pl.col("restart") & pl.col("prev_end").is_not_null() & (pl.col("prev_end") < pl.col("start")))
    layers: list[alt.Chart] = []
    if gaps.height:
        layers.append(
            alt.Chart(inline(gaps.select("prev_end", "start", "run_id")))
            .mark_rect(color="#7f7f7f", opacity=0.15)
            .encode(x=alt.X("prev_end:T", scale=alt.Scale(type="utc")), x2="start:T",
                    tooltip=[alt.Tooltip("run_id:N", title="gap before restart")])  # fmt: skip
        )
    layers.append(bars)
    restarts = base.transform_filter("datum.restart").mark_rule(strokeDash=[4, 3], color="#333").encode(
        x=x, tooltip=[alt.Tooltip("row:N", title="restart")]
    )
    layers.append(restarts)
    chart = alt.LayerChart(layer=layers)
    return chart.properties(
        width=width,
        height=max(60, 22 * len(order)),
        title=alt.TitleParams(f"Session {session_id}", subtitle=[f"{plural(len(order), 'run')} · {plural(len(order) - 1, 'restart')}"],
                              anchor="start"),
        usermeta={"forensics": {"chart": "session", "session_id": session_id}},
    )
