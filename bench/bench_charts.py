"""Benchmark: a 5,000-span timeline built and exported to PNG; the explorer's filter over 100,000 runs.

Targets (issue 6): timeline build + PNG export under 2 s; one filter under 200 ms. The filter is
also run as the equivalent DuckDB SQL over the same Arrow tables, in the same process, for a ratio.

    .venv/bin/python bench/bench_charts.py [--runs 100000] [--spans 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from forensics.charts import save_chart, timeline_chart
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA, SPAN_SCHEMA
from forensics.widgets import build_run_index, filter_runs

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
CLASSES = ["context_collapse", "ownership_gap", "missing_fallback", "silent_failure"]
DETECTORS = ["repeated_action", "dangling_handoff", "unhandled_error", "swallowed_error"]
AGENTS = ["planner", "triage", "billing", "research", "writer", "support", "router", "coder"]
TOOLS = ["crm.lookup", "refund", "send_email", "search", "create_ticket", "kb.query"]


def conform(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """Fill the columns the benchmark does not vary with nulls and cast to the schema."""
    table = frame.to_arrow()
    cols = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
            for f in schema]  # fmt: skip
    return pa.Table.from_arrays(cols, schema=schema)


def big_run(n: int) -> tuple[pa.Table, pa.Table]:
    """One run of ``n`` spans over 4 agents: agent spans, model calls, tools, some errors, handoffs."""
    i = pl.int_range(0, n, eager=True)
    kind = pl.Series(["agent", "llm", "tool", "tool", "llm", "tool", "handoff", "tool"])
    frame = pl.DataFrame({"i": i}).with_columns(
        run_id=pl.lit("bench-run"),
        span_id=pl.format("s{}", pl.col("i")),
        kind=pl.col("i").map_batches(lambda s: kind.gather(s % len(kind)), return_dtype=pl.String),
        agent=pl.format("agent-{}", pl.col("i") % 4),
        start_time=pl.lit(T0) + pl.duration(milliseconds=pl.col("i") * 40),
        status=pl.when(pl.col("i") % 97 == 0).then(pl.lit("error")).otherwise(pl.lit("ok")),
        source_format=pl.lit("bench"), source_file=pl.lit("bench"), source_line=pl.col("i") + 1,
    ).with_columns(
        name=pl.format("{} {}", pl.col("kind"), pl.col("i")),
        tool=pl.when(pl.col("kind") == "tool").then(pl.lit("search")),
        handoff_to=pl.when(pl.col("kind") == "handoff").then(pl.format("agent-{}", (pl.col("i") + 1) % 4)),
        end_time=pl.when(pl.col("i") == n - 1).then(None)
        .otherwise(pl.col("start_time") + pl.duration(milliseconds=(pl.col("i") % 13) * 30 + 5)),
    )  # fmt: skip
    found = pl.DataFrame({
        "run_id": ["bench-run"], "failure_class": ["missing_fallback"], "detector": ["unhandled_error"],
        "severity": ["high"], "evidence_span_ids": [["s97", "s194"]], "decisive_span_id": ["s97"],
        "explanation": ["tool search failed at s97 and nothing retried it"], "policy_version": ["bench@1"],
    })  # fmt: skip
    return conform(frame, SPAN_SCHEMA), conform(found, FINDING_SCHEMA)


def fleet(n_runs: int, spans_per_run: int = 6) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """``n_runs`` runs, their findings (a third of runs fail) and spans, all built columnar."""
    r = pl.int_range(0, n_runs, eager=True)
    runs = pl.DataFrame({"r": r}).with_columns(
        run_id=pl.format("run-{}", pl.col("r")),
        start_time=pl.lit(T0) + pl.duration(seconds=pl.col("r") * 3),
        agents=pl.concat_list(pl.lit(AGENTS).list.get(pl.col("r") % 8), pl.lit(AGENTS).list.get((pl.col("r") // 8) % 8)),
        failing=pl.col("r") % 3 == 0,
        cls=pl.lit(CLASSES).list.get(pl.col("r") % 4),
        span_count=pl.lit(spans_per_run, pl.Int64),
        error_count=(pl.col("r") % 5 == 0).cast(pl.Int64),
    ).with_columns(
        classes=pl.when(pl.col("failing")).then(pl.concat_list("cls")).otherwise(pl.lit([], pl.List(pl.String))),
        primary_class=pl.when(pl.col("failing")).then(pl.col("cls")),
        ok=~pl.col("failing"),
    )
    findings = runs.filter(pl.col("failing")).select(
        "run_id", failure_class="cls", detector=pl.lit(DETECTORS).list.get(pl.col("r") % 4),
        severity=pl.lit("high"), explanation=pl.format("tool {} failed with HTTP 429 in run {}",
                                                      pl.lit(TOOLS).list.get(pl.col("r") % 6), pl.col("r")),
    )  # fmt: skip
    s = pl.int_range(0, n_runs * spans_per_run, eager=True)
    spans = pl.DataFrame({"s": s}).with_columns(
        run_id=pl.format("run-{}", pl.col("s") // spans_per_run),
        span_id=pl.format("s{}", pl.col("s") % spans_per_run),
        start_time=pl.lit(T0) + pl.duration(milliseconds=pl.col("s") * 500),
        session_id=pl.format("sess-{}", pl.col("s") // (spans_per_run * 4)),
        name=pl.format("step {}", pl.col("s") % spans_per_run),
        agent=pl.lit(AGENTS).list.get((pl.col("s") // spans_per_run) % 8),
        tool=pl.lit(TOOLS).list.get(pl.col("s") % 6),
        error_type=pl.when(pl.col("s") % 50 == 0).then(pl.lit("HTTP 429")),
        error_message=pl.when(pl.col("s") % 50 == 0).then(pl.lit("Too Many Requests")),
    )
    runs_t = pl.from_arrow(conform(runs, RUN_SCHEMA))
    found_t = pl.from_arrow(conform(findings, FINDING_SCHEMA))
    return runs_t, found_t, spans  # type: ignore[return-value]


def run_sql(con: Any, query: str) -> Any:
    return con.sql(query).to_arrow_table()


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


def fmt(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:8.1f} ms  (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--spans", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    spans, found = big_run(args.spans)
    out = Path(tempfile.mkdtemp()) / "timeline.png"
    t_build, chart = timed(lambda: timeline_chart(spans, "bench-run", found, stall_seconds=60).to_dict(), args.repeat)
    t_all, _ = timed(lambda: save_chart(timeline_chart(spans, "bench-run", found, stall_seconds=60), out), args.repeat)
    bars = next(layer for layer in chart["layer"] if layer["mark"]["type"] == "bar")
    print(f"timeline of {args.spans:,} spans: {len(chart['datasets'][bars['data']['name']])} bars drawn, spec {len(str(chart)) / 1e3:.0f} kB")
    print(f"  build spec            {fmt(t_build)}")
    print(f"  build + export PNG    {fmt(t_all)}   target < 2000 ms; {out.stat().st_size / 1e3:.0f} kB PNG")

    runs, findings, fleet_spans = fleet(args.runs)
    t_index, index = timed(lambda: build_run_index(fleet_spans, findings), 1)
    print(f"explorer over {args.runs:,} runs ({fleet_spans.height:,} spans, {findings.height:,} findings):")
    print(f"  build_run_index (once) {fmt(t_index)}")
    cases: dict[str, dict[str, Any]] = {
        "class": {"failure_class": "silent_failure"},
        "detector": {"detector": "dangling_handoff"},
        "agent + tool": {"agent": "billing", "tool": "refund"},
        "time range": {"start": T0.replace(hour=12), "end": T0.replace(hour=18)},
        "free text": {"text": "http 429 in run 9999"},
        "all six": {"failure_class": "ownership_gap", "detector": "dangling_handoff", "agent": "triage",
                    "tool": "search", "start": T0.replace(hour=1), "text": "429"},
    }  # fmt: skip
    import duckdb

    con = duckdb.connect()
    con.register("runs", runs.to_arrow())
    con.register("findings", findings.to_arrow())
    con.register("idx", index.to_arrow())
    sql = {
        "class": "select * from runs where list_contains(classes, 'silent_failure') order by start_time, run_id",
        "detector": "select * from runs where run_id in (select run_id from findings where detector = 'dangling_handoff') order by start_time, run_id",
        "agent + tool": "select * from runs where list_contains(agents, 'billing') and run_id in (select run_id from idx where list_contains(tools, 'refund')) order by start_time, run_id",
        "time range": f"select * from runs where start_time >= '{T0.replace(hour=12).isoformat()}' and start_time <= '{T0.replace(hour=18).isoformat()}' order by start_time, run_id",
        "free text": "select * from runs where run_id in (select run_id from idx where contains(text, 'http 429 in run 9999')) order by start_time, run_id",
        "all six": f"select * from runs where list_contains(classes, 'ownership_gap') and list_contains(agents, 'triage') and start_time >= '{T0.replace(hour=1).isoformat()}' and run_id in (select run_id from findings where detector = 'dangling_handoff') and run_id in (select run_id from idx where list_contains(tools, 'search') and contains(text, '429')) order by start_time, run_id",
    }  # fmt: skip
    for name, criteria in cases.items():
        t, got = timed(partial(filter_runs, runs, findings, index, **criteria), args.repeat)
        td, ref = timed(partial(run_sql, con, sql[name]), args.repeat)
        assert got.height == ref.num_rows, (name, got.height, ref.num_rows)  # same answer, or the ratio is meaningless
        ratio = statistics.median(t) / statistics.median(td)
        print(f"  filter {name:<14} {fmt(t)}  -> {got.height:>6,} runs; duckdb {statistics.median(td) * 1000:.1f} ms (x{ratio:.2f})")
    print("  target < 200 ms per filter")
    from forensics.widgets import RunExplorer

    t_make, explorer = timed(lambda: RunExplorer(fleet_spans, runs, findings), 1)
    explorer.class_filter.value = ""
    t_refresh, _ = timed(lambda: explorer.refresh(), args.repeat)
    print(f"  explorer built once  {fmt(t_make)}; refresh (filter + list of 500 runs) {fmt(t_refresh)}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
