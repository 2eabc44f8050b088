"""``run_explorer``: a server-free notebook explorer over spans, runs and findings.

Filtering is one polars query (``filter_runs``) over the runs table, a per-run index of tools and
searchable text (``build_run_index``), and the findings; no Python loop over runs, so it stays
interactive on 100,000 runs. The run list shows the first ``LIST_LIMIT`` matches and says how many
there are. Everything from the logs is untrusted: every piece of log text shown as HTML goes
through ``html.escape``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import polars as pl

from forensics.charts._frames import as_frame
from forensics.errors import ForensicsError, InputError

#: Runs shown in the list at once (the count above it says how many matched).
LIST_LIMIT: Final = 500
#: Spans shown in a run's span table.
SPAN_TABLE_LIMIT: Final = 300
#: Time-range slider steps.
TIME_STEPS: Final = 48
ANY: Final = ""

RUN_NEEDS: Final = ("run_id", "start_time", "agents", "classes", "primary_class", "span_count", "error_count", "ok")
FINDING_NEEDS: Final = ("run_id", "failure_class", "detector", "severity", "explanation")


def build_run_index(spans: Any, findings: Any = None) -> pl.DataFrame:
    """One row per run: ``tools`` (list) and ``text`` (lower-case haystack for free-text search:
    run and session ids, agents, span names, tools, errors, finding explanations)."""
    frame = as_frame(spans, "spans", ("run_id", "session_id", "name", "agent", "tool", "error_type", "error_message"))
    text_cols = [pl.col(c).cast(pl.String) for c in ("name", "agent", "tool", "error_type", "error_message")]
    index = frame.group_by("run_id").agg(
        tools=pl.col("tool").drop_nulls().unique().sort(),
        text=pl.concat_list(text_cols).explode().drop_nulls().unique().str.join(" "),
        session=pl.col("session_id").drop_nulls().first(),
    )
    if findings is not None:
        found = as_frame(findings, "findings", FINDING_NEEDS)
        notes = found.group_by("run_id").agg(notes=pl.col("explanation").str.join(" "))
        index = index.join(notes, on="run_id", how="left")
    else:
        index = index.with_columns(notes=pl.lit(None, pl.String))
    return index.select(
        "run_id",
        "tools",
        text=pl.concat_str([pl.col("run_id"), pl.col("session"), pl.col("text"), pl.col("notes")],
                           separator=" ", ignore_nulls=True).str.to_lowercase(),  # fmt: skip
    )


def filter_runs(
    runs: Any,
    findings: Any,
    spans_index: pl.DataFrame | None = None,
    *,
    failure_class: str | None = None,
    detector: str | None = None,
    agent: str | None = None,
    tool: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    text: str | None = None,
    failed_only: bool = False,
) -> pl.DataFrame:
    """The runs matching every given criterion, earliest first (one lazy polars query).

    ``failure_class`` matches any of a run's classes; ``detector`` any finding of the run; ``agent``
    the run's agents; ``tool`` and ``text`` need ``spans_index`` (``build_run_index``); ``text`` is
    a case-insensitive substring; ``start``/``end`` bound the run's start time (inclusive).
    """
    run_frame = as_frame(runs, "runs", RUN_NEEDS)
    query = run_frame.lazy()
    if failure_class:
        query = query.filter(pl.col("classes").list.contains(failure_class))
    if agent:
        query = query.filter(pl.col("agents").list.contains(agent))
    if failed_only:
        query = query.filter(~pl.col("ok"))
    if start is not None:
        query = query.filter(pl.col("start_time") >= start)
    if end is not None:
        query = query.filter(pl.col("start_time") <= end)
    if detector:
        found = as_frame(findings, "findings", FINDING_NEEDS).lazy()
        query = query.join(found.filter(pl.col("detector") == detector).select("run_id"), on="run_id", how="semi")
    if tool or text:
        if spans_index is None:
            raise InputError(
                "filtering by `tool` or `text` needs the per-run index",
                hint="pass spans_index=build_run_index(spans, findings).",
            )
        index = spans_index.lazy()
        if tool:
            index = index.filter(pl.col("tools").list.contains(tool))
        if text:
            index = index.filter(pl.col("text").str.contains(text.strip().lower(), literal=True))
        query = query.join(index.select("run_id"), on="run_id", how="semi")
    return query.sort("start_time", "run_id", nulls_last=True).collect()


def _options(values: list[str], any_label: str) -> list[tuple[str, str]]:
    return [(any_label, ANY)] + [(v, v) for v in values]


def _escape(value: Any) -> str:
    return "" if value is None else html.escape(str(value), quote=True)


def _table(header: Sequence[str], body: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th style='text-align:left;padding:2px 6px'>{_escape(h)}</th>" for h in header)
    lines = "".join(
        "<tr>" + "".join(f"<td style='padding:2px 6px;vertical-align:top'>{_escape(c)}</td>" for c in row) + "</tr>"
        for row in body
    )
    return f"<table style='border-collapse:collapse;font-size:12px'><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"


class RunExplorer:
    """The explorer's state and callbacks; ``run_explorer`` returns its ``widget``."""

    def __init__(self, spans: Any, runs: Any, findings: Any, *, export_dir: str | Path = "exports",
                 redact_exports: bool = True) -> None:
        import ipywidgets as w

        #: Exports travel (review documents): they are redacted unless the caller opts out.
        self.redact_exports = redact_exports
        self.spans = as_frame(spans, "spans", ("run_id", "span_id", "start_time"))
        self.runs = as_frame(runs, "runs", RUN_NEEDS)
        self.findings = as_frame(findings, "findings", FINDING_NEEDS)
        self.index = build_run_index(self.spans, self.findings)
        self.chart: Any = None
        self.run_id: str | None = None

        classes = self.findings.get_column("failure_class").unique().sort().to_list()
        detectors = self.findings.get_column("detector").unique().sort().to_list()
        agents = self.runs.get_column("agents").explode().drop_nulls().unique().sort().to_list()
        tools = self.index.get_column("tools").explode().drop_nulls().unique().sort().to_list()
        layout = w.Layout(width="230px")
        self.class_filter = w.Dropdown(options=_options(classes, "any class"), description="class", layout=layout)
        self.detector_filter = w.Dropdown(options=_options(detectors, "any detector"), description="detector", layout=layout)
        self.agent_filter = w.Dropdown(options=_options(agents, "any agent"), description="agent", layout=layout)
        self.tool_filter = w.Dropdown(options=_options(tools, "any tool"), description="tool", layout=layout)
        self.failed_only = w.Checkbox(value=False, description="failed runs only", indent=False)
        self.text_filter = w.Text(placeholder="run id, agent, tool, error, explanation…", description="search",
                                  continuous_update=False, layout=w.Layout(width="420px"))  # fmt: skip
        self.time_range = w.SelectionRangeSlider(options=self._time_steps(), description="started",
                                                 layout=w.Layout(width="640px"))  # fmt: skip
        self.time_range.index = (0, len(self.time_range.options) - 1)
        self.count = w.HTML()
        self.run_list = w.Select(options=[], rows=12, layout=w.Layout(width="100%"))
        self.chart_output = w.Output()
        self.findings_html = w.HTML()
        self.spans_html = w.HTML()
        self.export_dir = w.Text(value=str(export_dir), description="folder")
        self.export_format = w.Dropdown(options=["png", "svg", "html"], value="png", layout=w.Layout(width="90px"))
        self.export_button = w.Button(description="Export chart", icon="download", disabled=True)
        self.export_status = w.HTML()

        for control in (self.class_filter, self.detector_filter, self.agent_filter, self.tool_filter,
                        self.failed_only, self.text_filter, self.time_range):  # fmt: skip
            control.observe(lambda _change: self.refresh(), names="value")
        self.run_list.observe(lambda change: self.show_run(change["new"]), names="value")
        self.export_button.on_click(lambda _button: self.export())

        self.widget = w.VBox(
            [
                w.HTML("<b>Run explorer</b>"),
                w.HBox([self.class_filter, self.detector_filter, self.agent_filter, self.tool_filter]),
                w.HBox([self.text_filter, self.failed_only]),
                self.time_range,
                self.count,
                self.run_list,
                self.chart_output,
                w.HBox([self.export_dir, self.export_format, self.export_button]),
                self.export_status,
                w.HTML("<b>Findings</b>"),
                self.findings_html,
                w.HTML("<b>Spans</b>"),
                self.spans_html,
            ]
        )
        self.widget.add_class("forensics-run-explorer")
        self.refresh()

    def _time_steps(self) -> list[tuple[str, datetime]]:
        times = self.runs.select(lo=pl.col("start_time").min(), hi=pl.col("start_time").max()).row(0)
        lo, hi = times
        if lo is None:
            return [("(no times)", datetime.min), ("(no times) ", datetime.max)]
        if hi == lo:
            # A range slider needs two stops; one second past the only start covers it.
            hi = lo + timedelta(seconds=1)
        step_us = max(int((hi - lo).total_seconds() * 1e6 / TIME_STEPS), 1)
        steps = pl.datetime_range(lo, hi, interval=f"{step_us}us", eager=True, time_zone="UTC")
        values = steps.to_list()
        if values[-1] < hi:
            values.append(hi)
        return [(f"{v:%m-%d %H:%M:%S}", v) for v in values]

    def criteria(self) -> dict[str, Any]:
        """The current filter values, as ``filter_runs`` keyword arguments."""
        lo, hi = self.time_range.value if self.time_range.options else (None, None)
        return {
            "failure_class": self.class_filter.value or None,
            "detector": self.detector_filter.value or None,
            "agent": self.agent_filter.value or None,
            "tool": self.tool_filter.value or None,
            "text": self.text_filter.value or None,
            "failed_only": self.failed_only.value,
            "start": lo if self.time_range.index[0] > 0 else None,
            # The last step is the latest start itself, so "up to the end" means no upper bound.
            "end": hi if self.time_range.index[1] < len(self.time_range.options) - 1 else None,
        }

    def refresh(self) -> pl.DataFrame:
        """Re-run the filter and refill the run list; returns the matching runs."""
        matched = filter_runs(self.runs, self.findings, self.index, **self.criteria())
        shown = matched.head(LIST_LIMIT).select(
            "run_id",
            label=pl.format(
                "{}  {}  {}  ({} spans, {} errors)",
                pl.col("start_time").dt.strftime("%m-%d %H:%M:%S"),
                pl.col("run_id").str.slice(0, 32),
                pl.col("primary_class").fill_null("ok"),
                pl.col("span_count"),
                pl.col("error_count"),
            ),
        )
        options = list(zip(shown.get_column("label").to_list(), shown.get_column("run_id").to_list(), strict=True))
        self.run_list.options = options
        self.count.value = f"{matched.height:,} runs match" + (
            f"; showing the first {LIST_LIMIT:,}" if matched.height > LIST_LIMIT else ""
        )
        return matched

    def show_run(self, run_id: str | None) -> None:
        """Show ``run_id``'s timeline, findings and spans (``None`` clears them)."""
        from forensics.charts import notebook_bundle, timeline_chart

        self.run_id = run_id
        self.chart = None
        self.chart_output.outputs = ()
        self.export_button.disabled = run_id is None
        if run_id is None:
            self.findings_html.value = self.spans_html.value = ""
            return
        spans = self.spans.filter(pl.col("run_id") == run_id)
        found = self.findings.filter(pl.col("run_id") == run_id)
        try:
            self.chart = timeline_chart(spans, run_id, found)
        except ForensicsError as exc:
            # A run the timeline cannot draw (no start times, say) still shows its findings and
            # spans below; the reason goes where the chart would be, not to a log nobody reads.
            self.export_button.disabled = True
            text = {"text/html": f"<pre style='color:#d62728'>{_escape(exc)}</pre>", "text/plain": str(exc)}
            self.chart_output.outputs = ({"output_type": "display_data", "data": text, "metadata": {}},)
        else:
            bundle = notebook_bundle(self.chart)
            self.chart_output.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
        self.findings_html.value = (
            _table(["class", "detector", "severity", "explanation"],
                   found.select("failure_class", "detector", "severity", "explanation").rows())  # fmt: skip
            if found.height
            else "<i>no findings: the run came out clean</i>"
        )
        cols = [c for c in ("start_time", "agent", "kind", "name", "tool", "status", "error_message", "span_id") if c in spans.columns]
        table = spans.sort("start_time", nulls_last=True).head(SPAN_TABLE_LIMIT).select(cols)
        note = f"<p>first {SPAN_TABLE_LIMIT} of {spans.height} spans</p>" if spans.height > SPAN_TABLE_LIMIT else ""
        self.spans_html.value = note + _table(cols, table.rows())

    def export(self) -> Path | None:
        """Write the current timeline to the chosen folder in the chosen format; returns the path."""
        from forensics.charts import save_chart

        if self.chart is None or self.run_id is None:
            self.export_status.value = "<i>pick a run first</i>"
            return None
        folder = Path(self.export_dir.value).expanduser()
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", self.run_id)[:80]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = save_chart(self._export_chart(), folder / f"timeline-{safe}.{self.export_format.value}",
                              redacted=self.redact_exports)
        except (ForensicsError, OSError) as exc:
            # Shown in the widget, not swallowed: the button has no other channel to the user.
            self.export_status.value = f"<span style='color:#d62728'>export failed: {_escape(exc)}</span>"
            return None
        self.export_status.value = f"wrote <code>{_escape(path)}</code>" + ("" if self.redact_exports else " (NOT redacted)")
        return path

    def _export_chart(self) -> Any:
        """The chart as exported: the on-screen one, or the same run drawn from redacted text."""
        if not self.redact_exports or self.run_id is None:
            return self.chart
        from forensics.charts import timeline_chart
        from forensics.redact import redact_frame

        spans = redact_frame(self.spans.filter(pl.col("run_id") == self.run_id))
        found = self.findings.filter(pl.col("run_id") == self.run_id)
        if found.height:
            found = redact_frame(found, columns=("explanation",))
        return timeline_chart(spans, self.run_id, found)


def run_explorer(spans: Any, runs: Any, findings: Any, *, export_dir: str | Path = "exports",
                 redact_exports: bool = True) -> Any:
    """An ipywidgets explorer: filters (class, detector, agent, tool, time range, free text), a run
    list, and for the picked run its timeline, findings and span table, with a chart export button.
    The returned widget carries the ``RunExplorer`` as ``.explorer`` for programmatic use.
    Exported charts are redacted (forensics.redact) and say so; ``redact_exports=False`` opts out."""
    explorer = RunExplorer(spans, runs, findings, export_dir=export_dir, redact_exports=redact_exports)
    explorer.widget.explorer = explorer
    return explorer.widget
