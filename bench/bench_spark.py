"""Benchmark: one generated night as a partitioned span dataset, classified on one process and on Spark.

    .venv/bin/python bench/bench_spark.py --runs 10000 --chunk-runs 5000 --workdir /tmp/bench_spark  # validate
    .venv/bin/python bench/bench_spark.py --runs 1000000 --workdir /tmp/bench_spark --json-out /tmp/bench_spark_1m.json
    # or in two steps (the night is built once, ~35 min on 2 busy cores; classified as often as wanted):
    .venv/bin/python bench/bench_spark.py --runs 1000000 --workdir /tmp/bench_spark --stage gen --keep
    .venv/bin/python bench/bench_spark.py --runs 1000000 --workdir /tmp/bench_spark --stage classify --keep \
        --only duckdb,polars,spark,single --spark-partitions 64 --spark-master 'local[2]'

Figures measured with it, and how to size a cluster from them: docs/SPARK_SIZING.md.

Stages (each measurement in its own fresh child process, so every peak memory is its own):

``gen``
    `forensics.synth.generate` writes ``--chunk-runs`` runs of OTel JSON-lines at a time (a new seed
    per chunk, so run ids never repeat), `forensics.load` reads the chunk, `forensics.dataset.append_load`
    appends it to the Hive-partitioned dataset, and the chunk file is deleted: neither the JSON nor the
    span table of the whole night is ever held at once. Printed: seconds per step, spans, JSON bytes
    written and deleted, Parquet bytes per table, bytes per span on disk and in Arrow memory, buckets.

``classify`` (on the same dataset, in the same run)
    (a) DuckDB reading the spans dataset (`count(*)`, `count(DISTINCT run_id)`, and a group-by of
    `run_id` with a few aggregates): the reference reader, which decides nothing; (b) the same with polars `scan_parquet`; (c)
    `forensics.dataset.classify_dataset`, one process, bucket by bucket; (d)
    `forensics.spark.classify_dataset_spark` on Spark ``local[2]`` (``--spark-master``), with
    ``--spark-partitions`` (64) partitions of the grouping key and the JVM's heap set explicitly
    (``--spark-heap``, 4g by default: the JVM stays under 6 GB resident on a 24 GiB machine shared with
    other work). Spark's UI is switched on for this benchmark only, to read per-stage shuffle bytes and
    records from its REST API (``/api/v1/applications/<id>/stages``). Printed: seconds, ratio vs DuckDB,
    peak memory (``VmHWM`` / ``getrusage`` of the process, and the sampled peak of the whole process tree:
    the JVM and Spark's Python workers are descendants), runs/s; then whether (c) and (d) found the
    same runs and findings (counts and an order-independent digest of the rows).

A benchmark, not a test: nothing here asserts; a mismatch between (c) and (d) is printed as such and
the exit status is 1. The dataset is deleted at the end unless ``--keep`` (``--stage gen`` keeps it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MB = 1024 * 1024


# --- memory -----------------------------------------------------------------------------------------


def _status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_self_mb() -> float:
    """This process's peak resident memory: VmHWM (reset by exec, unlike ru_maxrss), else getrusage."""
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_children_mb() -> float:
    """The largest terminated-and-waited-for descendant's peak (getrusage RUSAGE_CHILDREN)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _tree_rss_psutil() -> dict[str, float]:
    import psutil

    me = psutil.Process()
    out = {"self": me.memory_info().rss / MB, "java": 0.0, "other": 0.0, "one_other": 0.0}
    for child in me.children(recursive=True):
        try:
            rss = child.memory_info().rss / MB
            kind = "java" if child.name() == "java" else "other"
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # ended between listing and reading: it holds no memory any more
        out[kind] += rss
        if kind == "other":
            out["one_other"] = max(out["one_other"], rss)
    return out


def _tree_rss_proc() -> dict[str, float]:
    """The same as `_tree_rss_psutil` from /proc, when psutil is not installed."""
    page = os.sysconf("SC_PAGE_SIZE")
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # comm is in parentheses and may hold spaces: the fields after the last ')' are fixed.
        names[int(entry)] = stat[stat.index("(") + 1 : stat.rindex(")")]
        parents[int(entry)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    me = os.getpid()
    tree, frontier = set(), [me]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid and p not in tree]
        tree.update(kids)
        frontier.extend(kids)
    out = {"self": 0.0, "java": 0.0, "other": 0.0, "one_other": 0.0}
    for pid in [me, *tree]:
        try:
            rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page / MB
        except OSError:
            continue
        kind = "self" if pid == me else "java" if names.get(pid) == "java" else "other"
        out[kind] += rss
        if kind == "other":
            out["one_other"] = max(out["one_other"], rss)
    return out


def tree_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process, its live descendants and the
    descendants they have reaped: on a machine shared with other work, CPU time says more than
    wall time about what a step costs."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        me = psutil.Process()
        total = 0.0
        for proc in [me, *me.children(recursive=True)]:
            try:
                t = proc.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            total += t.user + t.system + t.children_user + t.children_system
        return total
    tick = os.sysconf("SC_CLK_TCK")
    stat = Path("/proc/self/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime (this process only)


class TreeMemory:
    """Samples the resident memory of this process and all its descendants (Spark's JVM, its Python
    workers, the loader's reader processes) every `interval` seconds; keeps the peaks.

    The sum over processes counts pages shared between forked workers more than once: an upper bound.
    """

    def __init__(self, interval: float = 0.25) -> None:
        try:
            import psutil  # noqa: F401

            self.sample: Callable[[], dict[str, float]] = _tree_rss_psutil
            self.via = "psutil"
        except ImportError:
            self.sample = _tree_rss_proc
            self.via = "/proc"
        self.interval = interval
        self.peak = {"total": 0.0, "self": 0.0, "java": 0.0, "other": 0.0, "one_other": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _take(self) -> None:
        now = self.sample()
        now["total"] = now["self"] + now["java"] + now["other"]  # one_other is inside other
        for key, value in now.items():
            self.peak[key] = max(self.peak[key], value)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._take()

    def __enter__(self) -> TreeMemory:
        self._cpu0 = tree_cpu_seconds()
        self._take()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._take()
        self.cpu_seconds = tree_cpu_seconds() - self._cpu0

    def figures(self) -> dict[str, Any]:
        return {
            "peak_tree_mb": self.peak["total"],
            "peak_jvm_mb": self.peak["java"],
            "peak_other_children_mb": self.peak["other"],
            "peak_one_other_child_mb": self.peak["one_other"],  # e.g. the biggest Spark Python worker
            "tree_sampled_via": self.via,
            "cpu_seconds": self.cpu_seconds,
        }


# --- the dataset on disk ----------------------------------------------------------------------------


def dataset_figures(root: Path) -> dict[str, Any]:
    """Bytes and files per table; rows and bytes per bucket of the spans table (Parquet footers only)."""
    import pyarrow.parquet as pq

    tables: dict[str, dict[str, int]] = {}
    buckets: dict[str, dict[str, int]] = {}
    for table_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        files = sorted(table_dir.rglob("*.parquet"))
        tables[table_dir.name] = {"files": len(files), "bytes": sum(f.stat().st_size for f in files)}
        if table_dir.name != "spans":
            continue
        for f in files:
            key = str(f.parent.relative_to(table_dir))  # date=.../bucket=...
            b = buckets.setdefault(key, {"rows": 0, "bytes": 0, "files": 0})
            b["rows"] += pq.read_metadata(f).num_rows
            b["bytes"] += f.stat().st_size
            b["files"] += 1
    rows = [b["rows"] for b in buckets.values()] or [0]
    sizes = [b["bytes"] for b in buckets.values()] or [0]
    return {
        "tables": tables,
        "buckets": len(buckets),
        "bucket_rows_max": max(rows),
        "bucket_rows_mean": sum(rows) / len(rows),
        "bucket_bytes_max": max(sizes),
        "bucket_bytes_mean": sum(sizes) / len(sizes),
        "files_per_bucket_max": max((b["files"] for b in buckets.values()), default=0),
    }


# --- children: one measurement each ------------------------------------------------------------------


def child_gen(args: argparse.Namespace) -> dict[str, Any]:
    """Generate, load and append chunk by chunk; never the whole night in memory or in one file."""
    from forensics import dataset
    from forensics.load import load
    from forensics.synth import generate

    workdir = Path(args.workdir)
    root = workdir / "dataset"
    steps = {"generate": 0.0, "load": 0.0, "append": 0.0}
    spans = json_bytes = arrow_bytes_max = arrow_bytes_total = quarantined = 0
    chunks = math.ceil(args.runs / args.chunk_runs)
    started = time.perf_counter()
    with TreeMemory() as tree:
        for k in range(chunks):
            n = min(args.chunk_runs, args.runs - k * args.chunk_runs)
            path = workdir / f"chunk-{k:04d}.jsonl"
            t0 = time.perf_counter()
            labels = generate(n, path, format="otel-sdk-json", seed=args.seed + k, workers=args.gen_workers)
            t1 = time.perf_counter()
            json_bytes += path.stat().st_size
            result = load(path)
            t2 = time.perf_counter()
            # In clear: the detectors need the text as logged (a redacted dataset is refused).
            dataset.append_load(result, root, n_buckets=args.n_buckets if k == 0 else None, redact=False)
            t3 = time.perf_counter()
            steps["generate"] += t1 - t0
            steps["load"] += t2 - t1
            steps["append"] += t3 - t2
            spans += result.spans.num_rows
            quarantined += result.quarantine.num_rows
            arrow_bytes_total += result.spans.nbytes
            arrow_bytes_max = max(arrow_bytes_max, result.spans.nbytes)
            del result
            path.unlink()
            labels.unlink()
            print(f"  chunk {k + 1}/{chunks}: {n:,} runs, generate {t1 - t0:.1f} s, load {t2 - t1:.1f} s, "
                  f"append {t3 - t2:.1f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    figures = dataset_figures(root)
    return {
        "seconds": seconds, "steps": steps, "runs": args.runs, "spans": spans, "quarantined": quarantined,
        "chunks": chunks, "chunk_runs": args.chunk_runs, "json_bytes": json_bytes,
        "arrow_bytes_per_span": arrow_bytes_total / max(spans, 1), "arrow_bytes_chunk_max": arrow_bytes_max,
        "dataset": figures, "peak_self_mb": peak_self_mb(), "peak_children_mb": peak_children_mb(),
        **tree.figures(),
    }


def _spans_glob(root: Path) -> str:
    return str(root / "spans" / "**" / "*.parquet")


def child_duckdb(args: argparse.Namespace) -> dict[str, Any]:
    """The reference reader: what scanning and grouping the spans costs with nothing to decide."""
    import duckdb

    src = f"read_parquet('{_spans_glob(Path(args.root))}', hive_partitioning = true)"
    con = duckdb.connect()
    with TreeMemory() as tree:
        t0 = time.perf_counter()
        spans, runs = con.execute(f"select count(*), count(distinct run_id) from {src}").fetchone() or (0, 0)
        groups = con.execute(f"""
            select count(*) from (
              select run_id, count(*) as n, min(start_time), max(end_time), sum(cost_usd),
                     count(*) filter (where status = 'error'), list(span_id)
              from {src} group by run_id)
        """).fetchone()
        seconds = time.perf_counter() - t0
    # Sizing figures, untimed: the biggest run and session are what one group holds in memory.
    biggest = con.execute(f"""
        select (select max(n) from (select count(*) as n from {src} group by run_id)),
               (select max(n) from (select count(*) as n from {src} group by coalesce(session_id, run_id))),
               (select count(distinct session_id) from {src})
    """).fetchone() or (0, 0, 0)
    return {
        "seconds": seconds, "spans": spans, "runs": runs, "groups": groups[0] if groups else None,
        "largest_run_spans": biggest[0], "largest_session_spans": biggest[1], "sessions": biggest[2],
        "peak_self_mb": peak_self_mb(), **tree.figures(),
    }


def child_polars(args: argparse.Namespace) -> dict[str, Any]:
    import polars as pl

    with TreeMemory() as tree:
        t0 = time.perf_counter()
        lf = pl.scan_parquet(_spans_glob(Path(args.root)), hive_partitioning=True)
        counts = lf.select(pl.len().alias("spans"), pl.col("run_id").n_unique().alias("runs")).collect()
        groups = (
            lf.group_by("run_id")
            .agg(pl.len(), pl.col("start_time").min(), pl.col("end_time").max(), pl.col("cost_usd").sum(),
                 (pl.col("status") == "error").sum(), pl.col("span_id"))
            .select(pl.len())
            .collect()
            .item()
        )
        seconds = time.perf_counter() - t0
    return {
        "seconds": seconds, "spans": counts["spans"][0], "runs": counts["runs"][0], "groups": groups,
        "peak_self_mb": peak_self_mb(), **tree.figures(),
    }


def _digest(values: list[str]) -> str:
    """Order-independent digest of rows rendered as text (sorted, then hashed)."""
    h = hashlib.sha256()
    for v in sorted(values):
        h.update(v.encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def classification_summary(result: Any) -> dict[str, Any]:
    """Counts and digests that two engines must agree on, whatever order they return rows in."""
    import polars as pl

    findings, runs = result.to_polars()
    f_rows = findings.select(
        pl.concat_str([pl.col("run_id"), pl.col("detector"), pl.col("decisive_span_id").fill_null("-"),
                       pl.col("evidence_span_ids").list.join(",")], separator="|")
    ).to_series().to_list()
    r_rows = runs.select(
        pl.concat_str([pl.col("run_id"), pl.col("primary_class").fill_null("ok"),
                       pl.col("decisive_span_id").fill_null("-"), pl.col("span_count").cast(pl.String),
                       pl.col("classes").list.join(",")], separator="|")
    ).to_series().to_list()
    per_class = runs.group_by(pl.col("primary_class").fill_null("ok")).len().sort("primary_class").rows()
    return {
        "result_bytes": result.findings.nbytes + result.runs.nbytes,
        "runs": runs.height, "findings": findings.height, "failed_runs": int((~runs["ok"]).sum()),
        "findings_digest": _digest(f_rows), "runs_digest": _digest(r_rows),
        "primary_classes": {str(k): int(v) for k, v in per_class},
    }


def child_single(args: argparse.Namespace) -> dict[str, Any]:
    from forensics.dataset import classify_dataset

    with TreeMemory() as tree:
        t0 = time.perf_counter()
        result = classify_dataset(args.root)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, **classification_summary(result), "peak_self_mb": peak_self_mb(),
            "peak_children_mb": peak_children_mb(), **tree.figures()}


#: What the REST API reports per stage that sizing needs (bytes and records in and out, spills).
STAGE_KEYS = (
    "stageId", "status", "numTasks", "inputBytes", "inputRecords", "shuffleWriteBytes", "shuffleWriteRecords",
    "shuffleReadBytes", "shuffleReadRecords", "outputBytes", "outputRecords", "memoryBytesSpilled",
    "diskBytesSpilled", "executorRunTime", "executorCpuTime", "jvmGcTime", "peakExecutionMemory",
)


def spark_conf(args: argparse.Namespace) -> dict[str, str]:
    """The Spark settings of this benchmark, all explicit: in local mode the driver JVM is the executor,
    so its heap is the executors' memory; the UI is on only to read shuffle figures from its REST API."""
    return {
        "spark.driver.memory": args.spark_heap,
        "spark.driver.maxResultSize": "2g",  # the findings and runs tables come back to the driver
        "spark.ui.enabled": "true",
        "spark.ui.port": str(args.spark_ui_port),
        "spark.port.maxRetries": "32",
        "spark.ui.showConsoleProgress": "false",
    }


def spark_rest(spark: Any, path: str) -> Any:
    import urllib.request

    sc = spark.sparkContext
    url = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/{path}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.load(resp)


def child_spark(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers need this venv's pyarrow
    from forensics.spark import classify_dataset_spark as classify_on_spark
    from forensics.spark import spark_session

    conf = spark_conf(args)
    with TreeMemory() as tree:
        t0 = time.perf_counter()
        spark = spark_session(master=args.spark_master, **conf)
        t1 = time.perf_counter()
        # write=False: the benchmark times classification, as for (c); the dataset stays as generated.
        result = classify_on_spark(args.root, spark=spark, partitions=args.spark_partitions, write=False)
        t2 = time.perf_counter()
        stages = [{k: s.get(k) for k in STAGE_KEYS} | {"name": str(s.get("name", ""))[:60]}
                  for s in spark_rest(spark, "stages") if s.get("status") == "COMPLETE"]
        executors = [{"id": e.get("id"), "maxMemory": e.get("maxMemory"), "peak": e.get("peakMemoryMetrics")}
                     for e in spark_rest(spark, "executors")]
        jvm_conf = {k: spark.conf.get(k) for k in ("spark.driver.memory", "spark.sql.shuffle.partitions",
                                                    "spark.master")}
    spark.stop()  # after the CPU figure: stopping kills the Python workers whose time it counts
    return {
        "seconds": t2 - t1, "session_seconds": t1 - t0, **classification_summary(result), "stages": stages,
        "executors": executors, "conf": jvm_conf, "partitions": args.spark_partitions, "peak_self_mb": peak_self_mb(),
        "peak_children_mb": peak_children_mb(), **tree.figures(),
    }


CHILDREN: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "gen": child_gen, "duckdb": child_duckdb, "polars": child_polars, "single": child_single, "spark": child_spark,
}


# --- the parent: run children, print figures ----------------------------------------------------------


def run_child(name: str, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its last stdout line is its JSON figures."""
    out = Path(args.workdir) / f"figures-{name}.json"
    cmd = [sys.executable, __file__, "--child", name, "--root", str(root), "--child-out", str(out),
           *_passthrough(args)]
    print(f"[{time.strftime('%H:%M:%S')}] {name} ...", file=sys.stderr, flush=True)
    env = {**os.environ, "FORENSICS_WORKERS": str(args.load_workers)}
    subprocess.run(cmd, check=True, env=env)
    figures: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return figures


def _passthrough(args: argparse.Namespace) -> list[str]:
    return [
        "--runs", str(args.runs), "--workdir", str(args.workdir), "--chunk-runs", str(args.chunk_runs),
        "--seed", str(args.seed), "--load-workers", str(args.load_workers), "--n-buckets", str(args.n_buckets), "--gen-workers", str(args.gen_workers), "--spark-heap", args.spark_heap,
        "--spark-master", args.spark_master, "--spark-partitions", str(args.spark_partitions), "--spark-ui-port", str(args.spark_ui_port),
    ]


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def print_gen(g: dict[str, Any]) -> None:
    d = g["dataset"]
    spans_bytes = d["tables"].get("spans", {}).get("bytes", 0)
    print(f"\n== generate + load + append: {g['runs']:,} runs, {g['spans']:,} spans in {g['chunks']} chunks "
          f"of {g['chunk_runs']:,} runs")
    s = g["steps"]
    print(f"  wall {g['seconds']:.1f} s (generate {s['generate']:.1f} s, load {s['load']:.1f} s, "
          f"append {s['append']:.1f} s); {g['spans'] / g['seconds']:,.0f} spans/s end to end")
    print(f"  JSON written and deleted: {_gb(g['json_bytes'])} ({g['json_bytes'] / max(g['spans'], 1):.0f} B/span); "
          f"quarantined {g['quarantined']:,}")
    print(f"  Arrow in memory: {g['arrow_bytes_per_span']:.0f} B/span "
          f"(largest chunk table {_gb(g['arrow_bytes_chunk_max'])})")
    for name, t in d["tables"].items():
        print(f"  Parquet {name}: {_gb(t['bytes'])} in {t['files']:,} files")
    print(f"  Parquet spans: {spans_bytes / max(g['spans'], 1):.1f} B/span; {d['buckets']} buckets, "
          f"largest {d['bucket_rows_max']:,} rows / {_gb(d['bucket_bytes_max'])} "
          f"(mean {d['bucket_rows_mean']:,.0f} rows / {_gb(d['bucket_bytes_mean'])}), "
          f"up to {d['files_per_bucket_max']} files per bucket")
    print(f"  peak memory: process {g['peak_self_mb']:,.0f} MB, largest reader child {g['peak_children_mb']:,.0f} MB, "
          f"whole tree (sampled) {g['peak_tree_mb']:,.0f} MB")


def print_classify(res: dict[str, dict[str, Any]]) -> bool:
    first = next(iter(res.values()))
    ref = res["duckdb"]["seconds"] if "duckdb" in res else float("nan")
    runs = int(first["runs"])
    labels = {
        "duckdb": "(a) DuckDB scan + group-by run_id",
        "polars": "(b) polars scan_parquet + group-by",
        "single": "(c) classify_dataset, one process",
        "spark": f"(d) classify_dataset_spark {res.get('spark', {}).get('conf', {}).get('spark.master', '')}",
    }
    print(f"\n== on the same dataset ({runs:,} runs)")
    print(f"  {'':38} {'seconds':>9} {'vs DuckDB':>10} {'runs/s':>10} {'CPU s':>8} {'peak proc':>10} "
          f"{'peak tree':>10} {'JVM':>8}")
    for name, r in res.items():
        jvm = f"{r['peak_jvm_mb']:,.0f}M" if r.get("peak_jvm_mb") else "-"
        ratio = f"{r['seconds'] / ref:.1f}x" if "duckdb" in res else "-"
        print(f"  {labels[name]:38} {r['seconds']:9.1f} {ratio:>10} {runs / r['seconds']:10,.0f} "
              f"{r['cpu_seconds']:8.1f} {r['peak_self_mb']:9,.0f}M {r['peak_tree_mb']:9,.0f}M {jvm:>8}")
    d = res.get("duckdb", {})
    if d:
        print(f"  {d['spans']:,} spans; largest run {d['largest_run_spans']:,} spans; "
              f"largest session {d['largest_session_spans']:,} spans; {d['sessions']:,} sessions")
    same = True
    s = res.get("spark")
    if s:
        print(f"  Spark session start {s['session_seconds']:.1f} s (not in its seconds); conf {s['conf']}; "
              f"{s['partitions']} partitions; results collected on the driver {_gb(s.get('result_bytes', 0))} (Arrow)")
        print(f"  Spark Python workers: peak {s['peak_other_children_mb']:,.0f} MB together, "
              f"largest one {s.get('peak_one_other_child_mb', 0):,.0f} MB; JVM {s['peak_jvm_mb']:,.0f} MB resident")
    if "single" in res and s:
        c = res["single"]
        print("\n== same results?")
        for key in ("runs", "findings", "failed_runs", "runs_digest", "findings_digest", "primary_classes"):
            ok = c[key] == s[key]
            same &= ok
            print(f"  {key:16} one process {c[key]!s:24} spark {s[key]!s:24} {'same' if ok else 'DIFFERENT'}")
    if s:
        print_shuffle(s)
    return same


def print_shuffle(s: dict[str, Any]) -> None:
    print("\n== Spark stages (REST API /api/v1/applications/<id>/stages, completed stages)")
    print(f"  {'stage':>5} {'tasks':>5} {'input':>10} {'in rows':>11} {'shuf write':>10} {'w rows':>11} "
          f"{'shuf read':>10} {'r rows':>11} {'spill mem':>9} {'spill disk':>10} {'run s':>7} {'peak exec':>9}  name")
    for st in sorted(s["stages"], key=lambda x: x["stageId"]):
        print(f"  {st['stageId']:5} {st['numTasks']:5} {_gb(st['inputBytes']):>10} {st['inputRecords']:11,} "
              f"{_gb(st['shuffleWriteBytes']):>10} {st['shuffleWriteRecords']:11,} {_gb(st['shuffleReadBytes']):>10} "
              f"{st['shuffleReadRecords']:11,} {_gb(st['memoryBytesSpilled']):>9} {_gb(st['diskBytesSpilled']):>10} "
              f"{st['executorRunTime'] / 1000:7.1f} {_gb(st['peakExecutionMemory']):>9}  {st['name']}")
    for st in sorted(s["stages"], key=lambda x: x["stageId"]):
        rows = max(st["inputRecords"], st["shuffleReadRecords"])
        if rows:
            # Task time is wall time of the task threads (it includes waiting for the Python worker and,
            # on a busy machine, for a core); executorCpuTime is the JVM's own CPU only.
            print(f"  stage {st['stageId']}: {st['executorRunTime'] / 1000 / rows * 1e6:,.0f} task-seconds and "
                  f"{(st.get('executorCpuTime') or 0) / 1e9 / rows * 1e6:,.0f} JVM CPU seconds per million rows "
                  f"({rows / max(st['numTasks'], 1):,.0f} rows per task; GC {(st.get('jvmGcTime') or 0) / 1000:.1f} s)")
    w = sum(st["shuffleWriteBytes"] for st in s["stages"])
    wr = sum(st["shuffleWriteRecords"] for st in s["stages"])
    r = sum(st["shuffleReadBytes"] for st in s["stages"])
    print(f"  total shuffle write {_gb(w)} ({wr:,} records, {w / max(wr, 1):.0f} B/record); read {_gb(r)}")
    for e in s["executors"]:
        peak = e.get("peak") or {}
        print(f"  executor {e['id']}: storage+execution pool {_gb(e['maxMemory'] or 0)}, peak JVM heap "
              f"{_gb(peak.get('JVMHeapMemory', 0))}, off-heap {_gb(peak.get('JVMOffHeapMemory', 0))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--workdir", default="/tmp/bench_spark")
    parser.add_argument("--keep", action="store_true", help="keep the dataset after the run")
    parser.add_argument("--chunk-runs", type=int, default=50_000, help="runs generated and appended at a time")
    parser.add_argument("--stage", choices=("gen", "classify", "all"), default="all")
    parser.add_argument("--seed", type=int, default=0, help="chunk k is generated with seed + k")
    parser.add_argument("--n-buckets", type=int, default=64, help="buckets of the new dataset")
    parser.add_argument("--gen-workers", type=int, default=1, help="generator processes per chunk")
    parser.add_argument("--load-workers", type=int, default=1,
                        help="FORENSICS_WORKERS for load (1: on a busy 2-core machine a second reader only adds spawn cost)")
    parser.add_argument("--spark-heap", default="4g", help="spark.driver.memory (local mode: the executors' heap)")
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--spark-partitions", type=int, default=64,
                        help="shuffle partitions of the grouping key (one classify() call each; default: as many as buckets)")
    parser.add_argument("--spark-ui-port", type=int, default=4050)
    parser.add_argument("--only", default="duckdb,polars,single,spark",
                        help="classify-stage measurements, run in this order (duckdb, polars, single, spark)")
    parser.add_argument("--json-out", help="also write every figure to this JSON file")
    parser.add_argument("--child", choices=tuple(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    unknown = [n for n in args.only.split(",") if n not in CHILDREN or n == "gen"]
    if unknown:
        parser.error(f"--only: unknown measurement(s) {', '.join(unknown)}; choose from duckdb, polars, single, spark")

    if args.child:
        figures = CHILDREN[args.child](args)
        Path(args.child_out).write_text(json.dumps(figures, default=str))
        return 0

    workdir = Path(args.workdir)
    root = workdir / "dataset"
    all_figures: dict[str, Any] = {"runs": args.runs, "argv": sys.argv}
    same = True
    if args.stage in ("gen", "all"):
        if root.exists():
            shutil.rmtree(root)  # appending to an older night would double it
        workdir.mkdir(parents=True, exist_ok=True)
        gen = run_child("gen", args, root)
        (workdir / "gen.json").write_text(json.dumps(gen))
        all_figures["gen"] = gen
        print_gen(gen)
    if args.stage in ("classify", "all"):
        if not (root / "spans").is_dir():
            print(f"error: no spans dataset under {root}\nHint: run --stage gen (or all) first.", file=sys.stderr)
            return 2
        if "gen" not in all_figures and (workdir / "gen.json").exists():
            all_figures["gen"] = json.loads((workdir / "gen.json").read_text())
            print_gen(all_figures["gen"])
        res: dict[str, dict[str, Any]] = {}
        all_figures["classify"] = res
        for name in args.only.split(","):
            res[name] = run_child(name, args, root)
            if args.json_out:  # a cut-off run still leaves the figures measured so far
                Path(args.json_out).write_text(json.dumps(all_figures, indent=1, default=str))
        same = print_classify(res)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(all_figures, indent=1, default=str))
    if args.stage != "gen" and not args.keep:
        shutil.rmtree(root, ignore_errors=True)
        (workdir / "gen.json").unlink(missing_ok=True)
        if not any(workdir.iterdir()):
            workdir.rmdir()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
