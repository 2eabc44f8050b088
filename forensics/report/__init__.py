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

import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from forensics.report.data import (
    NO_NIGHT,
    SEVERITY_RANK,
    TOP_DETECTORS,
    ReportData,
    batch_problems,
    class_counts,
    gather,
    nightly_trend,
    top_detectors,
    worst_runs,
)
from forensics.report.figures import Figure, RunStory, _figure, _run_spans, run_story, warm_renderer
from forensics.report.render import _Context, _html, _markdown

#: The report in rooms of one job: data (gathering, tables), figures (charts, run stories), render
#: (HTML, Markdown); this module writes it.
__all__ = [
    "Figure",
    "NO_NIGHT",
    "ReportData",
    "RunStory",
    "SEVERITY_RANK",
    "TOP_DETECTORS",
    "batch_problems",
    "class_counts",
    "gather",
    "nightly_trend",
    "run_story",
    "top_detectors",
    "worst_runs",
    "write_report",
]


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

    warming = warm_renderer()
    pol = resolve_redaction_policy(redaction_policy) if redact else None
    data = _redact_data(gather(store_or_tables, since=since, until=until, run_id=run_id), pol)
    warming.join()
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
