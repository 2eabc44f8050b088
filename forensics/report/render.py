"""The report as HTML (self-contained) and Markdown: every piece of log content escaped before it
reaches either (logs are hostile input).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

from forensics.hints import counted_findings, hint_findings
from forensics.report.data import (
    ReportData,
    batch_problems,
    class_counts,
    hints_table,
    nightly_trend,
    top_detectors,
)
from forensics.report.figures import (
    Figure,
    RunStory,
    _cost,
    _plural,
    run_story,
)


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
            ("findings", f"{counted_findings(self.data.findings).height:,}"),
        ]
        hints = hint_findings(self.data.findings).height
        if hints:
            items.append(("hints (shown for review; they set no class)", f"{hints:,}"))
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


#: The section of hints (forensics.hints): leads a reviewer reads, which no count holds.
_HINTS_TITLE: Final = "Hints: possible findings, shown for review (they set no class; the run stays ok)"


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
    hints = hints_table(d)
    if hints.height:
        parts.append(f"<h2>{_HINTS_TITLE}</h2>" + _html_table(hints))
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
    hints = hints_table(d)
    if hints.height:
        out.append(f"\n## {_HINTS_TITLE}\n")
        out.append(_md_table(hints))
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
