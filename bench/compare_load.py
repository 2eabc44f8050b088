"""Check that another source tree's forensics.load gives the very same tables as this one's, file by file.

    .venv/bin/python bench/compare_load.py --tree /tmp/base sample_logs/ tests/data/ night.otel.jsonl
    .venv/bin/python bench/compare_load.py --tree /tmp/base --vectorised 1 night.otel.jsonl

A speed change to a loader must not change a row: this loads each file (each file found under a
directory, one at a time, sniffed as a user loads it) from this tree and from
``--tree`` (``git archive main | tar -x -C /tmp/base``), one process a tree, writes the span table, the quarantine and
the accounting to Arrow IPC, and compares them whole (``Table.equals`` with metadata), naming the
first column that differs. ``--vectorised`` sets ``$FORENSICS_VECTORISED`` for both (``1``: the
vectorised readers on every eligible file, whatever its size). A file no loader reads is reported
as such by both. Exit status 1 when any file differs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DUMP = """
import json, sys
import pyarrow as pa
import forensics
from forensics.errors import ForensicsError
outdir, paths = sys.argv[1], sys.argv[2:]
for i, path in enumerate(paths):
    out = f"{outdir}/{i}"
    try:
        r = forensics.load(path)
    except ForensicsError as exc:
        open(out + ".json", "w").write(json.dumps({"error": type(exc).__name__}))
        continue
    for name, table in (("spans", r.spans), ("quarantine", r.quarantine)):
        with pa.ipc.new_file(out + "." + name, table.schema) as writer:
            writer.write_table(table)
    accounts = [(f.path, f.format, f.records_read, f.rows, f.quarantined, f.merged, sorted(f.reasons.items()))
                for f in r.report.files]
    open(out + ".json", "w").write(json.dumps({"accounts": accounts}))
"""

SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz", ".parquet", ".log", ".txt")


def files_of(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
        else:
            found.append(path)
    return found


def dump(tree: str, paths: list[Path], outdir: str, vectorised: str | None) -> None:
    """Each file loaded by ``tree``'s forensics (one process, a file at a time) and dumped to ``outdir/<i>.*``."""
    env = dict(os.environ, PYTHONPATH=tree)
    if vectorised is not None:
        env["FORENSICS_VECTORISED"] = vectorised
    done = subprocess.run([sys.executable, "-c", DUMP, outdir, *map(str, paths)], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{tree}: the load failed:\n{done.stderr[-2000:]}")


def differs(mine: str, theirs: str, counted: list[int]) -> str | None:
    """What differs between the two dumps, or None (``counted``: the span rows compared, added to)."""
    import pyarrow as pa

    if Path(mine + ".json").read_text() != Path(theirs + ".json").read_text():
        return "accounting or error"
    for name in ("spans", "quarantine"):
        if not Path(mine + "." + name).exists():
            continue
        a = pa.ipc.open_file(mine + "." + name).read_all()
        b = pa.ipc.open_file(theirs + "." + name).read_all()
        if a.schema != b.schema:
            return f"{name}: schema"
        if a.num_rows != b.num_rows:
            return f"{name}: {a.num_rows} rows against {b.num_rows}"
        for column in a.column_names:
            if not a.column(column).equals(b.column(column)):
                return f"{name}: column {column}"
        if not a.equals(b, check_metadata=True):
            return f"{name}: metadata"
        counted[0] += a.num_rows if name == "spans" else 0
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", type=Path, nargs="+")
    parser.add_argument("--tree", required=True, help="the other source tree (holding forensics/__init__.py)")
    parser.add_argument("--vectorised", choices=["0", "1"], default=None, help="$FORENSICS_VECTORISED for both")
    args = parser.parse_args()
    here = str(Path(__file__).resolve().parent.parent)
    bad, counted = 0, [0]
    files = files_of(args.paths)
    with tempfile.TemporaryDirectory(prefix="forensics-compare-") as tmp:
        Path(tmp, "mine").mkdir()
        Path(tmp, "theirs").mkdir()
        dump(here, files, f"{tmp}/mine", args.vectorised)
        dump(args.tree, files, f"{tmp}/theirs", args.vectorised)
        for i, path in enumerate(files):
            problem = differs(f"{tmp}/mine/{i}", f"{tmp}/theirs/{i}", counted)
            if problem:
                bad += 1
                print(f"DIFFERS {path}: {problem}")
    print(f"{len(files) - bad} of {len(files)} files give identical tables ({counted[0]:,} span rows compared)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
