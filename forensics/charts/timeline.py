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
from typing import Any, Final

import altair as alt
import polars as pl

from forensics.charts._frames import (
    as_frame,
    human_duration,
    inline,
    plural,
    short,
    text_px,
    what_the_run_was,
)
from forensics.errors import InputError

#: Which sub-row of an agent's lane a span kind is drawn on.
TRACK_OF_KIND: Final[dict[str, str]] = {
    "agent": "agent",
    "chain": "agent",
    "unknown": "agent",
    "llm": "model",
    "tool": "tool",
    "retriever": "tool",
    "guardrail": "tool",
    "handoff": "event",
    "human": "event",
    "event": "event",
}
TRACKS: Final = ("agent", "model", "tool", "event")

#: Fill per span kind. No red: red is reserved for errors.
KIND_COLORS: Final[dict[str, str]] = {
    "agent": "#4c78a8",
    "chain": "#9ecae9",
    "llm": "#9467bd",
    "tool": "#f58518",
    "retriever": "#eeca3b",
    "guardrail": "#72b7b2",
    "handoff": "#54a24b",
    "human": "#b279a2",
    "event": "#bab0ac",
    "unknown": "#d8d8d8",
}

#: Markers drawn on top of the bars: (shape, colour).
MARKERS: Final[dict[str, tuple[str, str]]] = {
    "error": ("cross", "#d62728"),
    "never ended": ("triangle-right", "#333333"),
    "decisive span": ("diamond", "#000000"),
    "handoff not picked up": ("circle", "#d62728"),
}

#: Text drawn on a bar of each kind: white on the dark fills, near-black on the light ones.
TEXT_ON_KIND: Final[dict[str, str]] = {"agent": "#ffffff", "llm": "#ffffff", "handoff": "#ffffff", "human": "#ffffff"}
TEXT_DARK: Final = "#222222"
#: Bar labels: font size and the padding inside the bar, in pixels (more on an evidence bar,
#: whose start may carry the decisive-span diamond).
LABEL_FONT_SIZE: Final = 10
LABEL_PAD_PX: Final = 3.0
LABEL_PAD_EVIDENCE_PX: Final = 7.0
#: Most distinct span names in the numbered key (beyond it, names are in the tooltips only).
MAX_KEY_ENTRIES: Final = 24
#: Height of one track (sub-row) of a lane, in pixels: room for a label inside the bar.
TRACK_PX: Final = 16

#: Finding outline colours (cycled); none of them is the error red.
FINDING_COLORS: Final = ("#e377c2", "#17becf", "#bcbd22", "#8c564b", "#1f77b4", "#ff7f0e", "#2ca02c")

#: Fallback quiet-gap length; ``stall_seconds=None`` uses the default policy's ``stall_seconds``.
DEFAULT_STALL_SECONDS: Final = 300.0
#: Past this many spans, short spans are collapsed (see the module docstring).
DEFAULT_MAX_BARS: Final = 1500
#: Time bins used for collapsed spans across the chart's width (fewer when there are many lanes).
COLLAPSE_BINS: Final = 240
#: Rows one layer may carry: altair's default data transformer refuses more than 5,000 inline rows.
MAX_ROWS: Final = 4500
#: Past this many handoffs, only those nobody picked up (and evidence) get a connector.
MAX_CONNECTORS: Final = 100

SPAN_NEEDS: Final = (
    "run_id", "span_id", "name", "kind", "agent", "tool", "handoff_to",
    "start_time", "end_time", "status", "error_type", "error_message",
)  # fmt: skip

# (name, seconds): the x axis unit is chosen so tick labels stay short.
_UNITS: Final = (("ms", 1e-3, 2.0), ("s", 1.0, 900.0), ("min", 60.0, 3 * 3600.0), ("h", 3600.0, float("inf")))
NO_AGENT: Final = "(no agent)"


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


def _default_stall_seconds() -> float:
    """The default policy's stall threshold, so the shading agrees with the stall detector."""
    from forensics.policy import load_policy

    return float(load_policy().stall_seconds)


def _run_findings(findings: Any, run_id: str) -> pl.DataFrame:
    needs = ("run_id", "failure_class", "detector", "severity", "evidence_span_ids", "decisive_span_id",
             "explanation", "policy_version")  # fmt: skip
    if findings is None:
        return pl.DataFrame(schema={c: (pl.List(pl.String) if c == "evidence_span_ids" else pl.String)
                                    for c in (*needs, "label")})  # fmt: skip
    found = as_frame(findings, "findings", needs).filter(pl.col("run_id") == run_id)
    order = ["decisive_time"] if "decisive_time" in found.columns else []
    found = found.sort(order, nulls_last=True) if order else found
    return found.with_row_index("_n", offset=1).with_columns(
        label=pl.format("F{} {} · {}", pl.col("_n"), pl.col("failure_class"), pl.col("detector"))
    )


def _ns_since(run: pl.DataFrame, t0: Any) -> float:
    last = run.select(pl.max_horizontal(pl.col("start_time").max(), pl.col("end_time").max())).item()
    return float((last - t0).total_seconds() * 1e9) if last is not None else 0.0


def _unit(total_s: float) -> tuple[str, float]:
    for name, seconds, up_to in _UNITS:
        if total_s <= up_to:
            return name, seconds
    return _UNITS[-1][0], _UNITS[-1][1]


def _bars(run: pl.DataFrame, t0: Any, scale: float, t_end: float, found: pl.DataFrame) -> pl.DataFrame:
    evidence = found.get_column("evidence_span_ids").explode().drop_nulls()
    decisive = found.get_column("decisive_span_id").drop_nulls()
    since = lambda c: (pl.col(c) - pl.lit(t0)).dt.total_nanoseconds().cast(pl.Float64) / scale  # noqa: E731
    # Zero-length spans (events, handoffs) still need a visible sliver.
    sliver = t_end * 0.003
    err_text = pl.concat_str([pl.col("error_type"), pl.col("error_message")], separator=": ", ignore_nulls=True)
    return run.select(
        lane=pl.col("agent").fill_null(NO_AGENT),
        track=pl.col("kind").replace_strict(TRACK_OF_KIND, default="agent"),
        x0=since("start_time"),
        x1=pl.when(pl.col("end_time").is_null())
        .then(pl.lit(t_end))
        .otherwise(pl.max_horizontal(since("end_time"), since("start_time") + sliver)),
        # The true end (x1 may be widened to a visible sliver); error markers go here.
        xe=pl.when(pl.col("end_time").is_null()).then(pl.lit(t_end)).otherwise(since("end_time")),
        kind=pl.col("kind"),
        name=short(pl.col("name"), 80),
        tool=pl.col("tool"),
        status=pl.col("status"),
        err=short(pl.when(err_text.str.len_chars() > 0).then(err_text)),
        span_id=pl.col("span_id"),
        start=pl.col("start_time").dt.strftime("%H:%M:%S%.3f"),
        ms=((pl.col("end_time") - pl.col("start_time")).dt.total_microseconds() / 1000).round(1),
        open=pl.col("end_time").is_null(),
        handoff_to=pl.col("handoff_to"),
        n=pl.lit(1, pl.Int64),
        n_err=(pl.col("status") == "error").cast(pl.Int64),
        evid=pl.col("span_id").is_in(evidence.implode()) | pl.col("span_id").is_in(decisive.implode()),
    ).sort("x0")


def _collapse(bars: pl.DataFrame, max_bars: int, t_end: float) -> tuple[pl.DataFrame, int]:
    """Keep the spans that matter as bars; bin the rest per (lane, track, time bin)."""
    if bars.height <= max_bars:
        return bars, 0
    priority = (
        pl.when(pl.col("evid")).then(0)
        .when(pl.col("open")).then(1)
        .when(pl.col("n_err") > 0).then(2)
        .when(pl.col("handoff_to").is_not_null() | (pl.col("kind") == "handoff")).then(3)
        .when(pl.col("kind") == "agent").then(4)
        .otherwise(5)
    )  # fmt: skip
    ranked = bars.with_row_index("_i").with_columns(_p=priority, _d=pl.col("x1") - pl.col("x0"))
    keep_idx = ranked.sort(["_p", "_d"], descending=[False, True]).head(max_bars).get_column("_i")
    ranked = ranked.with_columns(_keep=pl.col("_i").is_in(keep_idx.implode()))
    kept = ranked.filter(pl.col("_keep")).drop("_i", "_p", "_d", "_keep")
    rest = ranked.filter(~pl.col("_keep"))
    # Kept bars + collapsed bars stay under MAX_ROWS however many lanes and tracks there are.
    groups = max(rest.select(pl.struct("lane", "track").n_unique()).item(), 1)
    bins = max(1, min(COLLAPSE_BINS, (MAX_ROWS - kept.height) // groups))
    bin_width = t_end / bins
    binned = (
        rest.with_columns(_bin=(pl.col("x0") / bin_width).floor().cast(pl.Int64))
        .group_by("lane", "track", "_bin", maintain_order=True)
        .agg(
            x0=pl.col("x0").min(),
            xe=pl.col("xe").max(),
            x1=pl.max_horizontal(pl.col("x1").max(), pl.col("x0").min() + bin_width * 0.9),
            kind=pl.col("kind").mode().sort().first(),
            n=pl.len().cast(pl.Int64),
            n_err=pl.col("n_err").sum(),
            names=pl.col("name").unique(maintain_order=True).head(3).str.join(", "),
            start=pl.col("start").min(),
        )
        .with_columns(
            name=pl.format("{} short spans collapsed ({}…)", pl.col("n"), pl.col("names")),
            status=pl.when(pl.col("n_err") > 0).then(pl.lit("error")).otherwise(pl.lit("ok")),
            err=pl.when(pl.col("n_err") > 0).then(pl.format("{} errors among them", pl.col("n_err"))),
            open=pl.lit(False),
            evid=pl.lit(False),
        )
    )
    binned = binned.select([pl.col(c).cast(kept.schema[c]) if c in binned.columns else pl.lit(None, kept.schema[c]).alias(c)
                            for c in kept.columns])  # fmt: skip
    return pl.concat([kept, binned]).sort("x0"), rest.height


def _handoffs(bars: pl.DataFrame, lanes: list[str]) -> pl.DataFrame:
    """One connector per handoff: sender lane at the handoff → the target's first span after it."""
    sent = bars.filter(pl.col("handoff_to").is_not_null() & (pl.col("n") == 1)).select(
        from_lane="lane", to_lane="handoff_to", x="x0", name="name", span_id="span_id"
    ).sort("x")
    if sent.height == 0:
        return sent.with_columns(x2=pl.col("x"), picked=pl.lit(True), tip=pl.lit(""))
    starts = bars.select(to_lane="lane", x2="x0").sort("x2")
    joined = sent.join_asof(starts, left_on="x", right_on="x2", by="to_lane", strategy="forward",
                            check_sortedness=False)  # both sides are sorted by time, so each group is too
    return joined.with_columns(
        picked=pl.col("x2").is_not_null(),
        x2=pl.col("x2").fill_null(pl.col("x")),
    ).with_columns(
        tip=pl.when(pl.col("picked"))
        .then(pl.format("handoff {} → {} ({}): picked up", pl.col("from_lane"), pl.col("to_lane"), pl.col("name")))
        .otherwise(pl.format("handoff {} → {} ({}): {} never started after it", pl.col("from_lane"),
                             pl.col("to_lane"), pl.col("name"), pl.col("to_lane")))  # fmt: skip
    )


def _stalls(run: pl.DataFrame, t0: Any, scale: float, threshold_ns: float) -> pl.DataFrame:
    """Quiet gaps: stretches where no span started or ended for longer than the threshold."""
    events = (
        pl.concat([run.select(t="start_time"), run.select(t="end_time")])
        .drop_nulls()
        .unique()
        .sort("t")
        .with_columns(prev=pl.col("t").shift(1))
        .with_columns(gap_ns=(pl.col("t") - pl.col("prev")).dt.total_nanoseconds())
        .filter(pl.col("gap_ns") > threshold_ns)
    )
    return events.select(
        x0=(pl.col("prev") - pl.lit(t0)).dt.total_nanoseconds().cast(pl.Float64) / scale,
        x1=(pl.col("t") - pl.lit(t0)).dt.total_nanoseconds().cast(pl.Float64) / scale,
        gap_s=pl.col("gap_ns") / 1e9,
    ).with_columns(label=pl.col("gap_s").map_batches(_labels, return_dtype=pl.String))


def _labels(gaps: pl.Series) -> pl.Series:
    # A handful of stalls per run at most; formatting them is not a hot path.
    return pl.Series([f"quiet {human_duration(g)}" for g in gaps.to_list()], dtype=pl.String)


def _evidence(bars: pl.DataFrame, found: pl.DataFrame) -> pl.DataFrame:
    if found.height == 0:
        return pl.DataFrame()
    # Several findings often cite the same span: earlier findings get wider outlines, drawn first,
    # so every finding's colour stays visible around a shared span.
    pairs = found.select(
        "label", "severity", "explanation", span_id="evidence_span_ids",
        width=2.0 + 2.5 * (pl.len() - pl.col("_n")).cast(pl.Float64),
    ).explode("span_id")  # fmt: skip
    joined = pairs.join(bars.select("span_id", "lane", "track", "x0", "x1", "name"), on="span_id", how="inner")
    return joined.sort("width", descending=True)


def _markers(
    bars: pl.DataFrame, handoffs: pl.DataFrame, found: pl.DataFrame, t_end: float, home_track: str
) -> pl.DataFrame:
    cols = ("x", "lane", "track", "marker", "tip")
    errors = bars.filter(pl.col("n_err") > 0).select(
        x="xe", lane="lane", track="track", marker=pl.lit("error"),
        tip=pl.format("{}: {}", pl.col("name"), pl.col("err").fill_null("status error")),
    )  # fmt: skip
    never = bars.filter(pl.col("open")).select(
        x=pl.lit(t_end), lane="lane", track="track", marker=pl.lit("never ended"),
        tip=pl.format("{} started at {} and never ended", pl.col("name"), pl.col("start")),
    )  # fmt: skip
    decisive = (
        found.select("label", "explanation", span_id="decisive_span_id")
        .drop_nulls("span_id")
        .join(bars.select("span_id", "x0", "lane", "track", "name"), on="span_id", how="inner")
        .select(x="x0", lane="lane", track="track", marker=pl.lit("decisive span"),
                tip=pl.format("decisive span of {}: {}", pl.col("label"), pl.col("explanation")))  # fmt: skip
    )
    dangling = handoffs.filter(~pl.col("picked")).select(
        x="x2", lane="to_lane", track=pl.lit(home_track), marker=pl.lit("handoff not picked up"), tip="tip"
    )
    parts = [p.select(cols) for p in (errors, never, decisive, dangling) if p.height]
    return pl.concat(parts) if parts else pl.DataFrame()


def _bar_names(bars: pl.DataFrame, t_end: float, width: int) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Where each bar's name goes: ``(texts, key, how many distinct names are shown nowhere)``.

    A bar's name (a tool span's tool, else its span name) is written on it when the estimated text
    width fits before the bar ends and before the next bar of its sub-row starts (text drawn over
    a neighbour would read as the neighbour's name). Otherwise the bar gets a number, one per
    distinct name, on the bar when the number fits there, else just after it when the gap to the
    next bar allows; the key maps the numbers to names (at most ``MAX_KEY_ENTRIES``, evidence and
    failed spans' names first). Collapsed bars carry no name."""
    empty = pl.DataFrame(schema={"tx": pl.Float64, "lane": pl.String, "track": pl.String, "text": pl.String,
                                 "color": pl.String})  # fmt: skip
    key_schema = {"number": pl.Int64, "entry": pl.String}
    if t_end <= 0 or bars.height == 0:
        return empty, pl.DataFrame(schema=key_schema), 0
    px = width / t_end  # pixels per x unit
    name = pl.when(pl.col("kind").is_in(["tool", "retriever"]) & pl.col("tool").is_not_null()).then(pl.col("tool"))
    cand = (
        bars.filter(pl.col("n") == 1)
        .select("lane", "track", "kind", "x0", "x1", "evid", "n_err", text=short(name.otherwise(pl.col("name")), 60))
        .filter(pl.col("text").str.len_chars() > 0)
        .sort("x0")
        .with_columns(
            next_x0=pl.col("x0").shift(-1).over("lane", "track"),
            pad=pl.when("evid").then(pl.lit(LABEL_PAD_EVIDENCE_PX)).otherwise(pl.lit(LABEL_PAD_PX)),
        )
        .with_columns(
            room_px=(pl.min_horizontal("x1", pl.col("next_x0").fill_null(pl.col("x1"))) - pl.col("x0")) * px,
            gap_px=(pl.col("next_x0").fill_null(t_end) - pl.col("x1")) * px,
            text_px=text_px(pl.col("text"), LABEL_FONT_SIZE) + pl.col("pad") + LABEL_PAD_PX,
            on_color=pl.col("kind").replace_strict(TEXT_ON_KIND, default=TEXT_DARK),
            # An agent's own span in its own lane is named by the lane already: no number for it.
            same_as_lane=(pl.col("track") == "agent") & (pl.col("text") == pl.col("lane")),
        )
    )
    fits = cand.filter(pl.col("text_px") <= pl.col("room_px"))
    rest = cand.filter((pl.col("text_px") > pl.col("room_px")) & ~pl.col("same_as_lane"))
    # The key: evidence and failed spans' names first, then in order of first appearance.
    names = (
        rest.group_by("text").agg(first=pl.col("x0").min(), wanted=(pl.col("evid") | (pl.col("n_err") > 0)).any())
        .sort(["wanted", "first", "text"], descending=[True, False, False])
    )  # fmt: skip
    kept = names.head(MAX_KEY_ENTRIES).sort("first", "text").with_row_index("number", offset=1)
    digits_px = len(str(max(kept.height, 1))) * 0.56 * LABEL_FONT_SIZE * 1.05
    # After a failed bar, clear of the error cross drawn at its end.
    after_px = pl.when(pl.col("n_err") > 0).then(pl.lit(7.0)).otherwise(pl.lit(2.0))
    numbered = rest.join(kept.select("text", "number"), on="text", how="inner").with_columns(
        inside=digits_px + pl.col("pad") + LABEL_PAD_PX <= pl.col("room_px"),
        after=(after_px + digits_px + LABEL_PAD_PX <= pl.col("gap_px")) & (pl.col("x1") * px + after_px + digits_px <= width),
        after_px=after_px,
    ).filter(pl.col("inside") | pl.col("after"))
    # Renumber the names that got a number on some bar, in order of first appearance.
    used = (numbered.group_by("text").agg(first=pl.col("x0").min()).sort("first", "text")
            .with_row_index("number", offset=1).with_columns(pl.col("number").cast(pl.Int64)))  # fmt: skip
    numbered = numbered.drop("number").join(used.select("text", "number"), on="text")
    texts = pl.concat([
        fits.select(tx=pl.col("x0") + pl.col("pad") / px, lane="lane", track="track", text="text", color="on_color"),
        numbered.select(
            tx=pl.when("inside").then(pl.col("x0") + pl.col("pad") / px).otherwise(pl.col("x1") + pl.col("after_px") / px),
            lane="lane", track="track", text=pl.col("number").cast(pl.String),
            color=pl.when("inside").then(pl.col("on_color")).otherwise(pl.lit(TEXT_DARK)),
        ),
    ])  # fmt: skip
    key = used.select("number", entry=pl.format("{}  {}", pl.col("number"), pl.col("text")))
    return texts, key, names.height - used.height


def _name_layer(names: pl.DataFrame, y: alt.Y, y_off: alt.YOffset) -> alt.Chart:
    return (
        alt.Chart(inline(names.with_columns(pl.col("tx").round(6))))
        .mark_text(align="left", baseline="middle", fontSize=LABEL_FONT_SIZE)
        .encode(x="tx:Q", y=y, yOffset=y_off, text="text:N", color=alt.Color("color:N", scale=None))
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
        x=alt.X("x0:Q", scale=x_scale), x2="x1:Q", tooltip=[alt.Tooltip("label:N", title="stall")]
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
            x2="x1:Q",
            y=y,
            yOffset=y_off,
            fill=alt.Fill("kind:N", scale=alt.Scale(domain=kinds, range=[KIND_COLORS[k] for k in kinds]),
                          legend=alt.Legend(title="span kind", orient="right")),  # fmt: skip
            opacity=alt.condition("datum.n > 1", alt.value(0.45), alt.value(0.9)),
            stroke=alt.when("datum.status === 'error'").then(alt.value("#d62728"))
            .when("datum.open").then(alt.value("#222222"))
            .otherwise(alt.value(None)),
            strokeWidth=alt.condition("datum.status === 'error' || datum.open", alt.value(2), alt.value(0)),
            strokeDash=alt.condition("datum.open", alt.value([4, 2]), alt.value([1, 0])),
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
            x="x0:Q",
            x2="x1:Q",
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
            x="x:Q",
            x2="x2:Q",
            y=alt.Y("from_lane:N", scale=alt.Scale(domain=lanes), sort=lanes, title=None),
            y2="to_lane:N",
            color=alt.condition("datum.picked", alt.value("#2f6f2a"), alt.value("#d62728")),
            strokeDash=alt.condition("datum.picked", alt.value([1, 0]), alt.value([5, 3])),
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
            x="x:Q",
            y=y,
            yOffset=y_off,
            shape=alt.Shape("marker:N", scale=alt.Scale(domain=names, range=[MARKERS[m][0] for m in names]), legend=legend),
            color=alt.Color("marker:N", scale=alt.Scale(domain=names, range=[MARKERS[m][1] for m in names]), legend=legend),
            tooltip=[alt.Tooltip("marker:N"), alt.Tooltip("tip:N", title="what")],
        )
    )
