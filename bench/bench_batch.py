"""Benchmark: a generated night end to end (load, classify, store, report) vs DuckDB read_json.

    .venv/bin/python bench/bench_batch.py                 # 100,000 runs (~3M spans), SQLite + PostgreSQL
    .venv/bin/python bench/bench_batch.py --runs 10000 --no-postgres

The night is written by ``forensics.synth.generate`` as OTLP/JSON lines (one export request per
run), split over ``--files`` files. Each measured phase runs in its own subprocess so its peak
memory (``ru_maxrss``) is its own:

* ``duckdb``: ``read_json`` of the same files, unnested down to one row per span (so DuckDB
  parses every span, as our loader does), counted.
* ``sqlite`` / ``postgres``: ``forensics.batch.classify_paths`` (hash, load, classify, store in
  one transaction, Parquet) then ``forensics.report.write_report`` on the store.

``--otlp-reader`` picks how the OTLP/JSON files are read (``$FORENSICS_VECTORISED_OTLP`` in the
measured phases): ``auto`` (the library's choice: DuckDB for files of 16 MB or more),
``vectorised`` or ``per-record``; ``both`` measures the two in one run, per-record first.

Targets (issue 7): end to end within 3x DuckDB's time, peak memory under 3 GB. Figures are
printed, never asserted. Each phase's CPU seconds (every thread's, user + system) are printed beside
its wall time, stage by stage: on a machine other jobs share, compare those.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _cpu_s() -> float:
    """CPU seconds of this process so far, every thread's (user + system): what a stage costs on a
    machine other jobs share, where its wall time says more about them than about it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _maxrss_mb() -> float:
    # Linux reports KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tree_rss_mb(pid: int) -> float:
    """RSS of ``pid`` plus its descendants now (Linux /proc), in MB."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


class TreePeak:
    """Samples the RSS of this process and its children (the loader workers) every 0.2 s:
    their peak together, which ru_maxrss (one process at a time) cannot give."""

    def __init__(self) -> None:
        import threading

        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, _tree_rss_mb(os.getpid()))

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- phases (run in subprocesses) --------------------------------------------------------------


def phase_duckdb(files: list[str]) -> dict:
    import duckdb

    started, cpu = time.perf_counter(), _cpu_s()
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    sql = """
        SELECT count(*) AS spans, count(DISTINCT s.traceId) AS runs FROM (
          SELECT unnest(ss.spans) AS s FROM (
            SELECT unnest(rs.scopeSpans) AS ss FROM (
              SELECT unnest(resourceSpans) AS rs
              FROM read_json(?, format = 'newline_delimited', maximum_object_size = 268435456))))
    """
    spans, runs = con.execute(sql, [files]).fetchone()  # type: ignore[misc]
    return {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu_s() - cpu, "spans": spans, "runs": runs,
            "maxrss_mb": _maxrss_mb()}


def phase_e2e(files: list[str], db: str, out: str, workers: int | None = None) -> dict:
    from forensics.batch import classify_paths
    from forensics.report import write_report

    marks: dict[str, float] = {}
    cpu_marks: dict[str, float] = {}
    started, cpu = time.perf_counter(), _cpu_s()

    def progress(stage: str, done: int, total: int, path: str | None) -> None:
        if stage not in marks:
            marks[stage] = time.perf_counter() - started
            cpu_marks[stage] = _cpu_s() - cpu

    with TreePeak() as tree:
        summary = classify_paths(files, db=db, out=Path(out) / "parquet", progress=progress, workers=workers)
    classified = time.perf_counter() - started
    marks["end"] = classified
    cpu_marks["end"] = _cpu_s() - cpu
    order = [s for s in ("hash", "load", "classify", "store", "write", "end") if s in marks]
    stages = {a: round(marks[b] - marks[a], 2) for a, b in zip(order, order[1:], strict=False)}
    stages_cpu = {a: round(cpu_marks[b] - cpu_marks[a], 2) for a, b in zip(order, order[1:], strict=False)}
    t_report, cpu_report = time.perf_counter(), _cpu_s()
    write_report(db, Path(out) / "report", since=None)
    report_s, report_cpu = time.perf_counter() - t_report, _cpu_s() - cpu_report
    return {
        "seconds": time.perf_counter() - started, "cpu_seconds": _cpu_s() - cpu, "classify_store_seconds": classified,
        "report_seconds": report_s, "report_cpu_seconds": report_cpu,
        "stages": stages, "stages_cpu": stages_cpu, "runs": summary.runs, "findings": summary.findings, "status": summary.status,
        "problems": [p.as_json() for p in summary.problems], "maxrss_mb": _maxrss_mb(),
        # Loader worker processes (big nights load files in parallel): the largest one's peak.
        "worker_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        # This process and its workers together (sampled every 0.2 s).
        "tree_peak_mb": tree.peak,
    }


#: --otlp-reader -> $FORENSICS_VECTORISED_OTLP in the phase's process (None: left as it is).
_OTLP_READERS = {"auto": None, "vectorised": "1", "per-record": "0"}


def _run_phase(args: list[str], otlp_reader: str = "auto") -> dict:
    env = dict(os.environ)
    switch = _OTLP_READERS[otlp_reader]
    if switch is not None:
        env["FORENSICS_VECTORISED_OTLP"] = switch
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=REPO, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"phase {args[:2]} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the night ---------------------------------------------------------------------------------


def generate_night(workdir: Path, runs: int, n_files: int) -> list[str]:
    from forensics.synth.generator import generate

    night = workdir / f"night-{runs}-{n_files}"
    manifest = night / "MANIFEST.json"
    if manifest.exists():
        return json.loads(manifest.read_text())["files"]
    shutil.rmtree(night, ignore_errors=True)
    night.mkdir(parents=True)
    per_file = [runs // n_files + (1 if i < runs % n_files else 0) for i in range(n_files)]
    files = []
    for i, n in enumerate(per_file):
        path = night / f"part-{i:03d}.otlp.jsonl"
        generate(n, path, format="otlp-json", seed=1000 + i)
        files.append(str(path))
    manifest.write_text(json.dumps({"runs": runs, "files": files}))
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/forensics-bench"))
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--workers", type=int, action="append",
                    help="loader processes for the SQLite runs (repeatable; default: the automatic choice)")
    ap.add_argument("--otlp-reader", choices=sorted(_OTLP_READERS) + ["both"], default="auto",
                    help="how OTLP/JSON files are read in the measured phases (default: auto)")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--manifest", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.phase:
        files = json.loads(Path(args.manifest).read_text())["files"]
        workers = args.workers[0] if args.workers else None
        result = phase_duckdb(files) if args.phase == "duckdb" else phase_e2e(files, args.db, args.out, workers)
        print(json.dumps(result))
        return

    t0 = time.perf_counter()
    files = generate_night(args.workdir, args.runs, args.files)
    gen_s = time.perf_counter() - t0
    size = sum(os.path.getsize(f) for f in files)
    manifest = str(Path(files[0]).parent / "MANIFEST.json")
    print(f"night: {args.runs:,} runs in {len(files)} OTLP/JSON-lines files, {size / 1e9:.2f} GB "
          f"(generated or reused in {gen_s:.1f} s)")

    duck = _run_phase(["--phase", "duckdb", "--manifest", manifest])
    print(f"duckdb read_json (unnested to spans): {duck['seconds']:.1f} s ({duck['cpu_seconds']:.1f} s CPU), {duck['spans']:,} spans, "
          f"{duck['runs']:,} runs, peak {duck['maxrss_mb']:.0f} MB")

    from forensics.batch import auto_workers

    auto = auto_workers([os.path.getsize(f) for f in files])
    print(f"automatic loader workers for these files: {auto}")
    results = {}
    sqlite_url = f"sqlite:///{args.workdir / 'bench.db'}"
    readers = ["per-record", "vectorised"] if args.otlp_reader == "both" else [args.otlp_reader]
    targets: list[tuple[str, str, int | None, str]] = [
        (f"sqlite (workers={w or 'auto'}, otlp {r})", sqlite_url, w, r) for r in readers for w in (args.workers or [None])
    ]
    server = None
    if not args.no_postgres:
        sys.path.insert(0, str(REPO / "tests"))
        from pg import PostgresServer, find_bindir

        if find_bindir() is None:
            print("postgres: skipped (no PostgreSQL binaries; apt-get install -y postgresql)")
        else:
            server = PostgresServer().start()
            targets += [(f"postgres (otlp {r})", server.url, None, r) for r in readers]
    try:
        for name, url, workers, reader in targets:
            if url == sqlite_url:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{args.workdir / 'bench.db'}{suffix}").unlink(missing_ok=True)
            out = args.workdir / f"out-{name.split()[0]}"
            shutil.rmtree(out, ignore_errors=True)
            extra = ["--workers", str(workers)] if workers is not None else []
            res = _run_phase(["--phase", "e2e", "--manifest", manifest, "--db", url, "--out", str(out), *extra], reader)
            results[name] = res
            ratio = res["seconds"] / duck["seconds"]
            print(f"{name}: end to end {res['seconds']:.1f} s = {ratio:.1f}x duckdb "
                  f"(classify+store {res['classify_store_seconds']:.1f} s: {res['stages']}; report {res['report_seconds']:.1f} s); "
                  f"CPU {res['cpu_seconds']:.1f} s = {res['cpu_seconds'] / duck['cpu_seconds']:.1f}x duckdb's "
                  f"(stages {res['stages_cpu']}; report {res['report_cpu_seconds']:.1f} s); "
                  f"{res['runs']:,} runs, {res['findings']:,} findings stored; peak {res['maxrss_mb']:.0f} MB "
                  f"(largest loader worker {res.get('worker_maxrss_mb', 0):.0f} MB; all together, sampled: "
                  f"{res.get('tree_peak_mb', 0):.0f} MB); "
                  f"status {res['status']}, {len(res['problems'])} problems")
    finally:
        if server is not None:
            server.stop()
    print(json.dumps({"runs": args.runs, "bytes": size, "duckdb": duck, **results}))


if __name__ == "__main__":
    main()
