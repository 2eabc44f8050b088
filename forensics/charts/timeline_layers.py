"""The timeline's Altair layers: bars, names and their key, stalls, evidence, handoff connectors
and markers, each drawn from one frame of :mod:`forensics.charts.timeline_frames`.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from forensics.charts._frames import (
    inline,
)
from forensics.charts.timeline_frames import (
    FINDING_COLORS,
    KIND_COLORS,
    LABEL_FONT_SIZE,
    MARKERS,
    TEXT_DARK,
)


def _name_layer(names: pl.DataFrame, y: alt.Y, y_off: alt.YOffset) -> alt.Chart:
    return (
        alt.Chart(inline(names.with_columns(pl.col("tx").round(6))))
        .mark_text(align="left", baseline="middle", fontSize=LABEL_FONT_SIZE)
        .encode(x=alt.X("tx:Q"), y=y, yOffset=y_off, text=alt.Text("text:N"), color=alt.Color("color:N", scale=None))
    )


def _key_layer(key: pl.DataFrame) -> alt.Chart:
    """The numbered key, drawn as a legend beside the chart (a legend is laid out, sized and
    exported with the chart; its marks are invisible)."""
    entries = key.get_column("entry").to_list()
    return (
        alt.Chart(inline(key))
        .mark_point(opacity=0)
        .encode(
            color=alt.Color("entry:N", scale=alt.Scale(domain=entries, range=[TEXT_DARK] * len(entries)),
                            legend=alt.Legend(title="span key (numbered bars)", orient="right", symbolOpacity=0, symbolSize=0,
                                              labelLimit=320, labelFontSize=LABEL_FONT_SIZE)),  # fmt: skip
        )
    )


def _stall_layer(stalls: pl.DataFrame, x_scale: alt.Scale) -> alt.Chart:
    base = alt.Chart(inline(stalls))
    rect = base.mark_rect(color="#7f7f7f", opacity=0.18).encode(
        x=alt.X("x0:Q", scale=x_scale), x2=alt.X2("x1:Q"), tooltip=[alt.Tooltip("label:N", title="stall")]
    )
    return rect


def _bar_layer(bars: pl.DataFrame, x_scale: alt.Scale, x_title: str, y: alt.Y, y_off: alt.YOffset) -> alt.Chart:
    kinds = [k for k in KIND_COLORS if k in set(bars.get_column("kind").to_list())]
    data = inline(bars.drop("handoff_to", "evid", "xe").with_columns(pl.col("x0", "x1").round(6)))
    return (
        alt.Chart(data)
        .mark_bar(cornerRadius=1, height={"band": 0.9})
        .encode(
            x=alt.X("x0:Q", scale=x_scale, title=x_title),
            x2=alt.X2("x1:Q"),
            y=y,
            yOffset=y_off,
            fill=alt.Fill("kind:N", scale=alt.Scale(domain=kinds, range=[KIND_COLORS[k] for k in kinds]),
                          legend=alt.Legend(title="span kind", orient="right")),  # fmt: skip
            opacity=alt.OpacityValue(**alt.condition("datum.n > 1", alt.value(0.45), alt.value(0.9))),
            stroke=alt.StrokeValue(**alt.when("datum.status === 'error'").then(alt.value("#d62728"))
                                   .when("datum.open").then(alt.value("#222222"))
                                   .otherwise(alt.value(None))),
            strokeWidth=alt.StrokeWidthValue(**alt.condition("datum.status === 'error' || datum.open", alt.value(2), alt.value(0))),
            strokeDash=alt.StrokeDashValue(**alt.condition("datum.open", alt.value([4, 2]), alt.value([1, 0]))),
            tooltip=[
                alt.Tooltip("name:N"), alt.Tooltip("kind:N"), alt.Tooltip("lane:N", title="agent"),
                alt.Tooltip("tool:N"), alt.Tooltip("status:N"), alt.Tooltip("err:N", title="error"),
                alt.Tooltip("start:N", title="start (UTC)"), alt.Tooltip("ms:Q", title="duration ms"),
                alt.Tooltip("open:N", title="never ended"), alt.Tooltip("span_id:N"), alt.Tooltip("n:Q", title="spans"),
            ],  # fmt: skip
        )
    )


def _evidence_layer(evidence: pl.DataFrame, y: alt.Y, y_off: alt.YOffset) -> alt.Chart:
    labels = evidence.get_column("label").unique(maintain_order=True).to_list()
    palette = [FINDING_COLORS[i % len(FINDING_COLORS)] for i in range(len(labels))]
    return (
        alt.Chart(inline(evidence.with_columns(pl.col("x0", "x1").round(6))))
        .mark_bar(fillOpacity=0, height={"band": 1.0})
        .encode(
            x=alt.X("x0:Q"),
            x2=alt.X2("x1:Q"),
            y=y,
            yOffset=y_off,
            strokeWidth=alt.StrokeWidth("width:Q", scale=None, legend=None),
            stroke=alt.Stroke("label:N", scale=alt.Scale(domain=labels, range=palette),
                              legend=alt.Legend(title="findings (evidence outlined)", orient="bottom",
                                                direction="vertical", labelLimit=600)),  # fmt: skip
            tooltip=[
                alt.Tooltip("label:N", title="finding"), alt.Tooltip("severity:N"),
                alt.Tooltip("explanation:N"), alt.Tooltip("name:N", title="evidence span"), alt.Tooltip("span_id:N"),
            ],  # fmt: skip
        )
    )


def _handoff_layer(handoffs: pl.DataFrame, lanes: list[str]) -> alt.Chart:
    data = inline(handoffs.select("x", "x2", "from_lane", "to_lane", "picked", "tip").with_columns(pl.col("x", "x2").round(6)))
    return (
        alt.Chart(data)
        .mark_rule(strokeWidth=1.5)
        .encode(
            x=alt.X("x:Q"),
            x2=alt.X2("x2:Q"),
            y=alt.Y("from_lane:N", scale=alt.Scale(domain=lanes), sort=lanes, title=None),
            y2=alt.Y2("to_lane:N"),
            color=alt.ColorValue(**alt.condition("datum.picked", alt.value("#2f6f2a"), alt.value("#d62728"))),
            strokeDash=alt.StrokeDashValue(**alt.condition("datum.picked", alt.value([1, 0]), alt.value([5, 3]))),
            tooltip=[alt.Tooltip("tip:N", title="handoff")],
        )
    )


def _marker_layer(markers: pl.DataFrame, y: alt.Y, y_off: alt.YOffset) -> alt.Chart:
    names = [m for m in MARKERS if m in set(markers.get_column("marker").to_list())]
    legend = alt.Legend(title="markers", orient="right")
    return (
        alt.Chart(inline(markers.with_columns(pl.col("x").round(6))))
        .mark_point(size=70, filled=True, opacity=1)
        .encode(
            x=alt.X("x:Q"),
            y=y,
            yOffset=y_off,
            shape=alt.Shape("marker:N", scale=alt.Scale(domain=names, range=[MARKERS[m][0] for m in names]), legend=legend),
            color=alt.Color("marker:N", scale=alt.Scale(domain=names, range=[MARKERS[m][1] for m in names]), legend=legend),
            tooltip=[alt.Tooltip("marker:N"), alt.Tooltip("tip:N", title="what")],
        )
    )
