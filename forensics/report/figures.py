"""The report's figures and run stories: charts from :mod:`forensics.charts` written as SVG (a
builder that is not there yet is noted, never faked), and what each worst run's story says.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from forensics.errors import InputError
from forensics.report.data import (
    ReportData,
    _frame,
)

#: PNG pixels per SVG unit: save_chart's default scale.
PNG_SCALE: Final = 2.0


@dataclass
class Figure:
    title: str
    svg_path: Path | None
    svg: str | None
    note: str | None = None


def warm_renderer() -> threading.Thread:
    """Import the chart builders and start vl-convert's JavaScript engine on a side thread, while
    the report's data is gathered: the first render pays for the engine's start (~0.45 CPU s, 2-3 s
    of wall time on a busy machine) and altair's import (~1 s), and vl-convert renders without the
    GIL. Whatever fails here fails again, and is reported, where the figure is made."""

    def warm() -> None:
        try:
            import vl_convert as vlc

            import forensics.charts  # noqa: F401

            vlc.vegalite_to_svg({"mark": "point"})
        except Exception:  # reported by the figure that needs it (_figure)
            pass

    thread = threading.Thread(target=warm, name="forensics-report-warm", daemon=True)
    thread.start()
    return thread


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
        # Not checked against the Vega-Lite schema again when written (_figure).
        save(chart, path, validate=False, **save_kwargs)
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
        # Built and written without altair's debug mode, which checks every object the builder
        # makes against the Vega-Lite JSON schema as it is made (jsonschema: most of a timeline's
        # build time, issue 15). The builders are ours and their specs are rendered by the tests.
        from altair.utils.schemapi import debug_mode

        with debug_mode(False):
            chart = fn(*args, **kwargs)
            svg = _render_svg(chart, path, **(save_kwargs or {}))
        if png:
            # Rasterised from the SVG just written (title and banner included), as save_chart's PNG
            # is: a second save_chart would validate and compile the chart's spec again.
            import vl_convert as vlc

            path.with_suffix(".png").write_bytes(vlc.svg_to_png(svg, scale=PNG_SCALE))
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
