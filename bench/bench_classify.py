"""Benchmark: forensics.classify on a loaded night, against DuckDB reading the same file, in one run.

    .venv/bin/python bench/bench_classify.py                  # issue 15's night: 20,000 runs x 30 spans
    .venv/bin/python bench/bench_classify.py --runs 100000    # ~3M spans
    .venv/bin/python bench/bench_classify.py --profile        # and classify's stages (a second, profiled run)
    .venv/bin/python bench/bench_classify.py --repeat 3 --tree old=/tmp/old   # and another tree's classify

The file is bench/bench_load.py's: `forensics.synth.generate` writes OpenTelemetry SDK span JSON,
one span per line (seed 1), kept in --workdir with its labels. `forensics.load` reads it once into
the span table, cached as Parquet. Then, each in a fresh child process (so each peak is its own):

* DuckDB `read_json` of the OTel file to an Arrow table (the same reader bench_load.py times);
* `classify()` over the span table (read from Parquet first, not timed: the night as loaded).

Printed: both times (best of --repeat) with the CPU seconds each spent on all its threads (wall
time alone misleads on a shared machine: CPU time shows the work, wall time the parallelism), the
ratio classify / DuckDB, each child's peak resident
memory (classify's measured from just before the call, with the span table it is given resident),
the load average before and after (other work on the machine skews the ratio), and precision,
recall and F1 against the generator's labels. Target (issue 15 item 4): classify at most 1.0x
DuckDB's read. This is a benchmark, not a test: nothing here asserts.

``--tree LABEL=PATH`` (repeatable) also runs classify from another source tree (``git archive
<commit> | tar -x -C PATH``), as ``classify@LABEL``, on the same span table in the same run, the
children taking turns: our CPU seconds against another tree's tell a change from the machine's
noise, where DuckDB's time moves by half from run to run on a shared machine. Each classify child
also prints a digest of its findings and runs tables: equal digests, the same results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _rss_mb() -> float:
    """This process's resident memory now."""
    now = _status_mb("VmRSS:")
    return now if now is not None else _peak_rss_mb()


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM is reset by exec; ru_maxrss is not (a
    child forked from a big parent reports the parent's size), so VmHWM is preferred."""
    peak = _status_mb("VmHWM:")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_classify(parquet: str, labels: str, profile: str, out_json: str) -> None:
    import polars as pl

    from forensics.classify import classify
    from forensics.evaluate import evaluate

    # One contiguous chunk per column, as a loaded table is handed over (pl.from_arrow rechunks).
    spans = pl.read_parquet(parquet).rechunk()
    read_rss = _rss_mb()
    # Peak memory from here on: reset the high-water mark (Linux clear_refs 5) so the read above
    # does not count; the table itself, resident, is still in the figure.
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    t0, c0 = time.perf_counter(), time.process_time()
    result = classify(spans)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _peak_rss_mb()
    ev = evaluate(result, labels)
    # The results' digest: every finding and run row as JSON (default=str: times and lists).
    rows = [result.findings.to_pylist(), result.runs.to_pylist()]
    digest = hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()[:16]
    # The stage table from a second, profiled run: profiling collects the detectors one at a time
    # (each one's time its own), so it is not the run whose time is reported.
    timings = classify(spans, profile=True).timing_report() if profile == "1" else ""
    Path(out_json).write_text(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_rss_mb": peak,
                "rss_after_read_mb": read_rss,
                "runs": result.runs.num_rows,
                "spans": spans.height,
                "findings": result.findings.num_rows,
                "digest": digest,
                "evaluation": ev.format_text(max_items=10),
                "timings": timings,
            }
        )
    )


def child_duckdb(path: str, out_json: str) -> None:
    import duckdb

    con = duckdb.connect()
    t0, c0 = time.perf_counter(), time.process_time()
    table = con.sql(
        f"select * from read_json('{path}', format='newline_delimited', maximum_object_size=1000000000)"
    ).to_arrow_table()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    Path(out_json).write_text(
        json.dumps(
            {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": _peak_rss_mb(), "rows": table.num_rows}
        )
    )


_CLASSIFY_SIDE = ("detectors", "conventions", "attribution", "report", "charts", "synth", "store", "nightly")


def _fingerprint(part: str) -> str:
    """A short digest of the sources behind a cached file: ``synth`` (the generator) or ``load`` (every
    module outside the generator and the classify, report and store side, conservatively)."""
    import hashlib

    root = Path(__file__).resolve().parent.parent / "forensics"
    files = sorted(root.rglob("*.py"))
    if part == "synth":
        files = [f for f in files if f.relative_to(root).parts[0] == "synth"]
    else:
        files = [f for f in files if f.relative_to(root).parts[0] not in _CLASSIFY_SIDE]
    h = hashlib.sha1()
    for f in files:
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:8]


def prepare_data(runs: int, workdir: Path) -> tuple[Path, Path, Path]:
    """The OTel SDK JSON-lines night (as bench_load.py writes it), its labels, and its span table."""
    import polars as pl

    from forensics.load import load
    from forensics.synth.generator import generate

    workdir.mkdir(parents=True, exist_ok=True)
    # Cached files are named for the code that made them: a night written by an older generator has
    # older labels (the bench's label check would score today's rules against yesterday's stories), and
    # a span table loaded by an older loader is not what today's load gives.
    raw = workdir / f"spans_{runs}_{_fingerprint('synth')}.otel.jsonl"
    labels = Path(f"{raw}.labels.jsonl")
    parquet = workdir / f"spans_{runs}_{_fingerprint('synth')}_{_fingerprint('load')}.otel.parquet"
    if not raw.exists() or not labels.exists():
        t0 = time.perf_counter()
        generate(runs, raw, format="otel-sdk-json", seed=1)
        print(f"generated {runs:,} runs in {time.perf_counter() - t0:.1f} s -> {raw}")
        parquet.unlink(missing_ok=True)
    if not parquet.exists():
        t0 = time.perf_counter()
        result = load(raw, format="otel-sdk-json")
        print(
            f"loaded {result.spans.num_rows:,} spans in {time.perf_counter() - t0:.1f} s "
            f"({result.quarantine.num_rows} quarantined)"
        )
        df = pl.DataFrame(pl.from_arrow(result.spans))
        del result
        df.write_parquet(parquet)
    return raw, labels, parquet


def _child(kind: str, args: list[str], workdir: Path, tree: str | None = None) -> dict[str, Any]:
    """``kind``'s child in a fresh process; with ``tree``, forensics imported from that source tree."""
    out = workdir / f"{kind}.result.json"
    cmd = [sys.executable, __file__, "--child", kind, "--args", *args, str(out)]
    env = {**os.environ, "PYTHONHASHSEED": "0", **({"PYTHONPATH": tree} if tree else {})}
    subprocess.run(cmd, check=True, env=env)
    return json.loads(out.read_text())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/forensics-bench-classify"))
    ap.add_argument("--repeat", type=int, default=1, help="run each child this many times; keep the fastest")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="also print classify's time stage by stage (from a second, profiled run: the detectors "
        "then run one after another, so its total is above the timed run's)",
    )
    ap.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="also run classify from the source tree at PATH, as classify@LABEL",
    )
    ap.add_argument("--child", choices=["classify", "duckdb"], help=argparse.SUPPRESS)
    ap.add_argument("--args", nargs="*", help=argparse.SUPPRESS)
    ns = ap.parse_args()
    if ns.child == "classify":
        child_classify(*ns.args)
        return 0
    if ns.child == "duckdb":
        child_duckdb(*ns.args)
        return 0

    trees: list[tuple[str, str]] = []
    for spec in ns.tree:
        label, sep, tree = spec.partition("=")
        if not sep or not Path(tree, "forensics", "__init__.py").is_file():
            ap.error(f"--tree {spec}: expected LABEL=PATH of a source tree holding forensics/__init__.py")
        trees.append((f"classify@{label}", tree))
    raw, labels, parquet = prepare_data(ns.runs, ns.workdir)
    print(
        f"file: {raw} ({raw.stat().st_size / 1e9:.2f} GB); span table {parquet.stat().st_size / 1e6:.0f} MB parquet"
    )
    with open(raw, "rb") as fh:  # warm the page cache so DuckDB does not pay for the disk
        while fh.read(64 * 1024 * 1024):
            pass
    before = os.getloadavg()
    best: dict[str, dict[str, Any]] = {}
    for _ in range(max(1, ns.repeat)):
        profiled = "1" if ns.profile else "0"
        for name, kind, args, tree_path in (
            ("duckdb", "duckdb", [str(raw)], None),
            ("classify", "classify", [str(parquet), str(labels), profiled], None),
            *[(n, "classify", [str(parquet), str(labels), "0"], t) for n, t in trees],
        ):
            r = _child(kind, args, ns.workdir, tree_path)
            if name not in best or float(r["seconds"]) < float(best[name]["seconds"]):
                best[name] = r
    after = os.getloadavg()
    c, d = best["classify"], best["duckdb"]
    cs, ds = float(c["seconds"]), float(d["seconds"])
    print(f"runs {c['runs']:,}  spans {c['spans']:,}  findings {c['findings']:,}  (best of {ns.repeat})")
    print(
        f"duckdb read_json -> Arrow: {ds:6.2f} s   (CPU {float(d['cpu_seconds']):.2f} s, all threads)   peak RSS {float(d['peak_rss_mb']):,.0f} MB "
        f"({d['rows']:,} rows)"
    )
    print(
        f"forensics.classify:        {cs:6.2f} s   (CPU {float(c['cpu_seconds']):.2f} s, all threads)   peak RSS {float(c['peak_rss_mb']):,.0f} MB "
        f"(of which {float(c['rss_after_read_mb']):,.0f} MB resident before the call: the span table)"
    )
    for name, _ in trees:
        o = best[name]
        print(
            f"{name + ':':<27}{float(o['seconds']):6.2f} s   (CPU {float(o['cpu_seconds']):.2f} s, all threads)   "
            f"peak RSS {float(o['peak_rss_mb']):,.0f} MB; CPU this tree / it: "
            f"{float(c['cpu_seconds']) / float(o['cpu_seconds']):.2f}x; "
            f"results {'the same' if o['digest'] == c['digest'] else 'DIFFER'} (digest {o['digest']})"
        )
    print(f"results digest (this tree): {c['digest']}")
    print(
        f"ratio classify / duckdb read: {cs / ds:.2f}x "
        f"({'meets' if cs <= ds else 'misses'} issue 15's target of <= 1.0x)"
    )
    print(
        "load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}".format(
            *before, *after
        )
    )
    if ns.profile:
        print("\n" + str(c["timings"]))
    print("\nagainst the generator's labels:\n" + str(c["evaluation"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
