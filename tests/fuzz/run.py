"""Fuzz every registered loader (or some) for a time budget; report executions, coverage, crashes.

    .venv/bin/python tests/fuzz/run.py                        # every loader, 90 s in all
    .venv/bin/python tests/fuzz/run.py --all-in-one           # the same in one process (CI)
    .venv/bin/python tests/fuzz/run.py --seconds 1800 --loaders langsmith,raaf --workdir ~/.cache/forensics-fuzz

One libFuzzer process per loader (``harness.py``), ``--jobs`` at a time; or, ``--all-in-one``,
one process for every loader, an input's first byte choosing the loader. The budget is wall
time for the whole run: each loader gets an equal share, less the few seconds a process needs to
start (importing polars, pyarrow and the instrumented package). A ``--workdir`` keeps each loader's
grown corpus between runs, so a longer local run continues where the last one stopped. Crashes,
oracle breaches, timeouts and out-of-memory inputs land in ``<workdir>/artifacts/<loader>/``; the
exit status is 1 when there is any. See docs/FUZZING.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, so `fuzz` imports as a package

from fuzz import seeds

HARNESS = Path(__file__).resolve().parent / "harness.py"
#: Seconds a harness process needs before fuzzing starts (imports, instrumentation: 3.5-5 s
#: measured on the shared 2-core machine); subtracted from the budget of each process.
STARTUP_SECONDS = 5
#: One input taking longer than this is a finding (hostile input must be bounded in time).
INPUT_TIMEOUT_SECONDS = 20
#: libFuzzer's memory ceiling per process.
RSS_LIMIT_MB = 3072
#: Keys taken from the seeds into the libFuzzer dictionary, most frequent first.
MAX_DICT_ENTRIES = 400
ARTIFACT_PREFIXES = ("crash-", "timeout-", "oom-", "leak-", "unfinished-")


@dataclass
class FuzzStats:
    """What one loader's fuzzing run did."""

    loader: str
    seconds: float
    seeds: int
    executions: int = 0
    coverage: int = 0  # libFuzzer `cov:`: instrumented edges of the forensics package reached
    features: int = 0  # libFuzzer `ft:`
    corpus: int = 0
    returncode: int = 0
    artifacts: list[Path] = field(default_factory=list)
    log: Path | None = None
    #: ``all`` mode: inputs each loader got (approximate: counted every 64 inputs).
    per_loader: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.artifacts) or self.returncode != 0

    def failure(self) -> str:
        """What went wrong, with the reproducer and the traceback (for a test failure message)."""
        lines = [f"{self.loader}: libFuzzer exit {self.returncode}"]
        lines += [f"  reproducer: {a}" for a in self.artifacts]
        if self.log is not None and self.log.exists():
            text = self.log.read_text(errors="replace")
            start = text.find("=== Uncaught Python exception")
            excerpt = text[start:start + 4000] if start >= 0 else text[-3000:]
            lines += ["  " + line for line in excerpt.splitlines()]
        return "\n".join(lines)


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def seconds_each(total: float, loaders: int, jobs: int) -> int:
    """libFuzzer ``-max_total_time`` per loader so that the whole run takes about ``total``."""
    rounds = -(-loaders // jobs)
    return max(1, int(total / rounds) - STARTUP_SECONDS)


def fuzz_loader(loader: str, seconds: int, workdir: Path, plugins: str = "", extra_seeds: Path | None = None) -> FuzzStats:
    """Fuzz one loader for ``seconds`` in its own process; never raises for what the fuzzer finds.
    ``extra_seeds``: a directory of more seed inputs (libFuzzer reads it, never writes it)."""
    seed_dir = _fresh(workdir / "seeds" / loader)
    count = seeds.write_corpus(loader, seed_dir)
    write_dictionary([seed_dir], workdir / "dict" / f"{loader}.dict")
    return _run_harness(loader, [seed_dir, *([extra_seeds] if extra_seeds else [])], count, seconds, workdir, plugins)


def fuzz_all(total_seconds: float, workdir: Path, plugins: str = "") -> FuzzStats:
    """Fuzz every registered loader in one process for about ``total_seconds`` of wall time (an
    input's first byte picks the loader, see :func:`fuzz.seeds.split_selector`). ``per_loader``
    says how many inputs each loader got; reproducers are decoded into files for their loader."""
    known = registry_names()
    for loader in known:
        seeds.write_corpus(loader, _fresh(workdir / "seeds" / loader))
    combined = _fresh(workdir / "seeds" / seeds.ALL)
    count = seeds.write_combined_corpus(known, workdir / "seeds", combined)
    write_dictionary([workdir / "seeds" / loader for loader in known], workdir / "dict" / f"{seeds.ALL}.dict")
    seconds = max(1, int(total_seconds) - STARTUP_SECONDS)
    counts = workdir / "logs" / "per-loader-executions.json"
    stats = _run_harness(seeds.ALL, [combined], count, seconds, workdir, plugins, counts=counts)
    if counts.exists():
        stats.per_loader = json.loads(counts.read_text())
    decoded = []
    for artifact in stats.artifacts:
        if artifact.name.startswith("unfinished-"):
            continue  # the harness's own copy: already the file as its loader read it
        picked = seeds.split_selector(artifact.read_bytes(), known)
        if picked is not None:
            loader, data = picked
            target = artifact.with_name(f"{artifact.name}.{loader}.input")
            target.write_bytes(data)
            decoded.append(target)
    stats.artifacts += decoded
    return stats


def registry_names() -> list[str]:
    """Registered loaders, in the order the harness numbers them (sorted, plugins included)."""
    return seeds.loaders()


def _fresh(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        old.unlink()
    return directory


def _run_harness(target: str, seed_dirs: list[Path], count: int, seconds: int, workdir: Path, plugins: str,
                 counts: Path | None = None) -> FuzzStats:
    corpus = workdir / "corpus" / target
    artifacts = workdir / "artifacts" / target
    log = workdir / "logs" / f"{target}.log"
    for directory in (corpus, artifacts, log.parent):
        directory.mkdir(parents=True, exist_ok=True)
    dictionary = workdir / "dict" / f"{target}.dict"
    before = set(artifacts.iterdir())
    cmd = [sys.executable, str(HARNESS), target, str(corpus), *map(str, seed_dirs),
           f"-max_total_time={seconds}", f"-timeout={INPUT_TIMEOUT_SECONDS}", f"-rss_limit_mb={RSS_LIMIT_MB}",
           f"-artifact_prefix={artifacts}/", "-print_final_stats=1"]
    if dictionary.exists() and dictionary.stat().st_size:  # libFuzzer refuses an empty one (sql's seeds hold no JSON)
        cmd.append(f"-dict={dictionary}")
    env = dict(os.environ)
    if plugins:
        env["FORENSICS_FUZZ_PLUGINS"] = plugins
    if counts is not None:
        env["FORENSICS_FUZZ_COUNTS"] = str(counts)
    inputs = workdir / "inputs" / target
    env["FORENSICS_FUZZ_INPUT_DIR"] = str(inputs)
    started = time.perf_counter()
    with open(log, "wb") as out:
        # The wall-clock guard is generous: libFuzzer stops itself; this only catches a hung process.
        try:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                  timeout=seconds + INPUT_TIMEOUT_SECONDS + 120, check=False)
            returncode = proc.returncode
        except subprocess.TimeoutExpired:
            returncode = -9
    stats = FuzzStats(target, time.perf_counter() - started, count, returncode=returncode, log=log)
    stats.artifacts = sorted(p for p in set(artifacts.iterdir()) - before if p.name.startswith(ARTIFACT_PREFIXES))
    if returncode != 0 and not stats.artifacts:
        stats.artifacts = _last_input(inputs, artifacts)
    _parse(log.read_text(errors="replace"), stats)
    return stats


def _last_input(inputs: Path, artifacts: Path) -> list[Path]:
    """The input a process died or hung on without libFuzzer writing it (kept as ``unfinished-*``)."""
    last = inputs / "fuzz-input.json"
    if not last.exists():
        return []
    data = last.read_bytes()
    loader = (inputs / "loader").read_text() if (inputs / "loader").exists() else "unknown"
    kept = artifacts / f"unfinished-{hashlib.sha1(data).hexdigest()}.{loader}.input"
    kept.write_bytes(data)
    return [kept]


def _parse(text: str, stats: FuzzStats) -> None:
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text) or re.findall(r"^#(\d+)\s", text, re.M)
    if runs:
        stats.executions = int(runs[-1])
    progress = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", text)
    if progress:
        stats.coverage, stats.features, stats.corpus = (int(x) for x in progress[-1])


def write_dictionary(seed_dirs: list[Path], path: Path) -> None:
    """A libFuzzer dictionary of the JSON keys (as ``"key"``) and short string values in the seeds:
    mutations then splice whole field names instead of discovering them byte by byte."""
    counts: dict[str, int] = {}

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                counts[f'"{key}"'] = counts.get(f'"{key}"', 0) + 1
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        elif isinstance(value, str) and 0 < len(value) <= 24:
            counts[f'"{value}"'] = counts.get(f'"{value}"', 0) + 1

    for seed in sorted(p for d in seed_dirs for p in d.iterdir()):
        try:
            text = seed.read_text()
        except UnicodeDecodeError:
            continue  # gzip, Parquet and SQLite seeds carry no JSON keys
        for line in [text, *text.splitlines()]:
            try:
                walk(json.loads(line))
            except ValueError:
                continue
    tokens = sorted(counts, key=lambda k: (-counts[k], k))[:MAX_DICT_ENTRIES]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'"{_escape(t)}"\n' for t in tokens))


def _escape(token: str) -> str:
    # libFuzzer dictionary syntax: printable ASCII except \ and ", everything else as \xHH.
    out = []
    for byte in token.encode():
        ch = chr(byte)
        out.append(ch if 32 <= byte < 127 and ch not in '\\"' else f"\\x{byte:02X}")
    return "".join(out)


def fuzz(loaders: list[str], total_seconds: float, workdir: Path, jobs: int = 1, plugins: str = "",
         extra_seeds: Path | None = None) -> list[FuzzStats]:
    """Fuzz ``loaders`` for about ``total_seconds`` of wall time in all, ``jobs`` processes at once.
    ``plugins``: ``module:Class,...`` loaders the harness registers first (importable by the child)."""
    each = seconds_each(total_seconds, len(loaders), jobs)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda name: fuzz_loader(name, each, workdir, plugins, extra_seeds), loaders))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FORENSICS_FUZZ_SECONDS", 90)),
                        help="wall-time budget for the whole run (default $FORENSICS_FUZZ_SECONDS or 90)")
    parser.add_argument("--loaders", default="", help="comma-separated loader names (default: every registered one)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="loaders fuzzed at once (default: up to 2)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep corpora, logs and artifacts here (default: a new temporary directory)")
    parser.add_argument("--plugin", default="", help="module:Class[,...] loaders to register and fuzz too")
    parser.add_argument("--seeds", type=Path, default=None, help="a directory of extra seed inputs")
    parser.add_argument("--all-in-one", action="store_true",
                        help="every loader in one process (what CI runs: one start-up; stops at the first crash)")
    args = parser.parse_args(argv)
    if args.all_in_one and (args.loaders or args.seeds):
        parser.error("--all-in-one fuzzes every registered loader from their own seeds: drop --loaders/--seeds")
    known = seeds.loaders()
    chosen = [n.strip() for n in args.loaders.split(",") if n.strip()] or known
    if args.plugin:
        import importlib

        from forensics.loaders import registry
        for spec in args.plugin.split(","):
            module_name, _, class_name = spec.partition(":")
            known.append(registry.register(getattr(importlib.import_module(module_name), class_name)).name)
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        parser.error(f"unknown loader(s) {', '.join(unknown)}; registered: {', '.join(known)}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="forensics-fuzz-"))
    started = time.perf_counter()
    if args.all_in_one:
        results = [fuzz_all(args.seconds, workdir.resolve(), plugins=args.plugin)]
    else:
        results = fuzz(chosen, args.seconds, workdir.resolve(), jobs=args.jobs, plugins=args.plugin,
                       extra_seeds=args.seeds)
    print(f"{'loader':<16} {'wall s':>6} {'seeds':>5} {'execs':>9} {'exec/s':>7} {'cov':>6} {'ft':>6} {'corpus':>6}  result")
    for s in results:
        rate = s.executions / s.seconds if s.seconds else 0.0
        verdict = "FAILED: " + ", ".join(str(a) for a in s.artifacts) if s.failed else "ok"
        if s.failed and not s.artifacts:
            verdict = f"FAILED: exit {s.returncode}, see {s.log}"
        print(f"{s.loader:<16} {s.seconds:>6.1f} {s.seeds:>5} {s.executions:>9,} {rate:>7.0f} {s.coverage:>6} {s.features:>6} {s.corpus:>6}  {verdict}")
        if s.per_loader:
            print("  inputs per loader: " + ", ".join(f"{k} {v:,}" for k, v in s.per_loader.items()))
    total_execs = sum(s.executions for s in results)
    print(f"{len(results)} loader(s), {total_execs:,} executions in {time.perf_counter() - started:.0f} s wall; workdir {workdir}")
    return 1 if any(s.failed for s in results) else 0


if __name__ == "__main__":
    sys.exit(main())
