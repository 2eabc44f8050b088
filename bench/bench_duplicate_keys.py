"""Benchmark: what the duplicate-key check costs on clean input.

    .venv/bin/python bench/bench_duplicate_keys.py --runs 20000

1. Per record, CPU time: ``orjson.loads`` alone vs the JSON-lines hot path with the check (the
   compact re-serialisation, the byte comparison, the colon counts), for lines as orjson writes
   them (the generator's, Rust and Go writers) and as Python's ``json.dumps`` writes them (the
   OpenTelemetry SDK, most Python exporters).
2. The whole ``forensics.load`` of the generated OTel SDK JSON-lines file, this tree against a
   copy of it with the check cut out of the JSON-lines path (everything else identical), each in a
   fresh process, interleaved, best of ``--repeat``, with peak RSS.

CPU time is used for (1) because the machine is shared; wall time for (2) is what a user waits.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from forensics.loaders.base import _colons_differ

RUNNER = """
import json, resource, sys, time
tree = {tree!r}
if tree:
    # The editable install's finder would import this checkout: take the baseline tree instead.
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f)]
    sys.path.insert(0, tree)
import forensics
t0 = time.perf_counter()
r = forensics.load({path!r}, format="otel-sdk-json")
seconds = time.perf_counter() - t0
assert r.report.balanced
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({{"seconds": seconds, "rows": r.spans.num_rows, "peak_mb": peak / 1024, "module": forensics.__file__}}))
"""


def _per_record(lines: list[bytes]) -> tuple[float, float]:
    loads, dumps = orjson.loads, orjson.dumps

    def parse() -> None:
        for line in lines:
            loads(line)

    def checked() -> None:  # what Source._line_records does per line
        for line in lines:
            value = loads(line)
            compact = dumps(value)
            if not line.startswith(compact):
                _colons_differ(line, compact.count(b":"))

    best = {parse: float("inf"), checked: float("inf")}
    for _ in range(7):
        for fn in best:
            t0 = time.process_time()
            fn()
            best[fn] = min(best[fn], time.process_time() - t0)
    return best[parse] / len(lines) * 1e6, best[checked] / len(lines) * 1e6


#: What the baseline copy cuts from Source._line_records (asserted present, so a rename fails loudly).
CHECK_IN_LINE_PATH = """            # (may_have_duplicate_keys, spelled out: this runs once per line of every big file.)
            try:
                compact: bytes | None = orjson.dumps(value)
            except TypeError:  # nested past the 255 levels orjson writes (it reads 1024): check strictly
                compact = None
            if (compact is None or (not line.startswith(compact) and _colons_differ(line, compact.count(b":")))) \\
                    and self._quarantine_duplicate(line, lineno, f"line {lineno}"):
                continue
"""


def _tree_without_the_check() -> str:
    import shutil

    import forensics

    tree = Path(tempfile.mkdtemp(prefix="forensics-nocheck-"))
    shutil.copytree(Path(forensics.__file__).parent, tree / "forensics")
    base = tree / "forensics" / "loaders" / "base.py"
    text = base.read_text()
    assert text.count(CHECK_IN_LINE_PATH) == 1, "the duplicate-key check moved: update CHECK_IN_LINE_PATH"
    base.write_text(text.replace(CHECK_IN_LINE_PATH, ""))
    return str(tree)


def _load(path: Path, tree: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", RUNNER.format(tree=tree, path=str(path))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the generated file here")
    parser.add_argument("--skip-load", action="store_true", help="per-record figures only")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from forensics.synth.generator import generate

    path = args.keep or Path(tempfile.mkdtemp(prefix="forensics-bench-")) / f"spans_{args.runs}.otel.jsonl"
    if not path.exists():
        generate(args.runs, path, format="otel-sdk-json", seed=1)
    with open(path, "rb") as fh:
        lines = [line for _, line in zip(range(100_000), fh, strict=False)]
    size = sum(map(len, lines)) / len(lines)
    styles: dict[str, Callable[[bytes], bytes]] = {
        "orjson-written": lambda line: line,
        "json.dumps-written": lambda line: json.dumps(orjson.loads(line)).encode() + b"\n",
    }
    print(f"file: {path} ({path.stat().st_size / 1e9:.2f} GB); per-record figures over {len(lines):,} lines "
          f"of ~{size:.0f} bytes, CPU time, best of 7")
    for style, rewrite in styles.items():
        parse, checked = _per_record([rewrite(line) for line in lines])
        print(f"  {style:<19} orjson.loads {parse:5.2f} us   with the check {checked:5.2f} us   "
              f"check {checked - parse:4.2f} us/record")
    if args.skip_load:
        return 0
    baseline = _tree_without_the_check()
    results: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for name, tree in (("without the check", baseline), ("with the check", "")):
            r = _load(path, tree)
            if name not in results or r["seconds"] < results[name]["seconds"]:
                results[name] = r
    base = results["without the check"]
    print(f"forensics.load, default workers, best of {args.repeat}, interleaved:")
    for name, r in results.items():
        print(f"  {name:<17} {int(r['rows']):>9,} rows {r['seconds']:7.2f} s ({r['seconds'] / base['seconds'] - 1:+.1%})"
              f"  peak {r['peak_mb']:5.0f} MB  [{r['module']}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
