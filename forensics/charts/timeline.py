"""The postmortem timeline: one run as a Gantt chart, one lane per agent.

What a reviewer reads off it, layer by layer:

* **bars**: every span, in its agent's lane, on a sub-row (track) for its kind: the agent's own
  spans on top, then model calls, then tools, then events (handoffs, human steps); fill = kind.
* **errors**: a red outline on the bar and a red cross at the span's end.
* **open spans** (``end_time`` null): drawn to the end of the chart with a dashed outline and a
  ▶ marker, so a run that never ended visibly runs off the edge.
* **handoffs**: a connector from the handoff span in the sender's lane to the first span the
  target agent starts after it; a handoff nobody picked up is a dashed red connector into the
  target's (empty) lane, ending in a circle.
* **names**: the span's name (a tool span's tool) on its bar where it fits; where it does not, a
  number on or right after the bar and, in the "span key" legend beside the chart, the name for
  that number (one number per distinct name), so an exported PNG, which has no tooltips, still
  says which bar is ``stripe.refunds.create``.
* **stalls**: quiet gaps, where no span started or ended for longer than ``stall_seconds``, shaded grey.
* **findings**: each finding's evidence spans outlined in the finding's colour (one legend entry per
  finding), the explanation in the tooltip; the decisive span marked with a diamond.

Readable at 5,000 spans: past ``max_bars`` spans, the spans that matter (evidence, open, errors,
handoffs, agent spans, then the longest) keep their own bar and the rest are collapsed into one
lighter bar per (lane, track, time bin) with the count in the tooltip; the subtitle says how many
were collapsed. Data is inline and only the columns drawn are kept, so the spec stays small.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import altair as alt
import polars as pl

from forensics.charts._frames import (
    as_frame,
    human_duration,
    plural,
    what_the_run_was,
)
from forensics.charts.timeline_frames import (  # DEFAULT_STALL_SECONDS: the public default, imported from here
    DEFAULT_MAX_BARS,
    DEFAULT_STALL_SECONDS,
    MAX_CONNECTORS,
    MAX_ROWS,
    SPAN_NEEDS,
    TRACK_PX,
    TRACKS,
    _bar_names,
    _bars,
    _collapse,
    _default_stall_seconds,
    _evidence,
    _handoffs,
    _markers,
    _ns_since,
    _run_findings,
    _stalls,
    _unit,
)
from forensics.charts.timeline_layers import (
    _bar_layer,
    _evidence_layer,
    _handoff_layer,
    _key_layer,
    _marker_layer,
    _name_layer,
    _stall_layer,
)
from forensics.errors import InputError

__all__ = ["DEFAULT_MAX_BARS", "DEFAULT_STALL_SECONDS", "timeline_chart"]


def timeline_chart(
    spans: Any,
    run_id: str,
    findings: Any = None,
    *,
    stall_seconds: float | None = None,
    max_bars: int = DEFAULT_MAX_BARS,
    width: int = 760,
) -> alt.LayerChart:
    """A Gantt chart of run ``run_id``: one lane per agent, annotated with errors, handoffs,
    stalls and the findings' evidence (see the module docstring for what each mark means)."""
    frame = as_frame(spans, "spans", SPAN_NEEDS)
    run = frame.filter(pl.col("run_id") == run_id)
    if run.height == 0:
        known = frame.get_column("run_id").unique(maintain_order=True).head(5).to_list()
        raise InputError(
            f"run `{run_id}` has no spans in the table ({frame.height} spans, "
            f"{frame.get_column('run_id').n_unique()} runs)",
            hint=f"pass a run id from the table, e.g. {', '.join(f'`{r}`' for r in known) or 'none: the table is empty'}.",
        )
    if not 1 <= max_bars <= MAX_ROWS - 1000:
        raise InputError(
            f"`max_bars` must be between 1 and {MAX_ROWS - 1000}, found {max_bars}",
            hint=f"the default is {DEFAULT_MAX_BARS}; past it short spans are collapsed, which keeps the chart readable.",
        )
    stall = _default_stall_seconds() if stall_seconds is None else float(stall_seconds)

    found = _run_findings(findings, run_id)
    undrawn = run.filter(pl.col("start_time").is_null()).height
    run = run.filter(pl.col("start_time").is_not_null())
    if run.height == 0:
        raise InputError(
            f"run `{run_id}` has {undrawn} spans and none has a start time; there is nothing to place on a time axis",
            hint="check the loader's field map for the start time (see `forensics formats`).",
        )

    t0: datetime = run.get_column("start_time").min()  # type: ignore[assignment]
    last_ns = _ns_since(run, t0)
    has_open = run.get_column("end_time").null_count() > 0
    # An open run gets a margin past its last event so "never ended" visibly runs off the end.
    end_ns = last_ns + (max(last_ns * 0.08, 1e6) if has_open else max(last_ns * 0.01, 1e5))
    unit_name, unit_s = _unit(end_ns / 1e9)
    scale = 1e9 * unit_s
    t_end = end_ns / scale

    bars = _bars(run, t0, scale, t_end, found)
    evidence_ids = bars.filter(pl.col("evid")).get_column("span_id")
    bars, collapsed = _collapse(bars, max_bars, t_end)

    lanes = bars.get_column("lane").unique(maintain_order=True).to_list()
    handoffs = _handoffs(bars, lanes)
    lanes += [t for t in handoffs.get_column("to_lane").unique(maintain_order=True).to_list() if t not in lanes]
    all_handoffs = handoffs.height
    if all_handoffs > MAX_CONNECTORS:
        # Hundreds of connectors are a green wall; the dropped handoffs are what a reviewer needs.
        wanted = ~pl.col("picked") | pl.col("span_id").is_in(evidence_ids.implode())
        handoffs = handoffs.filter(wanted).head(MAX_CONNECTORS)
    tracks = [t for t in TRACKS if t in set(bars.get_column("track").to_list())]
    stalls = _stalls(run, t0, scale, stall * 1e9)
    evidence = _evidence(bars, found)
    markers = _markers(bars, handoffs, found, t_end, tracks[0])

    x_title = f"{unit_name} since run start"
    x_scale = alt.Scale(domain=[0, t_end], nice=False, zero=True)
    y = alt.Y("lane:N", scale=alt.Scale(domain=lanes), sort=lanes, title=None, axis=alt.Axis(labelLimit=180))
    y_off = alt.YOffset("track:N", scale=alt.Scale(domain=tracks))

    names, key, unnamed = _bar_names(bars, t_end, width)

    layers: list[alt.Chart] = []
    if stalls.height:
        layers.append(_stall_layer(stalls, x_scale))
    layers.append(_bar_layer(bars, x_scale, x_title, y, y_off))
    if evidence.height:
        layers.append(_evidence_layer(evidence, y, y_off))
    if names.height:
        layers.append(_name_layer(names, y, y_off))
    if key.height:
        layers.append(_key_layer(key))
    if handoffs.height:
        layers.append(_handoff_layer(handoffs, lanes))
    if markers.height:
        layers.append(_marker_layer(markers, y, y_off))

    policies = found.get_column("policy_version").drop_nulls().unique(maintain_order=True).to_list()
    root, task, source = what_the_run_was(frame.filter(pl.col("run_id") == run_id))
    subtitle = [
        f"started {t0:%Y-%m-%d %H:%M:%S} UTC · {plural(run.height + undrawn, 'span')} · {plural(len(lanes), 'lane')}"
        + (" · never ended" if has_open else "") + (f" · file {source}" if source else ""),
    ]
    if task:
        subtitle.append(f"task: “{task}”")
    if policies:
        subtitle.append("policy " + ", ".join(policies))
    if collapsed:
        subtitle.append(f"{plural(collapsed, 'short span')} collapsed into lighter bars (over {max_bars} spans)")
    if unnamed:
        subtitle.append(f"{plural(unnamed, 'span name')} not shown for lack of room: see the tooltips")
    if handoffs.height < all_handoffs:
        subtitle.append(f"{all_handoffs - handoffs.height} of {all_handoffs} handoff connectors not drawn "
                        f"(over {MAX_CONNECTORS}: only handoffs nobody picked up and evidence are)")  # fmt: skip
    if undrawn:
        subtitle.append(f"{plural(undrawn, 'span')} without a start time not drawn")
    missing = found.explode("evidence_span_ids").filter(
        pl.col("evidence_span_ids").is_not_null() & ~pl.col("evidence_span_ids").is_in(evidence_ids.implode())
    )
    if missing.height:
        subtitle.append(f"{plural(missing.height, 'evidence span id')} not found in this run's spans")
    if stalls.height:
        subtitle.append(f"grey: quiet for more than {human_duration(stall)}")

    lane_px = TRACK_PX * max(len(tracks), 1) + 10
    return alt.layer(*layers).properties(
        width=width,
        height=max(60, lane_px * len(lanes)),
        # Named by what it was (its root span), the id beside it for looking it up.
        title=alt.TitleParams(f"{root} (run {run_id})" if root else f"Run {run_id}", subtitle=subtitle, anchor="start"),
        usermeta={"forensics": {"chart": "timeline", "run_id": run_id, "policy_version": ", ".join(policies) or None}},
    ).resolve_scale(color="independent", stroke="independent", shape="independent")
