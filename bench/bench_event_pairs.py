"""Benchmark: the `raaf` start/end pairing loader on a big generated file vs DuckDB and polars
reading the same JSON-lines.

    .venv/bin/python bench/bench_event_pairs.py                 # 200,000 spans (400,000 lines)
    .venv/bin/python bench/bench_event_pairs.py --spans 50000 --open 0.05

The file interleaves many traces: every span's start is written, then its end arrives later in
shuffled order within a window of ``--window`` spans (like concurrent agent runs writing to one
log), and a fraction ``--open`` of spans never ends. Each phase runs in its own subprocess so its
peak memory (``ru_maxrss``) is its own:

* ``duckdb``: ``read_json`` of the file, grouped by span id (pairing starts with ends), counted.
* ``polars``: ``read_ndjson`` then a group-by on the span id, counted.
* ``raaf``: ``forensics.load(path, format="raaf")`` (pairing, mapping, finalisation).

The loader's open-span dict holds only spans whose end has not come yet, so its memory follows
the window, not the file. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def write_file(path: Path, spans: int, window: int, open_share: float, seed: int = 7) -> int:
    rng = random.Random(seed)
    pending: list[tuple[int, dict]] = []
    lines = 0
    with path.open("w") as fh:
        for i in range(spans):
            trace = f"trace_{i // 20:032x}"
            span = {"span_id": f"span_{i:024x}", "trace_id": trace,
                    "parent_id": None if i % 20 == 0 else f"span_{i - i % 20:024x}",
                    "name": "tool.calculator" if i % 3 else "llm.completion", "kind": "tool" if i % 3 else "llm",
                    "start_time": "2025-06-23T19:05:33Z", "end_time": None, "duration_ms": None,
                    "attributes": {"tool.name": "calculator"} if i % 3 else {"llm.model": "gpt-4"},
                    "events": [], "status": "ok"}
            fh.write(json.dumps({"event": "start", "timestamp": "2025-06-23T19:05:33Z", "span": span}) + "\n")
            lines += 1
            if rng.random() >= open_share:
                pending.append((i, span))
            if len(pending) > window:
                j = rng.randrange(len(pending))
                pending[j], pending[-1] = pending[-1], pending[j]
                _, done = pending.pop()
                fh.write(json.dumps(_end(done)) + "\n")
                lines += 1
        rng.shuffle(pending)
        for _, done in pending:
            fh.write(json.dumps(_end(done)) + "\n")
            lines += 1
    return lines


def _end(span: dict) -> dict:
    ended = dict(span, end_time="2025-06-23T19:05:34Z", duration_ms=812.5,
                 attributes={**span["attributes"], "llm.usage.prompt_tokens": "90"})
    return {"event": "end", "timestamp": "2025-06-23T19:05:34Z", "span": ended}


def phase_duckdb(path: str) -> dict:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    spans = con.execute(
        "SELECT count(*) FROM (SELECT span.span_id FROM read_json(?, format='newline_delimited') GROUP BY 1)",
        [path]).fetchone()[0]
    return {"seconds": time.perf_counter() - started, "spans": spans, "peak_mb": _maxrss_mb()}


def phase_polars(path: str) -> dict:
    import polars as pl

    started = time.perf_counter()
    df = pl.read_ndjson(path, infer_schema_length=None)  # nulls first, strings later: infer over all rows
    spans = df.select(pl.col("span").struct.field("span_id")).unique().height
    return {"seconds": time.perf_counter() - started, "spans": spans, "peak_mb": _maxrss_mb()}


def phase_raaf(path: str) -> dict:
    import forensics

    started = time.perf_counter()
    result = forensics.load(path, format="raaf")
    account = result.report.files[0]
    return {"seconds": time.perf_counter() - started, "spans": result.spans.num_rows, "merged": account.merged,
            "open": result.spans.column("end_time").null_count, "peak_mb": _maxrss_mb()}


PHASES = {"duckdb": phase_duckdb, "polars": phase_polars, "raaf": phase_raaf}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--window", type=int, default=2_000, help="spans open at once, at most")
    parser.add_argument("--open", type=float, default=0.01, help="share of spans that never end")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args.path)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pairs.jsonl"
        lines = write_file(path, args.spans, args.window, args.open)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {args.spans:,} spans, {lines:,} lines, {size_mb:,.1f} MB")
        results = {}
        for name in ("duckdb", "polars", "raaf"):
            out = subprocess.run([sys.executable, __file__, "--phase", name, "--path", str(path)],
                                 capture_output=True, text=True, check=True, cwd=REPO)
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
            r = results[name]
            extra = f", {r['merged']:,} ends merged, {r['open']:,} open" if name == "raaf" else ""
            print(f"{name:>7}: {r['seconds']:7.2f} s  {lines / r['seconds']:>12,.0f} lines/s  "
                  f"peak {r['peak_mb']:7.1f} MB  {r['spans']:,} spans{extra}")
        for base in ("duckdb", "polars"):
            print(f"raaf / {base}: {results['raaf']['seconds'] / results[base]['seconds']:.1f}x the time")


if __name__ == "__main__":
    main()
