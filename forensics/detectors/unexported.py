"""A run that never ended, as an OpenTelemetry export shows it, for ``missing_fallback.stall``.

The OpenTelemetry SDK hands a span to its exporter only when the span ends
(opentelemetry-python ``SpanProcessor.on_end``; ``BatchSpanProcessor.on_end`` queues the ended span,
its worker exports the queue every ``schedule_delay``): a root and a tool call that never ended are
missing from the export while their finished children, the model calls, still name the root as
their parent. But the same picture is a run still in progress: the batch processor exports what has
ended every few seconds, and a file cut while the run works holds its finished children and no root
yet. What tells them apart is the export's own clock: the latest time anything in the same file
reached (another run's spans, exported later). A run whose last exported work ended more than
``stall_seconds`` before it went quiet in a process that went on exporting: it hung. Without such a
clock, only a run whose last exported work failed is judged (it went quiet after an error, the
TAXONOMY's stall); a run whose last work succeeded may simply be running, and is not reported,
unless it is the only run in its file (an incident's trace pulled or exported alone): then nothing
shows it running on, and its parents that never ended are the record.

A Phoenix export of OpenInference spans is the same record: Phoenix stores what the application's
OTel exporter sent it (``phoenix.otel.register`` installs a span processor over an OTLP exporter),
ended spans only. And a framework's own steps show the parent that never ended as well as its model
calls do: the OpenInference LlamaIndex span handler opens each dispatcher span (a workflow step,
``Workflow.step``) in the context of its open parent span (``Workflow.run``) in the same process
(openinference-instrumentation-llama-index ``_handler.py`` ``new_span``: ``context=parent.context``
when ``parent_span_id`` is open; the span ends in ``prepare_to_exit_span``), so two or more steps
under one parent absent from the export are the steps of a run whose own span never ended. A
remote parent (a service span in another process) has one span of this process under it.

A run whose own root was exported, did not fail, and ended after all the work under it did not hang:
its process lived on, the code that held the span that never ended returned to the root's (by
raising: OpenInference's smolagents ``_RunWrapper`` records the exception ``agent.run`` raised and
re-raises it without ending the run span, Arize-ai/openinference
openinference-instrumentation-smolagents ``_wrappers.py``), and the root's end is the run's end (a
FastAPI handler's server span that caught the exception, ran the agent again and answered 200). The
failure that was raised is the error rules' to judge. A root that ended before the work under it
(a handler that answered 202 and left the agent working) says nothing of that work.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context, hms, num, txt

#: Source formats written by an OpenTelemetry exporter (a span exported only once it ended).
OTEL_EXPORTS: Final = ("otlp-json", "otel-sdk-json", "otel-clickhouse", "openinference")


def unexported_runs(ctx: Context) -> pl.DataFrame:
    """``run_id``: the runs that never ended as their export shows it (``unexported_hangs`` at the
    policy's ``stall_seconds``, not the runs already open by their root): built once per
    classification. A later run of the session that does their work again is a restart."""

    def build() -> pl.DataFrame:
        open_runs = ctx.runs.lazy().filter(pl.col("reported_outcome") == "open").select("run_id")
        return unexported_hangs(ctx, ctx.policy.stall_seconds, open_runs).select("run_id").unique().collect()

    return ctx.once("unexported_runs", build)


def _answered_after(s: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id``: runs whose exported root (no parent at all) did not fail and ended at or after the
    end of every other span of the run (see the module docs)."""
    end = pl.coalesce("end_time", "t")
    roots = (
        s.filter(pl.col("parent_id").is_null() & pl.col("end_time").is_not_null() & ~pl.col("failed"))
        .group_by("run_id")
        .agg(pl.col("end_time").max().alias("_root_end"))
    )
    work = s.filter(pl.col("parent_id").is_not_null()).group_by("run_id").agg(end.max().alias("_work_end"))
    return roots.join(work, on="run_id").filter(pl.col("_root_end") >= pl.col("_work_end")).select("run_id")


def unexported_hangs(ctx: Context, stall_s: float, open_runs: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, seq, why``: runs of an OpenTelemetry export with model or tool calls under
    a parent absent from it (not runs already ``open_runs``), that went quiet: their last exported
    work failed, or the file's latest time is more than ``stall_s`` past that work's end. The span
    is the last work exported (not an HTTP request inside a call: the call)."""
    s = ctx.spans.lazy()
    ids = s.select("run_id", pl.col("span_id").alias("parent_id"))
    works = s.filter(pl.col("kind").is_in(["llm", "tool"])).select("run_id").unique()
    orphaned = (
        s.filter(pl.col("parent_id").is_not_null() & pl.col("source_format").is_in(list(OTEL_EXPORTS)))
        .join(ids, on=["run_id", "parent_id"], how="anti")
        .join(open_runs.select("run_id"), on="run_id", how="anti")
        .join(_answered_after(s), on="run_id", how="anti")
        .filter(
            # Agent work under it (a model or tool call): not a service span whose parent lives in
            # another process (a remote parent, never in this export).
            pl.col("kind").is_in(["llm", "tool"])
            # Or two steps or more of one run under it, in a run that did agent work: the steps of
            # a run whose own span never ended (a remote parent has one span of this process under it).
            | ((pl.len().over("run_id", "parent_id") > 1) & pl.col("run_id").is_in(works.collect().get_column("run_id").implode()))
        )
        .select("run_id", "parent_id")
        .unique()
    )
    # The export's clock: the latest time any span of the same file reached.
    clock = s.group_by("source_file").agg(
        pl.max_horizontal("t", "end_time").max().alias("_export_t"), pl.col("run_id").n_unique().alias("_file_runs")
    )
    last = (
        s.join(orphaned.select("run_id").unique(), on="run_id", how="semi")
        # An HTTP request under a call is part of that call (the call is what hung).
        .filter(~pl.col("http_attempt").fill_null(False))
        .with_columns(pl.max_horizontal("t", "end_time").max().over("run_id").alias("_quiet_from"))
        .sort("run_id", "seq")
        .group_by("run_id")
        .agg(pl.all().last())
        .join(clock, on="source_file", how="left", nulls_equal=True)
        .with_columns(((pl.col("_export_t") - pl.col("_quiet_from")).dt.total_milliseconds() / 1000).alias("_quiet_s"))
        .filter(
            pl.col("failed")
            | (pl.col("_quiet_s") > stall_s).fill_null(False)
            # The run is all its file holds (an incident's trace, exported or pulled alone): no other
            # run can show the export was still going, and none shows it stopped; the parents that
            # never ended are the record, as they were before the file's clock was read.
            | (pl.col("_file_runs") == 1).fill_null(False)
        )
    )
    quiet = (
        pl.when(pl.col("_quiet_s") > stall_s)
        .then(pl.format("; the export went on for {} s after it", num(pl.col("_quiet_s"))))
        .when(pl.col("_file_runs") == 1)
        .then(pl.lit("; it is the only run in its file, and nothing after that work was exported"))
        .otherwise(pl.lit(""))
    )
    # One of the parents that never ended, the same one every time (the smallest id: ``orphaned``
    # is a unique() of no fixed order, and its first row changed from run to run).
    return last.join(orphaned.group_by("run_id").agg(pl.col("parent_id").min().alias("_missing")), on="run_id").select(
        "run_id",
        "span_id",
        "seq",
        pl.format(
            "the run never ended: span {} never ended, so it was never exported while the spans under "
            "it were; the last work exported was {} {} started at {}{}",
            pl.col("_missing"), pl.col("kind"), txt(pl.col("call")), hms("t"), quiet,
        ).alias("why"),
    )  # fmt: skip
