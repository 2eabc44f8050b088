"""Fleet charts for the nightly view: which classes, when, in which agents and tools, by which detectors.

Every aggregation is a polars group-by; the charts receive a few hundred rows at most whatever the
number of runs.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from forensics.charts._frames import as_frame, inline

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


def class_color(title: str, *, with_ok: bool) -> alt.Color:
    domain = [c for c in CLASS_COLORS if with_ok or c != OK_CLASS]
    return alt.Color("failure_class:N", title=title,
                     scale=alt.Scale(domain=domain, range=[CLASS_COLORS[c] for c in domain]))


def class_trend_chart(runs: Any, *, every: str = "1d", width: int = 700) -> alt.Chart:
    """Runs per failure class over time (stacked, by ``every``: ``1d``, ``1h``, ...); clean runs as ``ok``."""
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
    return (
        alt.Chart(inline(counts))
        .mark_bar()
        .encode(
            x=alt.X("period:T", scale=alt.Scale(type="utc"), title=f"run start (UTC, per {every})"),
            y=alt.Y("runs:Q", stack="zero", title="runs"),
            color=class_color("primary class", with_ok=True),
            tooltip=[alt.Tooltip("utcyearmonthdatehoursminutes(period):T", title="period (UTC)"),
                     "failure_class:N", "runs:Q"],  # fmt: skip
        )
        .properties(width=width, height=260, title=f"Runs per failure class ({frame.height} runs)",
                    usermeta={"forensics": {"chart": "class_trend"}})  # fmt: skip
    )


def _decisive_spans(findings: Any, spans: Any, column: str) -> pl.DataFrame:
    """Findings joined to their evidence spans' ``column`` (agent or tool): one row per (run, class, value)."""
    found = as_frame(findings, "findings", ("run_id", "failure_class", "evidence_span_ids", "decisive_span_id"))
    span_frame = as_frame(spans, "spans", ("run_id", "span_id", column)).select("run_id", "span_id", column)
    ids = found.select(
        "run_id", "failure_class",
        span_id=pl.concat_list(pl.col("decisive_span_id"), pl.col("evidence_span_ids")).list.drop_nulls(),
    ).explode("span_id")  # fmt: skip
    return ids.join(span_frame, on=["run_id", "span_id"], how="inner").drop_nulls(column).unique(
        ["run_id", "failure_class", column]
    )


def _heatmap(pairs: pl.DataFrame, column: str, title: str, what: str) -> alt.LayerChart:
    counts = pairs.group_by("failure_class", column).agg(runs=pl.col("run_id").n_unique()).sort("runs", descending=True)
    # Most-affected first; an explicit order because both layers must agree on it.
    order = counts.group_by(column).agg(pl.col("runs").sum()).sort("runs", column, descending=[True, False])
    order_list = order.get_column(column).to_list()
    heat = (
        alt.Chart(inline(counts))
        .mark_rect()
        .encode(
            x=alt.X(f"{column}:N", sort=order_list, title=what),
            y=alt.Y("failure_class:N", title="failure class"),
            color=alt.Color("runs:Q", scale=alt.Scale(scheme="orangered"), title="runs"),
            tooltip=["failure_class:N", f"{column}:N", "runs:Q"],
        )
    )
    labels = (
        alt.Chart(inline(counts))
        .mark_text(fontSize=10)
        .encode(x=alt.X(f"{column}:N", sort=order_list), y="failure_class:N", text="runs:Q")
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


def top_detectors_chart(findings: Any, *, top: int = 15) -> alt.Chart:
    """The ``top`` detectors by number of runs they fired on, coloured by class."""
    found = as_frame(findings, "findings", ("run_id", "failure_class", "detector"))
    counts = (
        found.group_by("detector", "failure_class")
        .agg(runs=pl.col("run_id").n_unique(), findings=pl.len())
        .sort("runs", "detector", descending=[True, False])
        .head(top)
    )
    return (
        alt.Chart(inline(counts))
        .mark_bar()
        .encode(
            x=alt.X("runs:Q", title="runs"),
            y=alt.Y("detector:N", sort="-x", title=None),
            color=class_color("failure class", with_ok=False),
            tooltip=["detector:N", "failure_class:N", "runs:Q", "findings:Q"],
        )
        .properties(title=f"Top {min(top, counts.height)} detectors", usermeta={"forensics": {"chart": "top_detectors"}})
    )
