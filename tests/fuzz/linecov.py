"""Line coverage of each loader's own module: its seeds alone vs the corpus fuzzing grew.

    .venv/bin/python tests/fuzz/linecov.py --workdir ~/.cache/forensics-fuzz [--loaders langsmith,raaf]

libFuzzer's ``cov`` counts instrumented edges over the whole ``forensics`` package (the JSON framing
and finalisation included), which says little about one loader. This replays a per-loader run's
inputs (``<workdir>/seeds/<loader>`` and ``<workdir>/corpus/<loader>``, as ``run.py`` leaves them)
through the oracle with a line tracer on ``forensics/loaders/<module>.py`` only, and prints the
lines reached by the seeds and by seeds + corpus. Standard library only (``sys.settrace``).
"""

from __future__ import annotations

import argparse
import inspect
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, so `fuzz` imports as a package

from forensics.loaders import registry
from fuzz import seeds
from fuzz.oracle import OracleViolation, check_file


def executable_lines(path: Path) -> set[int]:
    """Lines of ``path`` that hold bytecode of a function (nested ones, methods, lambdas and
    comprehensions included). Module and class bodies run at import, before any tracing: left out."""
    lines: set[int] = set()
    stack: list[CodeType] = [compile(path.read_text(), str(path), "exec")]
    while stack:
        code = stack.pop()
        if code.co_flags & inspect.CO_OPTIMIZED:
            lines.update(line for _, _, line in code.co_lines() if line is not None)
        stack.extend(c for c in code.co_consts if isinstance(c, CodeType))
    return lines


def lines_reached(files: Iterable[Path], loader: str, module_file: Path, scratch: Path) -> set[int]:
    """Lines of ``module_file`` executed while the oracle loads each of ``files`` as ``loader``."""
    target = str(module_file)
    hit: set[int] = set()

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            hit.add(frame.f_lineno)
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == target:
            hit.add(frame.f_lineno)
            return local
        return None

    copy = scratch / "fuzz-input.json"  # the name the harness uses: some loaders take the run id from it
    for path in files:
        copy.write_bytes(path.read_bytes())
        sys.settrace(tracer)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check_file(copy, loader)
        except OracleViolation:
            pass  # a crash input still reached the lines before it
        finally:
            sys.settrace(None)
    return hit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="a run.py --workdir of a per-loader run")
    parser.add_argument("--loaders", default="", help="comma-separated loader names (default: those with a corpus)")
    args = parser.parse_args(argv)
    corpus_root = args.workdir / "corpus"
    chosen = [n for n in args.loaders.split(",") if n] or sorted(
        p.name for p in corpus_root.iterdir() if p.is_dir() and p.name in seeds.loaders())
    scratch = args.workdir / "linecov"
    scratch.mkdir(exist_ok=True)
    print(f"{'loader':<16} {'module':<28} {'lines':>5} {'seeds':>12} {'+ corpus':>12} {'inputs':>7}")
    for loader in chosen:
        module = sys.modules[registry.get(loader).__module__]
        module_file = Path(module.__file__ or "")
        total = executable_lines(module_file)
        seed_files = sorted((args.workdir / "seeds" / loader).iterdir())
        corpus_files = sorted((corpus_root / loader).iterdir()) if (corpus_root / loader).is_dir() else []
        from_seeds = lines_reached(seed_files, loader, module_file, scratch) & total
        from_all = from_seeds | (lines_reached(corpus_files, loader, module_file, scratch) & total)
        print(f"{loader:<16} {module_file.name:<28} {len(total):>5} "
              f"{len(from_seeds):>5} ({len(from_seeds) / len(total):>4.0%}) {len(from_all):>5} ({len(from_all) / len(total):>4.0%})"
              f" {len(seed_files) + len(corpus_files):>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
