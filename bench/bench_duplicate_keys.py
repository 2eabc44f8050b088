"""Benchmark: what the duplicate-key check costs on clean input.

    .venv/bin/python bench/bench_duplicate_keys.py --runs 20000      # ~0.5 GB of OTel SDK JSON-lines

Times the JSON framing alone (``Source.records()``: read, parse, check; no row mapping, so the
check's share is as large as it can be) and the whole ``forensics.load``, each with the check on
and switched off, interleaved and best-of-N so machine noise hits both alike. Also times the
check on its own per record. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

import forensics
from forensics.loaders import base


def _framing(path: Path) -> int:
    sink = base.SpanSink("bench", str(path))
    return sum(1 for _ in base.Source(str(path), sink).records())


def _load(path: Path) -> int:
    return forensics.load(path, format="otel-sdk-json").spans.num_rows


def _never(raw: object, value: object) -> bool:
    return False


def _timed(fn: Callable[[Path], int], path: Path, check: bool) -> float:
    base.may_have_duplicate_keys = base.__dict__["_real_check"] if check else _never
    t0 = time.perf_counter()
    fn(path)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the generated file here")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base.__dict__["_real_check"] = base.may_have_duplicate_keys
    os.environ["FORENSICS_WORKERS"] = "1"  # one process, so switching the check off reaches every record

    from forensics.synth.generator import generate

    path = args.keep or Path(tempfile.mkdtemp(prefix="forensics-bench-")) / f"spans_{args.runs}.otel.jsonl"
    if not path.exists():
        generate(args.runs, path, format="otel-sdk-json", seed=1)
    lines = path.read_bytes().splitlines()[:200_000]
    values = [orjson.loads(line) for line in lines]
    t0 = time.perf_counter()
    suspects = sum(base.__dict__["_real_check"](line, value) for line, value in zip(lines, values, strict=True))
    check_us = (time.perf_counter() - t0) / len(lines) * 1e6
    t0 = time.perf_counter()
    for line in lines:
        orjson.loads(line)
    parse_us = (time.perf_counter() - t0) / len(lines) * 1e6
    print(f"file: {path} ({path.stat().st_size / 1e9:.2f} GB); {len(lines):,} records timed alone")
    print(f"per record: orjson.loads {parse_us:.2f} us, duplicate-key pre-check {check_us:.2f} us "
          f"({check_us / parse_us:.0%} of the parse); records sent to the strict parse: {suspects}")
    for name, fn in (("framing (Source.records)", _framing), ("forensics.load, 1 worker", _load)):
        best = {True: float("inf"), False: float("inf")}
        for _ in range(args.repeat):
            for check in (False, True):
                best[check] = min(best[check], _timed(fn, path, check))
        print(f"{name:<26} check off {best[False]:7.2f} s   on {best[True]:7.2f} s   "
              f"cost {best[True] / best[False] - 1:+.1%}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
