"""The timeline's data: a run's spans as bars on lanes and tracks, collapsed past ``max_bars``, with
the handoff connectors, stalls, evidence outlines, markers and the names that fit on each bar
(polars frames, drawn by :mod:`forensics.charts.timeline_layers`).
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl

from forensics.charts._frames import (
    as_frame,
    human_duration,
    short,
    text_px,
)

#: Which sub-row of an agent's lane a span kind is drawn on.
TRACK_OF_KIND: Final[dict[str, str]] = {
    "agent": "agent",
    "chain": "agent",
    "unknown": "agent",
    "llm": "model",
    "embedding": "model",
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
    "embedding": "#c5b0d5",
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
