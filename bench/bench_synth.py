"""Benchmark: the traffic generator writing 100,000 labeled runs (~3M spans) of OTel SDK JSON lines.

    .venv/bin/python bench/bench_synth.py                     # 100,000 runs, otel-sdk-json
    .venv/bin/python bench/bench_synth.py --runs 20000 --format langfuse --gzip

Each measurement runs in its own fresh process (peak RSS is its own). Printed: wall seconds, CPU
seconds, spans written, spans per second, bytes, peak RSS; then the same with `--workers` processes
(checking the bytes are identical) and, with `--gzip`, gzipped. As a yardstick measured in the same run,
DuckDB (C++) writes the same number of JSON lines of the same total size from a generated table
(`COPY ... TO ... (FORMAT json)`): the ratio says how far Python-built realistic spans are from a
native JSON writer that has nothing to decide. A benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

GENERATE = """
import json, resource, time
from forensics.synth.generator import generate
t0, c0 = time.perf_counter(), time.process_time()
labels = generate({runs}, {path!r}, format={format!r}, seed={seed}, workers={workers})
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "cpu": cpu, "peak_mb": peak, "labels": str(labels)}}))
"""

DUCKDB = """
import json, resource, time
import duckdb
con = duckdb.connect()
t0, c0 = time.perf_counter(), time.process_time()
con.sql(\"\"\"
copy (
  select printf('%032x', hash(i)) as trace_id, printf('%016x', hash(i * 7)) as span_id,
         printf('%016x', hash(i * 7 - 1)) as parent_id, now() + to_microseconds(i) as start_time,
         now() + to_microseconds(i + 900) as end_time, 'OK' as status_code,
         repeat('x', {pad}) as attributes
  from range({rows}) t(i)
) to '{path}' (format json)
\"\"\")
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "cpu": cpu, "peak_mb": peak}}))
"""


def _run(code: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            n += chunk.count(b"\n")
    return n


def _same_bytes(a: Path, b: Path) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 24), fb.read(1 << 24)
            if x != y:
                return False
            if not x:
                return True


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--format", default="otel-sdk-json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gzip", action="store_true", help="also time writing the same runs gzipped")
    parser.add_argument("--workers", type=int, default=2, help="also time this many worker processes (1: skip)")
    parser.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB yardstick")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: a temp dir, removed)")
    args = parser.parse_args()

    from forensics.synth.writers import get_writer

    writer = get_writer(args.format)
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="forensics-bench-synth-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"synth_{args.runs}.{writer.suffix}"
    try:
        res = _run(GENERATE.format(runs=args.runs, path=str(path), format=args.format, seed=args.seed, workers=1))
        size = path.stat().st_size
        spans = _count_lines(path) if writer.name == "otel-sdk-json" else None
        print(f"generate {args.runs:,} runs as {args.format} -> {path}")
        print(f"  wall {res['seconds']:.1f} s, cpu {res['cpu']:.1f} s, {size / 1e9:.2f} GB, peak RSS {res['peak_mb']:.0f} MB")
        if spans is not None:
            print(f"  {spans:,} spans ({spans / args.runs:.1f} per run), {spans / res['seconds']:,.0f} spans/s")
        if args.workers > 1:
            wpath = workdir / f"synth_{args.runs}_w.{writer.suffix}"
            w = _run(GENERATE.format(runs=args.runs, path=str(wpath), format=args.format, seed=args.seed, workers=args.workers))
            same = _same_bytes(path, wpath)
            print(f"  {args.workers} workers: wall {w['seconds']:.1f} s, parent peak RSS {w['peak_mb']:.0f} MB, identical bytes: {same}")
            wpath.unlink()
        if args.gzip:
            gz = workdir / f"synth_{args.runs}.{writer.suffix}.gz"
            g = _run(GENERATE.format(runs=args.runs, path=str(gz), format=args.format, seed=args.seed, workers=1))
            print(f"  gzip: wall {g['seconds']:.1f} s, {gz.stat().st_size / 1e9:.2f} GB, peak RSS {g['peak_mb']:.0f} MB")
            gz.unlink()
        if not args.no_duckdb and spans is not None:
            pad = max(size // spans - 190, 1)
            dpath = workdir / "duckdb.json"
            d = _run(DUCKDB.format(rows=spans, pad=pad, path=str(dpath)))
            print(
                f"duckdb COPY of {spans:,} JSON lines, {dpath.stat().st_size / 1e9:.2f} GB: wall {d['seconds']:.1f} s, "
                f"peak RSS {d['peak_mb']:.0f} MB; generator / duckdb = {res['seconds'] / d['seconds']:.1f}x"
            )
            dpath.unlink()
    finally:
        if args.dir is None:
            for p in workdir.iterdir():
                p.unlink()
            workdir.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
