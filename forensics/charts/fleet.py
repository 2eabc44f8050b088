"""Fleet charts for the nightly view: which classes, when, in which agents and tools, by which detectors.

Every aggregation is a polars group-by; the charts receive a few hundred rows at most whatever the
number of runs.
"""

from __future__ import annotations

from typing import Any, Final

import altair as alt
import polars as pl

from forensics.charts._frames import as_frame, inline
from forensics.hints import counted_findings
from forensics.schema import SEVERITIES

OK_CLASS = "ok"

#: One colour per class in every fleet chart, so a class looks the same across charts and nights;
#: clean runs are a quiet grey (a red "ok" reads as failure in a review).
CLASS_COLORS: dict[str, str] = {
    "context_collapse": "#4c78a8",
    "ownership_gap": "#b279a2",
    "missing_fallback": "#f58518",
    "silent_failure": "#e45756",
    "runaway_cost": "#9d755d",
    "unguarded_action": "#7b1f1f",
    OK_CLASS: "#c7c7c7",
}


def class_color(title: str, *, with_ok: bool, present: list[str] | None = None) -> alt.Color:
    """The class colour scale; ``present`` limits the legend to the classes drawn (a legend entry
    with no bar is a question a reviewer cannot ask), each class keeping its colour."""
    domain = [c for c in CLASS_COLORS if (with_ok or c != OK_CLASS) and (present is None or c in present)]
    return alt.Color("failure_class:N", title=title,
                     scale=alt.Scale(domain=domain, range=[CLASS_COLORS[c] for c in domain]))


#: Bar labels for periods: a day-wide period reads as its date, a shorter one also as its time.
_PERIOD_FORMAT: Final = {"d": "%a %b %d", "w": "%b %d", "mo": "%Y-%m", "y": "%Y"}


def count_axis() -> alt.Axis:
    """An axis of counts: integer ticks only (half a run is not a thing)."""
    return alt.Axis(tickMinStep=1, format="d")


def _period_label(every: str) -> str:
    unit = every.lstrip("0123456789")
    return _PERIOD_FORMAT.get(unit, "%b %d %H:%M")


def class_trend_chart(runs: Any, *, every: str = "1d", width: int = 700) -> alt.LayerChart:
    """Runs per failure class over time (stacked, by ``every``: ``1d``, ``1h``, ``15m``...); clean runs as ``ok``.

    One band per period from the first to the last, an empty period included (a quiet night shows
    as a gap, not as nothing), labelled with its date; the total above each bar when there is room
    (``width`` / 30 periods at most), and headroom above the tallest.
    """
    frame = as_frame(runs, "runs", ("run_id", "start_time", "primary_class"))
    counts = (
        frame.filter(pl.col("start_time").is_not_null())
        .with_columns(
            period=pl.col("start_time").dt.truncate(every),
            failure_class=pl.col("primary_class").fill_null(OK_CLASS),
        )
        .group_by("period", "failure_class")
        .agg(runs=pl.len())
        .sort("period", "failure_class")
    )
    fmt = _period_label(every)
    title = "day the run started (UTC)" if every == "1d" else f"run start (UTC, per {every})"
    periods: list[str] = []
    if counts.height:
        lo, hi = counts.get_column("period").min(), counts.get_column("period").max()
        days: pl.Series = pl.datetime_range(lo, hi, every, eager=True, time_zone="UTC")  # type: ignore[arg-type,assignment]
        if fmt.endswith("%H:%M") and days.dt.date().n_unique() == 1:
            # Periods within one day: the day once in the title, the times on the axis.
            fmt, title = "%H:%M", f"run start (UTC, {days.dt.strftime('%a %b %d')[0]}, per {every})"
        periods = days.dt.strftime(fmt).to_list()
    counts = counts.with_columns(label=pl.col("period").dt.strftime(fmt))
    # In period order: polars' group_by seeds its hash afresh in every process, so without
    # maintain_order the totals' rows (and the text marks drawn from them) came out in a new order each run.
    totals = counts.group_by("label", maintain_order=True).agg(runs=pl.col("runs").sum())
    tallest = int(totals.get_column("runs").max() or 0)  # type: ignore[arg-type]
    present = counts.get_column("failure_class").unique().to_list()
    # Labels the width of a band or less stay level (overlapping ones are dropped); longer ones slant.
    level = len(periods) <= 12 or fmt == "%H:%M"
    x = alt.X("label:O", sort=periods, scale=alt.Scale(domain=periods, paddingInner=0.25), title=title,
              axis=alt.Axis(labelAngle=0 if level else -45, labelOverlap="greedy"))
    # Headroom: the tallest bar stops short of the top (and its total's label fits above it).
    y_scale = alt.Scale(domain=[0, max(tallest + max(1, round(tallest * 0.12)), 1)], nice=False)
    bars = (
        alt.Chart(inline(counts))
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("runs:Q", stack="zero", title="runs", scale=y_scale, axis=count_axis()),
            color=class_color("primary class", with_ok=True, present=present),
            tooltip=[alt.Tooltip("utcyearmonthdatehoursminutes(period):T", title="period (UTC)"),
                     alt.Tooltip("failure_class:N"), alt.Tooltip("runs:Q")],  # fmt: skip
        )
    )
    layers = [bars]
    if len(periods) <= width // 30:  # room for a total over each bar (96 quarter-hours have none)
        layers.append(alt.Chart(inline(totals)).mark_text(dy=-7, fontSize=11)
                      .encode(x=x, y=alt.Y("runs:Q", scale=y_scale), text=alt.Text("runs:Q")))  # fmt: skip
    return alt.LayerChart(layer=layers).properties(
        width=width, height=260, title=f"Runs per failure class ({frame.height} runs)",
        usermeta={"forensics": {"chart": "class_trend"}},
    )


def _decisive_spans(findings: Any, spans: Any, column: str) -> pl.DataFrame:
    """Findings joined to their evidence spans' ``column`` (agent or tool): one row per (run, class, value)."""
    # Hints set no class (forensics.hints): only findings are drawn.
    found = counted_findings(
        as_frame(findings, "findings", ("run_id", "failure_class", "evidence_span_ids", "decisive_span_id"))
    )
    span_frame = as_frame(spans, "spans", ("run_id", "span_id", column)).select("run_id", "span_id", column)
    ids = found.select(
        "run_id", "failure_class",
        span_id=pl.concat_list(pl.col("decisive_span_id"), pl.col("evidence_span_ids")).list.drop_nulls(),
    ).explode("span_id")  # fmt: skip
    return ids.join(span_frame, on=["run_id", "span_id"], how="inner").drop_nulls(column).unique(
        ["run_id", "failure_class", column]
    )


def _heatmap(pairs: pl.DataFrame, column: str, title: str, what: str) -> alt.LayerChart:
    # Ties in class and name order: group_by's row order changes from process to process.
    counts = pairs.group_by("failure_class", column).agg(runs=pl.col("run_id").n_unique()).sort(
        "runs", "failure_class", column, descending=[True, False, False])
    # Most-affected first; an explicit order because both layers must agree on it.
    order = counts.group_by(column).agg(pl.col("runs").sum()).sort("runs", column, descending=[True, False])
    order_list = order.get_column(column).to_list()
    # Whole runs on the legend too: a gradient labels 1, 1.5, 2 unless told which values to mark.
    lo, hi = int(counts.get_column("runs").min() or 0), int(counts.get_column("runs").max() or 0)  # type: ignore[arg-type]
    step = max(1, -(-(hi - lo) // 5))
    legend = alt.Legend(format="d", values=list(range(lo, hi + 1, step)))
    heat = (
        alt.Chart(inline(counts))
        .mark_rect()
        .encode(
            x=alt.X(f"{column}:N", sort=order_list, title=what),
            y=alt.Y("failure_class:N", title="failure class"),
            color=alt.Color("runs:Q", scale=alt.Scale(scheme="orangered"), title="runs", legend=legend),
            tooltip=[alt.Tooltip("failure_class:N"), alt.Tooltip(f"{column}:N"), alt.Tooltip("runs:Q")],
        )
    )
    labels = (
        alt.Chart(inline(counts))
        .mark_text(fontSize=10)
        .encode(x=alt.X(f"{column}:N", sort=order_list), y=alt.Y("failure_class:N"), text=alt.Text("runs:Q"))
    )
    chart = alt.LayerChart(layer=[heat, labels])
    return chart.properties(title=title, usermeta={"forensics": {"chart": f"class_{column}_heatmap"}})


def class_agent_heatmap(runs: Any, findings: Any, spans: Any) -> alt.LayerChart:
    """Runs per (failure class, agent), the agent being the owner of the finding's decisive/evidence spans."""
    as_frame(runs, "runs", ("run_id",))
    return _heatmap(_decisive_spans(findings, spans, "agent"), "agent", "Failure class by agent (runs)", "agent")


def class_tool_heatmap(runs: Any, findings: Any, spans: Any) -> alt.LayerChart:
    """Runs per (failure class, tool), over the tools of each finding's evidence spans."""
    as_frame(runs, "runs", ("run_id",))
    return _heatmap(_decisive_spans(findings, spans, "tool"), "tool", "Failure class by tool (runs)", "tool")


def rank_detectors(findings: Any, top: int = 15) -> pl.DataFrame:
    """The ``top`` detectors by the number of runs they fired on; ties go to the most severe
    (then to the most findings), never to the alphabet: a critical detector behind two of the
    worst runs must not be cut for a medium one that sorts first. Columns: ``detector``,
    ``failure_class``, ``severity`` (its worst), ``runs``, ``findings``."""
    # Hints set no class (forensics.hints): a detector's rank counts its findings only.
    found = counted_findings(as_frame(findings, "findings", ("run_id", "failure_class", "detector")))
    if "severity" not in found.columns:  # a hand-made table: ties then go to the most findings
        found = found.with_columns(severity=pl.lit(None, pl.String))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return (
        found.group_by("detector", "failure_class")
        .agg(
            runs=pl.col("run_id").n_unique(),
            _sev=pl.col("severity").replace_strict(rank, default=-1, return_dtype=pl.Int64).max(),
            findings=pl.len(),
        )
        .sort(["runs", "_sev", "findings", "detector"], descending=[True, True, True, False])
        .head(top)
        .with_columns(severity=pl.col("_sev").replace_strict(dict(enumerate(SEVERITIES)), default=None,
                                                            return_dtype=pl.String))
        .select("detector", "failure_class", "severity", "runs", "findings")
    )


def top_detectors_chart(findings: Any, *, top: int = 15) -> alt.LayerChart:
    """The ``top`` detectors by number of runs they fired on, coloured by class (ranked by
    :func:`rank_detectors`), the count at the end of each bar."""
    counts = rank_detectors(findings, top)
    order = counts.get_column("detector").to_list()
    present = counts.get_column("failure_class").unique().to_list()
    widest = int(counts.get_column("runs").max() or 0)  # type: ignore[arg-type]
    x_scale = alt.Scale(domain=[0, max(widest + max(1, round(widest * 0.1)), 1)], nice=False)
    y = alt.Y("detector:N", sort=order, title=None)
    bars = (
        alt.Chart(inline(counts))
        .mark_bar()
        .encode(
            x=alt.X("runs:Q", title="runs it fired on", scale=x_scale, axis=count_axis()),
            y=y,
            color=class_color("failure class", with_ok=False, present=present),
            tooltip=[alt.Tooltip(f) for f in ("detector:N", "failure_class:N", "severity:N", "runs:Q", "findings:Q")],
        )
    )
    labels = alt.Chart(inline(counts)).mark_text(align="left", dx=3, fontSize=11).encode(
        x=alt.X("runs:Q", scale=x_scale), y=y, text=alt.Text("runs:Q"))
    return alt.LayerChart(layer=[bars, labels]).properties(
        title=f"Top {counts.height} detectors (runs they fired on)",
        usermeta={"forensics": {"chart": "top_detectors"}},
    )
