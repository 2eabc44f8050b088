"""The morning review: ``report.html`` (self-contained) and ``report.md`` from the results store.

What it holds: the window's batches and their problems, runs and findings per failure class, the
top detectors, the fleet charts (trend per class over the nights), and the worst runs with their
explanations and timelines. Charts come from :mod:`forensics.charts` and are written beside the
report as SVG (inline in the HTML, so the page stands alone). Every piece of log content is
escaped (``html.escape``) before it reaches HTML or Markdown: logs are hostile input.

Redaction is on by default (``redact=False`` is the explicit opt-out): the findings'
explanations, the batches' problems and every span drawn in a timeline go through
:mod:`forensics.redact` before anything is rendered, whatever their source (the store, a
spans.parquet written unredacted, an input file reloaded), and the report, Markdown, and each
chart say on their face whether they were redacted (:func:`~forensics.redact.redaction_banner`).
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl
import pyarrow as pa

from forensics.errors import InputError
from forensics.urls import display_url

#: Severity ranks: the worst runs are those with the most severe finding first.
SEVERITY_RANK: Final = {"critical": 4, "high": 3, "medium": 2, "low": 1}


@dataclass
class ReportData:
    """The tables a report is made of (store rows or in-memory classifier output)."""

    runs: pl.DataFrame
    findings: pl.DataFrame
    batches: pl.DataFrame | None = None
    spans: pl.DataFrame | None = None
    #: For reloading a run's spans: batch outputs (spans.parquet) and input paths by content hash.
    span_sources: dict[str, list[str]] = field(default_factory=dict)
    source_label: str = "tables"


# --------------------------------------------------------------------------------------------
# Gathering
# --------------------------------------------------------------------------------------------


def _frame(value: Any, what: str) -> pl.DataFrame:
    if isinstance(value, pl.DataFrame):
        return value
    if isinstance(value, pa.Table):
        df = pl.from_arrow(value)
        if isinstance(df, pl.DataFrame):
            return df
    raise InputError(f"`{what}` must be a pyarrow Table or a polars DataFrame, found {type(value).__name__}",
                     hint="pass the tables forensics.classify() or forensics.store.read_* returned.")


def gather(
    source: Any,
    *,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    run_id: str | None = None,
) -> ReportData:
    """Collect a report's tables from a store (or URL) or from ``{"runs":..., "findings":...}``."""
    from forensics import store as st

    if isinstance(source, Mapping):
        runs = _frame(source["runs"], "runs")
        findings = _frame(source["findings"], "findings")
        spans = _frame(source["spans"], "spans") if source.get("spans") is not None else None
        if run_id is not None:
            runs = runs.filter(pl.col("run_id") == run_id)
            findings = findings.filter(pl.col("run_id") == run_id)
        return ReportData(runs=runs, findings=findings, spans=spans, source_label="in-memory tables")
    if hasattr(source, "runs") and hasattr(source, "findings") and not isinstance(source, st.Store):
        return gather({"runs": source.runs, "findings": source.findings}, run_id=run_id)

    store, owned = (source, False) if isinstance(source, st.Store) else (st.open_store(source), True)
    try:
        runs = st.read_runs(store, since=since, until=until, run_id=run_id)
        findings = st.read_findings(store, since=since, until=until, run_id=run_id)
        batches = st.read_batches(store)
        sources = _span_sources(store)
        label = display_url(store.url)
    finally:
        if owned:
            store.close()
    runs, findings = _latest_per_run(runs, findings)
    if run_id is not None and runs.height == 0:
        raise InputError(f"run `{run_id}` is not in the store {label}",
                         hint="check the id (forensics.store.read_runs lists them) or the --db URL.")
    used = runs["batch_id"].unique().to_list() if "batch_id" in runs.columns else []
    if since is not None or until is not None or run_id is not None:
        batches = batches.filter(pl.col("id").is_in(used) | pl.lit(run_id is None) & _in_window(batches, since, until))
    return ReportData(runs=runs, findings=findings, batches=batches, span_sources=sources, source_label=label)


def _in_window(batches: pl.DataFrame, since: Any, until: Any) -> pl.Expr:
    from forensics.store import _since

    cond = pl.lit(True)
    lo, hi = _since(since), _since(until)
    if lo is not None:
        cond = cond & (pl.col("started_at") >= lo)
    if hi is not None:
        cond = cond & (pl.col("started_at") < hi)
    return cond


def _latest_per_run(runs: pl.DataFrame, findings: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per run: the newest batch's result (a run classified under two policies, or
    present in two inputs, is reported once)."""
    if runs.height == 0:
        return runs, findings
    latest = runs.sort("batch_id").unique("run_id", keep="last", maintain_order=True).sort("start_time", "run_id")
    keep = latest.select("run_id", "batch_id")
    return latest, findings.join(keep, on=["run_id", "batch_id"], how="semi")


def _span_sources(store: Any) -> dict[str, list[str]]:
    """``{input_sha256: [spans.parquet of its batch, the input file]}``: where a run's spans are."""
    import sqlalchemy as sa

    from forensics.store import batch_inputs, batches

    out: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(batch_inputs.c.sha256, batch_inputs.c.path, batches.c.counts).join(
                batches, batches.c.id == batch_inputs.c.batch_id
            )
        ).all()
    for sha, path, counts in rows:
        spans_parquet = ((counts or {}).get("outputs") or {}).get("spans")
        out[sha] = [p for p in (spans_parquet, path) if p]
    return out




# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def class_counts(data: ReportData) -> pl.DataFrame:
    """Per class: findings, runs affected, runs where it is the primary class."""
    f = data.findings
    if f.height == 0:
        return pl.DataFrame(schema={"failure_class": pl.String, "findings": pl.UInt32, "runs": pl.UInt32,
                                    "primary": pl.UInt32})
    by = f.group_by("failure_class").agg(pl.len().alias("findings"), pl.col("run_id").n_unique().alias("runs"))
    prim = data.runs.filter(pl.col("primary_class").is_not_null()).group_by("primary_class").agg(
        pl.len().alias("primary")).rename({"primary_class": "failure_class"})
    return (by.join(prim, on="failure_class", how="left").with_columns(pl.col("primary").fill_null(0))
            .sort(["findings", "failure_class"], descending=[True, False]))


#: Detectors listed (and drawn) under "Top detectors".
TOP_DETECTORS: Final = 10


def top_detectors(data: ReportData, n: int = TOP_DETECTORS) -> pl.DataFrame:
    """The ``n`` detectors that fired on the most runs, ranked as the chart ranks them (ties to
    the most severe, see :func:`forensics.charts.fleet.rank_detectors`): one table, one unit."""
    from forensics.charts.fleet import rank_detectors

    if data.findings.height == 0:
        return pl.DataFrame(schema={"detector": pl.String, "failure_class": pl.String, "severity": pl.String,
                                    "runs": pl.UInt32})  # fmt: skip
    return rank_detectors(data.findings, n).select("detector", "failure_class", "severity", "runs")


def worst_runs(data: ReportData, n: int = 5) -> pl.DataFrame:
    """The ``n`` runs to look at first: most severe finding, then most findings, then cost."""
    f = data.findings
    if f.height == 0:
        return data.runs.head(0).with_columns(pl.lit(0).alias("worst_severity"), pl.lit(0).alias("n_findings"))
    per_run = f.group_by("run_id").agg(
        pl.col("severity").replace_strict(SEVERITY_RANK, default=0, return_dtype=pl.Int64).max().alias("worst_severity"),
        pl.len().alias("n_findings"),
    )
    return (data.runs.join(per_run, on="run_id", how="inner")
            .sort(["worst_severity", "n_findings", "cost_usd", "run_id"], descending=[True, True, True, False],
                  nulls_last=True)
            .head(n))


#: The night of a run with no start time (it still counts, so the table adds up).
NO_NIGHT: Final = "(no start time)"


def nightly_trend(data: ReportData) -> pl.DataFrame:
    """Per night (by run start, UTC): its runs, then its findings per class, one column per class:
    the fleet trend as a table. Every night with a run is a row, a night of clean runs included,
    so the ``runs`` column adds up to the report's run count."""
    runs = data.runs
    if runs.height == 0:
        return pl.DataFrame()
    night = pl.col("start_time").dt.strftime("%Y-%m-%d").fill_null(NO_NIGHT).alias("night")
    per_night = runs.group_by(night).agg(runs=pl.len())
    if data.findings.height:
        found = data.findings.join(runs.select("run_id", night), on="run_id", how="inner")
        wide = found.group_by("night", "failure_class").len().pivot(
            on="failure_class", index="night", values="len", sort_columns=True
        )
        per_night = per_night.join(wide, on="night", how="left").fill_null(0)
    return per_night.sort("night")


def batch_problems(data: ReportData) -> pl.DataFrame:
    """Every problem (file + reason) recorded by the window's batches."""
    rows: list[dict[str, Any]] = []
    if data.batches is not None:
        for batch_id, problems in data.batches.select("id", "problems").iter_rows():
            for p in json.loads(problems or "[]") or []:
                rows.append({"batch_id": batch_id, "file": p.get("file"), "level": p.get("level"),
                             "reason": p.get("reason"), "detail": p.get("detail")})
    return pl.DataFrame(rows, schema={"batch_id": pl.Int64, "file": pl.String, "level": pl.String,
                                      "reason": pl.String, "detail": pl.String})


# --------------------------------------------------------------------------------------------
# Charts (from forensics.charts; a builder that is not there yet is noted, never faked)
# --------------------------------------------------------------------------------------------


@dataclass
class Figure:
    title: str
    svg_path: Path | None
    svg: str | None
    note: str | None = None


def _chart_builder(name: str) -> Callable[..., Any] | None:
    try:
        import forensics.charts as charts
    except ImportError:  # pragma: no cover - charts ship with the package
        return None
    fn = getattr(charts, name, None)
    return fn if callable(fn) else None


def _render_svg(chart: Any, path: Path, **save_kwargs: Any) -> str:
    save = _chart_builder("save_chart")
    if save is not None:
        save(chart, path, **save_kwargs)
        return path.read_text(encoding="utf-8")
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(chart.to_dict())
    path.write_text(svg, encoding="utf-8")
    return svg


def _figure(title: str, builder: str, path: Path, *args: Any, png: bool = False,
            save_kwargs: Mapping[str, Any] | None = None, **kwargs: Any) -> Figure:
    """Build a chart with ``forensics.charts.<builder>`` and write it as SVG (and PNG when asked);
    ``save_kwargs`` go to ``save_chart`` (the redaction banner)."""
    fn = _chart_builder(builder)
    if fn is None:
        return Figure(title, None, None, note=f"`forensics.charts.{builder}` is not available in this version")
    try:
        chart = fn(*args, **kwargs)
        svg = _render_svg(chart, path, **(save_kwargs or {}))
        save = _chart_builder("save_chart")
        if png and save is not None:
            save(chart, path.with_suffix(".png"), **(save_kwargs or {}))
    except InputError as exc:
        return Figure(title, None, None, note=str(exc))
    return Figure(title, path, svg)


def _run_spans(data: ReportData, run: Mapping[str, Any]) -> tuple[pl.DataFrame | None, str]:
    """The spans of one run: in-memory, the batch's spans.parquet, or the input file reloaded."""
    rid = run["run_id"]
    if data.spans is not None:
        spans = data.spans.filter(pl.col("run_id") == rid)
        return (spans, "") if spans.height else (None, "its spans are not in the given table")
    tried = []
    for src in data.span_sources.get(run.get("input_sha256") or "", []):
        if not os.path.exists(src):
            tried.append(f"{src} (gone)")
            continue
        if src.endswith(".parquet") and os.path.basename(src) == "spans.parquet":
            spans = pl.scan_parquet(src).filter(pl.col("run_id") == rid).collect()
        else:
            from forensics.load import load

            spans = _frame(load([src]).spans, "spans").filter(pl.col("run_id") == rid)
        if spans.height:
            return spans, ""
        tried.append(f"{src} (no spans of this run)")
    return None, "its spans could not be found" + (f": tried {', '.join(tried)}" if tried else "")


@dataclass
class RunStory:
    """A run as a reviewer who was not there needs it named: what it was (its root span, else its
    agents), what it was asked (its task), where it came from (its file), and its decisive span
    by name, kind, tool and agent rather than by id."""

    name: str
    task: str | None
    file: str | None
    decisive: str
    #: How a loader derived the run id when the source's own id repeats (``@run_id_from`` on the
    #: root span, e.g. ``task_id+trial``), so a reader knows two runs were two transcripts.
    id_from: str | None = None


def run_story(run: Mapping[str, Any], spans: pl.DataFrame | None) -> RunStory:
    """Describe ``run`` (a runs row) from its ``spans`` (None when they could not be found: then
    from what the runs table holds, and the decisive span by its id, saying why)."""
    from forensics.charts._frames import what_the_run_was

    root = task = source = None
    if spans is not None and spans.height:
        root, task, source = what_the_run_was(spans)
    agents = [a for a in (run.get("agents") or []) if a]
    name = root or (" → ".join(agents) if agents else None) or f"run {run['run_id']}"
    file = source or (os.path.basename(run["source_file"]) if run.get("source_file") else None)
    span_id = run.get("decisive_span_id")
    decisive = "-"
    if span_id:
        found = spans.filter(pl.col("span_id") == span_id).head(1) if spans is not None else None
        if found is not None and found.height:
            row = found.row(0, named=True)
            parts = [f"{row.get('kind') or 'unknown'} span"]
            if row.get("tool") and row["tool"] != row.get("name"):
                parts.append(f"tool {row['tool']}")
            parts.append(f"agent {row['agent']}" if row.get("agent") else "no agent")
            if row.get("start_time") is not None:
                parts.append(f"started {row['start_time']:%H:%M:%S} UTC")
            decisive = f"{row.get('name') or span_id} ({', '.join(parts)})"
        else:
            agent = run.get("decisive_agent")
            decisive = (f"span {span_id}" + (f" of agent {agent}" if agent else "")
                        + " (its name is unknown: the run's spans could not be found)")
    id_from = None
    if spans is not None and spans.height and "attributes" in spans.columns:
        derived = (spans.filter(pl.col("parent_id").is_null())
                   .select(pl.col("attributes").str.json_path_match("$['@run_id_from']")).drop_nulls())
        id_from = derived.item(0, 0) if derived.height else None
    return RunStory(name=name, task=task, file=file, decisive=decisive, id_from=id_from)


def _plural(count: Any, word: str) -> str:
    if count is None:
        return f"- {word}s"
    return f"{count:,} {word if count == 1 else word + 's'}"


def _cost(value: Any) -> str:
    return "cost not recorded" if value is None else f"cost {value:,.4g} USD"


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_report(
    store_or_tables: Any,
    out_dir: str | os.PathLike[str],
    since: datetime | str | None = None,
    run_id: str | None = None,
    *,
    until: datetime | str | None = None,
    worst: int = 5,
    redact: bool = True,
    redaction_policy: Any = None,
) -> dict[str, Path]:
    """Write ``report.html``, ``report.md`` and ``charts/*.svg`` under ``out_dir``; return the paths.

    ``store_or_tables``: a :class:`~forensics.store.Store`, a store URL, a ``Classification``, or
    ``{"runs": ..., "findings": ..., "spans": ...}``. ``since``/``until`` bound the runs' start
    times; ``run_id`` reports on one run. ``redact`` (default on) replaces secrets and personal
    data in every piece of log content shown, under ``redaction_policy`` (a ``RedactionPolicy``, a
    TOML path with a ``[redact]`` table, or None for the defaults); ``redact=False`` writes them in
    clear and every page and chart says ``NOT REDACTED``.
    """
    from forensics.redact import redaction_banner, resolve_redaction_policy

    pol = resolve_redaction_policy(redaction_policy) if redact else None
    data = _redact_data(gather(store_or_tables, since=since, until=until, run_id=run_id), pol)
    banner = redaction_banner(redact, pol)
    save_kwargs = {"redacted": redact, "redaction_policy": pol}
    out = Path(out_dir)
    charts_dir = out / "charts"
    charts_dir.mkdir(parents=True, exist_ok=True)

    figures: list[Figure] = []
    if run_id is None and data.runs.height:
        figures.append(_figure("Runs per failure class over time", "class_trend_chart",
                               charts_dir / "class_trend.svg", data.runs, png=True, save_kwargs=save_kwargs))
    detectors_figure = None
    if run_id is None and data.findings.height:
        detectors_figure = _figure("Top detectors (runs they fired on)", "top_detectors_chart",
                                   charts_dir / "top_detectors.svg", data.findings, png=True,
                                   save_kwargs=save_kwargs, top=TOP_DETECTORS)
    worst_df = worst_runs(data, worst if run_id is None else 1)
    timelines: dict[str, Figure] = {}
    stories: dict[str, RunStory] = {}
    for i, run in enumerate(worst_df.iter_rows(named=True)):
        spans, why = _run_spans(data, run)
        if spans is not None and data.spans is None:
            # Reloaded from an input file or a spans.parquet written with --no-redact: raw log
            # content (in-memory spans were redacted with the rest of the data above).
            spans = _redact_spans(spans, pol)
        story = stories[run["run_id"]] = run_story(run, spans)
        title = f"Timeline of {story.name} (run {run['run_id']})"
        if spans is None:
            timelines[run["run_id"]] = Figure(title, None, None, note=why)
            continue
        findings = data.findings.filter(pl.col("run_id") == run["run_id"])
        timelines[run["run_id"]] = _figure(title, "timeline_chart", charts_dir / f"timeline_{i + 1}.svg",
                                           spans, run["run_id"], findings, save_kwargs=save_kwargs)

    ctx = _Context(data=data, since=since, until=until, run_id=run_id, worst=worst_df, figures=figures,
                   timelines=timelines, out=out, banner=banner, redacted=redact, stories=stories,
                   detectors_figure=detectors_figure)
    html_path = out / "report.html"
    md_path = out / "report.md"
    _write_text(html_path, _html(ctx))
    _write_text(md_path, _markdown(ctx))
    written = {"html": html_path, "markdown": md_path}
    for f in [*figures, *([detectors_figure] if detectors_figure else []), *timelines.values()]:
        if f.svg_path is not None:
            written[f.svg_path.stem] = f.svg_path
            if f.svg_path.with_suffix(".png").exists():
                written[f"{f.svg_path.stem}_png"] = f.svg_path.with_suffix(".png")
    return written


def _redact_spans(spans: pl.DataFrame, pol: Any) -> pl.DataFrame:
    if pol is None:
        return spans
    from forensics.redact import redact_frame

    cols = [c for c in pol.columns if c in spans.columns]
    return redact_frame(spans, pol, columns=cols) if cols else spans


def _redact_data(data: ReportData, pol: Any) -> ReportData:
    """The report's tables with log content redacted (``pol`` None: as they are). Runs hold no
    log text (ids, counts, classes, the source path); findings quote it in ``explanation``;
    batches' problems quote the files and records they could not read."""
    if pol is None:
        return data
    from forensics.redact import FINDING_TEXT_COLUMNS, redact_frame

    findings = data.findings
    if findings.height:
        findings = redact_frame(findings, pol, columns=[c for c in FINDING_TEXT_COLUMNS if c in findings.columns])
    batches = data.batches
    if batches is not None and batches.height and "problems" in batches.columns:
        batches = redact_frame(batches, pol, columns=["problems"])
    spans = _redact_spans(data.spans, pol) if data.spans is not None else None
    return replace(data, findings=findings, batches=batches, spans=spans)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class _Context:
    data: ReportData
    since: Any
    until: Any
    run_id: str | None
    worst: pl.DataFrame
    figures: list[Figure]
    timelines: dict[str, Figure]
    out: Path
    banner: str = ""
    redacted: bool = True
    stories: dict[str, RunStory] = field(default_factory=dict)
    detectors_figure: Figure | None = None

    @property
    def title(self) -> str:
        if self.run_id:
            story = self.stories.get(self.run_id)
            return f"Run {self.run_id}: {story.name}" if story and story.name != f"run {self.run_id}" else f"Run {self.run_id}"
        window = " ".join(x for x in (f"since {self.since}" if self.since else "",
                                      f"until {self.until}" if self.until else "") if x)
        return "Agent forensics: nightly review" + (f" ({window})" if window else "")

    def headline(self) -> list[tuple[str, str]]:
        runs = self.data.runs
        failing = runs.filter(~pl.col("ok")).height if runs.height else 0
        items = [
            ("runs", f"{runs.height:,}"),
            ("runs with findings", f"{failing:,}"),
            ("findings", f"{self.data.findings.height:,}"),
        ]
        if runs.height and "declared_outcome" in runs.columns:
            by = runs.group_by("declared_outcome").len().sort("declared_outcome")
            items.append(("declared outcomes", ", ".join(f"{o or 'unknown'} {n:,}" for o, n in by.iter_rows())))
        if runs.height and "unexplained_failure" in runs.columns:
            unexplained = runs.filter(pl.col("unexplained_failure").fill_null(False)).height
            items.append(("runs declaring a failure no detector explains", f"{unexplained:,}"))
        if runs.height:
            lo, hi = runs["start_time"].min(), runs["start_time"].max()
            items.append(("runs started", f"{_ts(lo)} to {_ts(hi)}"))
        if self.data.batches is not None and self.data.batches.height:
            by = self.data.batches.group_by("status").len().sort("status")
            items.append(("batches", ", ".join(f"{s} {n}" for s, n in by.iter_rows())))
        pols = runs["policy_version"].unique().sort().to_list() if runs.height else []
        if pols:
            items.append(("policy", ", ".join(pols)))
        items.append(("source", self.data.source_label))
        items.append(("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")))
        return items


def _ts(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, datetime):
        return _ts(value)
    return str(value)


# --- HTML --------------------------------------------------------------------------------------

_CSS: Final = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2330;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #dde;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #d6dae3;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f3f5f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#6b7280;font-style:italic}.sev-critical,.sev-high{color:#b42318;font-weight:600}
.sev-medium{color:#b54708}.run{border:1px solid #e3e6ee;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
figure{margin:1rem 0;overflow-x:auto}code{background:#f3f5f9;padding:0 .2rem;border-radius:3px}
#redaction{padding:.4rem .7rem;border-radius:4px;background:#ecfdf3;color:#05603a}
#redaction.not-redacted{background:#fef3f2;color:#b42318}
"""


def _h(value: Any) -> str:
    return html.escape(_cell(value), quote=True)


def _html_table(df: pl.DataFrame, numeric: tuple[str, ...] = ()) -> str:
    if df.height == 0:
        return '<p class="note">none</p>'
    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{_h(v)}</td>' if c in numeric else f"<td>{_h(v)}</td>"
            for c, v in zip(df.columns, row, strict=True)
        ) + "</tr>"
        for row in df.iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_figure(f: Figure) -> str:
    if f.svg is None:
        return f'<p class="note">{html.escape(f.title)}: not drawn ({html.escape(f.note or "")}).</p>'
    # vl-convert's SVG escapes its text nodes itself; it is our own rendering of escaped data.
    return f"<figure>{f.svg}<figcaption>{html.escape(f.title)}</figcaption></figure>"


def _html(ctx: _Context) -> str:
    d = ctx.data
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(ctx.title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(ctx.title)}</h1>"
             # Right under the title, before any figure or log content.
             f'<p class="{"redacted" if ctx.redacted else "not-redacted"}" id="redaction">'
             f"<strong>{html.escape(ctx.banner)}</strong></p>"]
    parts.append("<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                                     for k, v in ctx.headline()) + "</table>")
    parts.append("<h2>Findings per class</h2>" + _html_table(class_counts(d), ("findings", "runs", "primary")))
    parts.append("<h2>Top detectors (runs they fired on)</h2>"
                 + (_html_figure(ctx.detectors_figure) if ctx.detectors_figure else "")
                 + _html_table(top_detectors(d), ("runs",)))
    trend = nightly_trend(d)
    if trend.height:
        parts.append("<h2>Runs and findings per class per night</h2>"
                     + _html_table(trend, tuple(c for c in trend.columns if c != "night")))
    for f in ctx.figures:
        parts.append(f"<h2>{html.escape(f.title)}</h2>" + _html_figure(f))
    probs = batch_problems(d)
    if probs.height:
        parts.append("<h2>Input problems</h2>" + _html_table(probs))
    parts.append(f"<h2>Worst runs ({ctx.worst.height})</h2>")
    if ctx.worst.height == 0:
        parts.append('<p class="note">No run has a finding.</p>')
    for run in ctx.worst.iter_rows(named=True):
        parts.append(_html_run(ctx, run))
    parts.append("</body></html>")
    return "\n".join(parts)


def _story(ctx: _Context, run: Mapping[str, Any]) -> RunStory:
    return ctx.stories.get(run["run_id"]) or run_story(run, None)


def _run_facts(run: Mapping[str, Any], story: RunStory) -> list[tuple[str, Any]]:
    facts = [("primary class", run.get("primary_class")), ("classes", run.get("classes")),
             ("decisive span", story.decisive), ("started", run.get("start_time")),
             ("duration (ms)", run.get("duration_ms")), ("spans", run.get("span_count")),
             ("errors", run.get("error_count")), ("cost (USD)", run.get("cost_usd") if run.get("cost_usd") is not None
                                                  else "not recorded"),
             ("agents", run.get("agents")), ("reported outcome", run.get("reported_outcome"))]  # fmt: skip
    # Columns a newer classifier writes: shown when the store has them.
    for column, label in (("declared_outcome", "declared outcome"), ("strength", "evidence strength")):
        if column in run:
            facts.append((label, run.get(column)))
    facts += [("run id", run["run_id"]), ("source", run.get("source_file"))]
    return facts


def _finding_rows(ctx: _Context, rid: str) -> list[tuple[Any, ...]]:
    finds = ctx.data.findings.filter(pl.col("run_id") == rid)
    strength = pl.col("strength") if "strength" in finds.columns else pl.lit(None, pl.String)
    return finds.select("severity", strength.alias("strength"), "failure_class", "detector", "explanation").rows()


def _html_run(ctx: _Context, run: Mapping[str, Any]) -> str:
    rid = run["run_id"]
    story = _story(ctx, run)
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{_h(v)}</td></tr>" for k, v in _run_facts(run, story))
    items = "".join(
        f'<li><span class="sev-{_h(sev)}">{_h(sev)}</span>{f" ({_h(strength)})" if strength else ""} '
        f"<code>{_h(cls)}</code> / <code>{_h(det)}</code>: {_h(expl)}</li>"
        for sev, strength, cls, det, expl in _finding_rows(ctx, rid)
    )
    what = " · ".join(x for x in (f"started {_h(run.get('start_time'))}",
                                  f"file <code>{_h(story.file)}</code>" if story.file else "",
                                  f"run <code>{html.escape(rid)}</code>") if x)  # fmt: skip
    task = f'<p class="task">task: “{_h(story.task)}”</p>' if story.task else ""
    fig = ctx.timelines.get(rid)
    return (f'<div class="run"><h3>{_h(story.name)}</h3><p>{what}</p>{task}<table>{rows}</table>'
            f"<ul>{items}</ul>{_html_figure(fig) if fig else ''}</div>")


# --- Markdown ----------------------------------------------------------------------------------


def _m(value: Any) -> str:
    """Escape for a Markdown table cell: HTML-escaped (renderers pass inline HTML through), pipes
    and newlines neutralised, Markdown emphasis characters escaped."""
    text = html.escape(_cell(value), quote=False)
    text = text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    for ch in "`*_[]":
        text = text.replace(ch, "\\" + ch)
    return text


def _md_table(df: pl.DataFrame) -> str:
    if df.height == 0:
        return "_none_\n"
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(_m(v) for v in row) + " |" for row in df.iter_rows()]
    return "\n".join(lines) + "\n"


def _md_figure(f: Figure, out: Path) -> str:
    if f.svg_path is None:
        return f"_{_m(f.title)}: not drawn ({_m(f.note or '')})._\n"
    return f"![{_m(f.title)}]({f.svg_path.relative_to(out).as_posix()})\n"


def _markdown(ctx: _Context) -> str:
    d = ctx.data
    # The banner right under the title, before any figure or log content.
    out = [f"# {_m(ctx.title)}\n", f"> **{_m(ctx.banner)}**\n"]
    out += [f"- **{k}**: {_m(v)}" for k, v in ctx.headline()]
    out.append("\n## Findings per class\n")
    out.append(_md_table(class_counts(d)))
    out.append("\n## Top detectors (runs they fired on)\n")
    if ctx.detectors_figure is not None:
        out.append(_md_figure(ctx.detectors_figure, ctx.out))
    out.append(_md_table(top_detectors(d)))
    trend = nightly_trend(d)
    if trend.height:
        out.append("\n## Runs and findings per class per night\n")
        out.append(_md_table(trend))
    for f in ctx.figures:
        out.append(f"\n## {_m(f.title)}\n")
        out.append(_md_figure(f, ctx.out))
    probs = batch_problems(d)
    if probs.height:
        out.append("\n## Input problems\n")
        out.append(_md_table(probs))
    out.append(f"\n## Worst runs ({ctx.worst.height})\n")
    if ctx.worst.height == 0:
        out.append("_No run has a finding._\n")
    for run in ctx.worst.iter_rows(named=True):
        rid = run["run_id"]
        story = _story(ctx, run)
        out.append(f"\n### {_m(story.name)}" + (f": “{_m(story.task)}”" if story.task else "") + "\n")
        out.append(f"- run {_m(rid)}" + (f" (id from {_m(story.id_from)})" if story.id_from else "")
                   + f"; started {_m(run.get('start_time'))}"
                   + (f"; file {_m(story.file)}" if story.file else "") + f"; agents {_m(run.get('agents'))}")
        out.append(f"- primary class: {_m(run.get('primary_class'))}; classes: {_m(run.get('classes'))}")
        out.append(f"- decisive span: {_m(story.decisive)}")
        outcome = f"reported outcome {_m(run.get('reported_outcome'))}"
        if "declared_outcome" in run:
            outcome += f"; declared outcome {_m(run.get('declared_outcome'))}"
        if "strength" in run:
            outcome += f"; evidence {_m(run.get('strength'))}"
        out.append(f"- {_plural(run.get('span_count'), 'span')}, {_plural(run.get('error_count'), 'error')}, "
                   f"{_m(_cost(run.get('cost_usd')))}; {outcome}")
        out.append(f"- source: {_m(run.get('source_file'))}\n")
        for sev, strength, cls, det, expl in _finding_rows(ctx, rid):
            out.append(f"  - **{_m(sev)}**" + (f" ({_m(strength)})" if strength else "") + f" {_m(cls)} / {_m(det)}: {_m(expl)}")
        fig = ctx.timelines.get(rid)
        if fig is not None:
            out.append("\n" + _md_figure(fig, ctx.out))
    return "\n".join(out) + "\n"
